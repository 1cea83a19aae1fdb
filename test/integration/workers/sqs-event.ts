import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { Envelope } from '../../../shared/envelope';
import { toSqsRecord } from '../../../shared/local/poller';
import { QueuePublisher } from '../../../shared/queue/publisher';

export interface TestQueue {
  url: string;
  arn: string;
}

export async function createQueue(sqs: SQSClient, name: string): Promise<TestQueue> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const url = created.QueueUrl as string;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: attributes.Attributes?.QueueArn as string };
}

/**
 * What Lambda's event-source mapping hands a worker: the envelopes enqueued as the ingest function
 * enqueues them (plus any raw bodies), received from a real queue and shaped as an SQSEvent, with
 * real receipt handles.
 */
export async function sqsEventFrom(
  sqs: SQSClient,
  queue: TestQueue,
  sink: string,
  envelopes: readonly Envelope[],
  rawBodies: readonly string[] = [],
): Promise<SQSEvent> {
  const report = await new QueuePublisher({ client: sqs, queueUrls: { [sink]: queue.url } }).deliver(
    [sink],
    envelopes,
  );
  if (report.size > 0) throw new Error(`enqueue failed: ${JSON.stringify([...report])}`);
  for (const body of rawBodies)
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));

  const expected = envelopes.length + rawBodies.length;
  const records: SQSEvent['Records'] = [];
  while (records.length < expected) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    // As the event-source mapping shapes them (the local runtime's poller plays it).
    for (const message of Messages)
      records.push(toSqsRecord(message, { queueArn: queue.arn, region: 'us-east-1' }));
  }
  return { Records: records };
}
