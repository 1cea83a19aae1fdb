/**
 * an event the sink refuses for good goes to the DLQ at once, with the reason as
 * message attributes, and is deleted from the queue while the rest of its batch goes on. Against
 * fauxqs (the real SQS protocol: queues, redrive policy, receipt handles, message attributes), a
 * real Postgres and the PutEvents stand-in.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { toSqsRecord } from '../../../shared/local/poller';
import { createSinkQueues, type SinkQueues } from '../../../shared/local/queues';
import { QueuePublisher } from '../../../shared/queue/publisher';
import { sinkQueueSettings } from '../../../shared/queue/topology';
import {
  createWorkerHandler,
  DEAD_LETTER_ATTRIBUTES,
  type WorkerHandler,
} from '../../../shared/queue/worker';
import { EventBridgeSink } from '../../../shared/sinks/eventbridge/sink';
import { PostgresSink } from '../../../shared/sinks/postgres/sink';
import type { Sink, SinkName } from '../../../shared/sinks/types';
import { startEventBridgeServer, type EventBridgeServerHandle } from '../../peers/eventbridge-server';
import { fauxqsSqsClient, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';

jest.setTimeout(60_000);

let fauxqs: FauxqsHandle;
let sqs: SQSClient;
let stage = 0;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  sqs = fauxqsSqsClient(fauxqs.endpoint);
});
afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
});

/** The sink's queue and DLQ as deployed: the shipped topology, with its redrive policy. */
async function queuesFor(sink: SinkName): Promise<SinkQueues> {
  stage++;
  return createSinkQueues(sqs, sinkQueueSettings(sink), `dlq-test-${stage}`);
}

/**
 * One receive, as the Lambda event-source mapping makes it, turned into the event the worker gets by
 * the local poller's own mapping.
 */
async function receiveBatch(queueUrl: string, expected: number): Promise<SQSEvent> {
  const messages: Message[] = [];
  for (let round = 0; round < 20 && messages.length < expected; round++) {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    messages.push(...(result.Messages ?? []));
  }
  expect(messages).toHaveLength(expected);
  return {
    Records: messages.map((message) =>
      toSqsRecord(message, { queueArn: 'arn:aws:sqs:us-east-1:000000000000:test', region: 'us-east-1' }),
    ),
  };
}

/** What the event-source mapping does after the worker returns: deletes what it did not report failed. */
async function deleteAsTheMappingDoes(
  queueUrl: string,
  batch: SQSEvent,
  response: SQSBatchResponse,
): Promise<void> {
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const record of batch.Records.filter((candidate) => !failed.has(candidate.messageId))) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
  }
}

async function depth(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const result = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(result.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(result.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Everything in the DLQ, read without deleting. */
async function deadLetters(dlqUrl: string): Promise<Message[]> {
  const result = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: dlqUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    }),
  );
  return result.Messages ?? [];
}

function worker(sinkName: SinkName, sink: Sink, queues: SinkQueues): WorkerHandler {
  const settings = queues.settings;
  return createWorkerHandler({
    sinkName,
    sink: async () => sink,
    queueUrl: queues.queueUrl,
    dlqUrl: queues.dlqUrl,
    sqs,
    backoff: { baseSeconds: settings.retryBaseSeconds, maxSeconds: settings.retryMaxSeconds },
  });
}

const runEvent = (id: string, extra: Record<string, unknown> = {}): Envelope =>
  createEnvelope({
    topic: 'public.cps.za.runs',
    payload: { event_id: id, job_ref: id, tenant_id: 't', source_app: 'a', environment: 'dev', ...extra },
    subject: 'FooBarUser',
    correlationId: `corr-${id}`,
    key: id,
  });

