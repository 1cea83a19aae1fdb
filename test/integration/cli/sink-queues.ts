import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { dlqName, queueName } from '../../../shared/queue/topology';
import type { SinkName } from '../../../shared/sinks/types';
import type { CommandIo } from '../../../shared/cli/args';
import { fauxqsSqsClient, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';

/**
 * One fauxqs server for a whole test file, started before its tests and stopped after them; `use`
 * is handed the server and a client to it. Returns stage names, one per call, so that each test gets
 * queues of its own on the shared server.
 */
export function sharedFauxqs(
  use: (server: FauxqsHandle, sqs: SQSClient) => void,
  stagePrefix: string,
): () => string {
  let server: FauxqsHandle | undefined;
  let client: SQSClient | undefined;
  let stages = 0;
  beforeAll(async () => {
    server = await startFauxqs();
    client = fauxqsSqsClient(server.endpoint);
    use(server, client);
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });
  return () => {
    stages += 1;
    return `${stagePrefix}${stages}`;
  };
}

export interface SinkQueuePair {
  queueUrl: string;
  dlqUrl: string;
}

/** A sink's queue and DLQ, named as a deployment names them, with the DLQ wired in as in AWS. */
export async function createSinkQueues(
  sqs: SQSClient,
  sink: SinkName,
  stage: string,
  queueAttributes: Record<string, string> = {},
): Promise<SinkQueuePair> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: dlqName(sink, stage) }));
  const dlqUrl = required(dlq.QueueUrl, 'DLQ URL');
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: queueName(sink, stage),
      Attributes: {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
        ...queueAttributes,
      },
    }),
  );
  return { queueUrl: required(queue.QueueUrl, 'queue URL'), dlqUrl };
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

export function envelope(topic: string, payload: unknown = { n: 1 }): Envelope {
  return createEnvelope({ topic, payload, subject: 'tester', correlationId: `corr-${topic}` });
}

/** Sends envelopes the way the ingest path does: JSON body plus `topic` and `eventId` attributes. */
export async function sendEnvelopes(
  sqs: SQSClient,
  queueUrl: string,
  envelopes: readonly Envelope[],
  extra: (envelope: Envelope) => Record<string, MessageAttributeValue> = () => ({}),
): Promise<void> {
  for (let start = 0; start < envelopes.length; start += 10) {
    const chunk = envelopes.slice(start, start + 10);
    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((item, index) => ({
          Id: `e${index}`,
          MessageBody: JSON.stringify(item),
          MessageAttributes: {
            topic: { DataType: 'String', StringValue: item.topic },
            eventId: { DataType: 'String', StringValue: item.id },
            ...extra(item),
          },
        })),
      }),
    );
    if ((response.Failed ?? []).length > 0)
      throw new Error(`test setup send failed: ${JSON.stringify(response.Failed)}`);
  }
}

/**
 * Every message currently visible in a queue. They stay hidden for a minute afterwards, so call
 * this once per queue per assertion.
 */
export async function drain(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = response.Messages ?? [];
    if (messages.length === 0) return all;
    all.push(...messages);
  }
}

export function eventIdsOf(messages: readonly Message[]): string[] {
  return messages.map((message) => (JSON.parse(message.Body ?? '{}') as Envelope).id).sort();
}

export async function visibleCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const response = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(response.Attributes?.ApproximateNumberOfMessages ?? 'NaN');
}

export interface RecordedIo extends CommandIo {
  stdout: string[];
  stderr: string[];
}

/** Captures what a command prints; not a terminal, so progress comes as plain lines. */
export function recordIo(onOut?: (text: string) => void): RecordedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (text) => {
      stdout.push(text);
      onOut?.(text);
    },
    err: (text) => stderr.push(text),
    errStream: { write: (text: string) => stderr.push(text), isTTY: false },
    outIsTTY: false,
  };
}