describe('a poison row for Postgres', () => {
  let database: TestDatabase;
  let sink: PostgresSink;

  beforeAll(async () => {
    database = await createTestDatabase();
    sink = new PostgresSink({ connectionString: database.url });
  });
  afterAll(async () => {
    await sink?.close();
    await database?.drop();
  });

  it('is parked in the DLQ on its first receive, with the reason, while its batch-mates are stored', async () => {
    const queues = await queuesFor('postgres');
    // Postgres jsonb can never hold U+0000: ingest refuses it now, but one may still be queued
    // (sent before the upgrade, replayed from an archive, written by another producer).
    const [good1, poison, good2] = [
      runEvent('good-1'),
      runEvent('poison', { source_app: 'bad\u0000app' }),
      runEvent('good-2'),
    ];
    const report = await new QueuePublisher({
      client: sqs,
      queueUrls: { postgres: queues.queueUrl },
    }).deliver(['postgres'], [good1, poison, good2]);
    expect(report.size).toBe(0);

    const batch = await receiveBatch(queues.queueUrl, 3);
    const response = await worker('postgres', sink, queues)(batch);
    expect(response.batchItemFailures).toEqual([]);
    // The worker deleted the parked one itself; the two delivered wait for the mapping's delete.
    expect(await depth(queues.queueUrl)).toEqual({ visible: 0, inFlight: 2 });
    await deleteAsTheMappingDoes(queues.queueUrl, batch, response);

    const rows = await database.query<{ event_id: string }>(
      'SELECT event_id FROM public_cps_za_runs ORDER BY event_id',
    );
    expect(rows.map((row) => row.event_id).sort()).toEqual([good1.id, good2.id].sort());
    // Gone from the queue at once, not after maxReceiveCount receives and their back-off.
    expect(await depth(queues.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    const parked = await deadLetters(queues.dlqUrl);
    expect(parked).toHaveLength(1);
    const [letter] = parked as [Message];
    expect(JSON.parse(letter.Body ?? '{}')).toMatchObject({
      id: poison.id,
      payload: { source_app: 'bad\u0000app' },
    });
    const attributes = letter.MessageAttributes ?? {};
    expect(attributes.eventId?.StringValue).toBe(poison.id);
    expect(attributes.topic?.StringValue).toBe('public.cps.za.runs');
    expect(attributes[DEAD_LETTER_ATTRIBUTES.sink]?.StringValue).toBe('postgres');
    expect(attributes[DEAD_LETTER_ATTRIBUTES.attempt]).toMatchObject({
      DataType: 'Number',
      StringValue: '1',
    });
    expect(attributes[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toMatch(
      new RegExp(`^event ${poison.id} rejected by postgres: .*SQLSTATE 22P05`),
    );
    expect(Date.parse(attributes[DEAD_LETTER_ATTRIBUTES.at]?.StringValue ?? '')).toBeGreaterThan(
      Date.now() - 60_000,
    );
  });

  it('parks a message that is not an envelope at once too', async () => {
    const queues = await queuesFor('postgres');
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: '{"not":"an envelope"}' }),
    );
    const response = await worker('postgres', sink, queues)(await receiveBatch(queues.queueUrl, 1));
    expect(response.batchItemFailures).toEqual([]);
    // Deleted by the worker, before the mapping's delete: a crash now could not park it twice.
    expect(await depth(queues.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    const [letter] = await deadLetters(queues.dlqUrl);
    expect(letter?.Body).toBe('{"not":"an envelope"}');
    expect(letter?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toMatch(
      /^message is not an envelope/,
    );
  });

  it('leaves a transient failure to the retry schedule: back on the queue, not in the DLQ', async () => {
    const queues = await queuesFor('postgres');
    const down = new PostgresSink({
      connectionString: 'postgres://nobody@127.0.0.1:9/none',
      connectTimeoutMs: 500,
    });
    try {
      const event = runEvent('while-down');
      await new QueuePublisher({ client: sqs, queueUrls: { postgres: queues.queueUrl } }).deliver(
        ['postgres'],
        [event],
      );
      const batch = await receiveBatch(queues.queueUrl, 1);
      const response = await worker('postgres', down, queues)(batch);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]?.messageId }]);
      expect(await deadLetters(queues.dlqUrl)).toEqual([]);
      // Still on the queue, waiting out its first back-off.
      expect(await depth(queues.queueUrl)).toEqual({ visible: 0, inFlight: 1 });
    } finally {
      await down.close();
    }
  });
});

describe('a malformed entry for EventBridge', () => {
  let server: EventBridgeServerHandle;
  let sink: EventBridgeSink;

  beforeAll(async () => {
    server = await startEventBridgeServer();
    sink = new EventBridgeSink({
      eventBusArn: 'arn:aws:events:us-east-1:000000000000:event-bus/eventgate',
      clientConfig: {
        endpoint: server.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      },
      maxAttempts: 1,
      baseBackoffMs: 5,
    });
  });
  afterAll(async () => {
    await sink?.close();
    await server?.stop();
  });

  it('is parked at once while a throttled one is retried and the rest are delivered', async () => {
    const queues = await queuesFor('eventbridge');
    const [fine, malformed, throttled] = ['fine', 'malformed', 'throttled'].map((id) => runEvent(id));
    server.failEntries(
      (entry) => entry.Detail?.includes('"event_id":"malformed"') ?? false,
      'MalformedDetail',
      {
        message: 'Detail is malformed.',
      },
    );
    server.failEntries(
      (entry) => entry.Detail?.includes('"event_id":"throttled"') ?? false,
      'ThrottlingException',
    );
    await new QueuePublisher({ client: sqs, queueUrls: { eventbridge: queues.queueUrl } }).deliver(
      ['eventbridge'],
      [fine as Envelope, malformed as Envelope, throttled as Envelope],
    );
    const batch = await receiveBatch(queues.queueUrl, 3);
    const throttledRecord = batch.Records.find((record) => record.body.includes('"event_id":"throttled"'));

    const response = await worker('eventbridge', sink, queues)(batch);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: throttledRecord?.messageId }]);
    await deleteAsTheMappingDoes(queues.queueUrl, batch, response);
    expect(server.entries.map((entry) => JSON.parse(entry.Detail ?? '{}').event_id)).toEqual(['fine']);
    const parked = await deadLetters(queues.dlqUrl);
    expect(parked.map((letter) => (JSON.parse(letter.Body ?? '{}') as Envelope).id)).toEqual([malformed?.id]);
    expect(parked[0]?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe(
      'EventBridge rejected the entry: MalformedDetail: Detail is malformed.',
    );
    expect(parked[0]?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.sink]?.StringValue).toBe('eventbridge');
    // Only the throttled one is still on the queue, waiting for its retry.
    expect(await depth(queues.queueUrl)).toEqual({ visible: 0, inFlight: 1 });
  });
});
