import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { createTestConf, type TestConf } from '../../helpers/gateway';
import { startEventBridgeServer, type EventBridgeServerHandle } from '../../peers/eventbridge-server';
import { fauxqsS3Client, fauxqsSqsClient, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';
import { startKafkaMock, type KafkaMockHandle } from '../../peers/kafka';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import { consumeKafka } from '../async/helpers';
import { createQueue, sqsEventFrom } from './sqs-event';

jest.setTimeout(60_000);

type Handler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

const TOPIC = 'public.cps.za.test';

function envelopes(count: number): Envelope[] {
  return Array.from({ length: count }, (_, index) =>
    createEnvelope({
      topic: TOPIC,
      payload: { event_id: `e-${index}`, tenant_id: 'workers', timestamp: 1_767_225_600_000 + index },
      subject: 'WorkerTest',
      correlationId: randomUUID(),
    }),
  );
}

/**
 * The handler exported by functions/workers/<sink>.ts, loaded afresh as Lambda loads it: with the
 * environment the deployment gives the function, read when the module is loaded.
 */
function shippedHandler(sink: string, env: Record<string, string>): { handler: Handler; restore(): void } {
  const saved = new Map(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require(`../../../functions/workers/${sink}`) as { handler: Handler }).handler;
  });
  return {
    handler: handler as Handler,
    restore() {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

describe('the Lambda worker entry points, as shipped, with real SQS events and real peers', () => {
  let conf: TestConf;
  let fauxqs: FauxqsHandle;
  let sqs: SQSClient;
  let s3: S3Client;
  let eventBridge: EventBridgeServerHandle;
  let kafka: KafkaMockHandle;
  let database: TestDatabase;
  let awsEnv: Record<string, string>;

  beforeAll(async () => {
    [conf, fauxqs, eventBridge, kafka, database] = await Promise.all([
      createTestConf(),
      startFauxqs(),
      startEventBridgeServer(),
      startKafkaMock(1),
      createTestDatabase(),
    ]);
    sqs = fauxqsSqsClient(fauxqs.endpoint);
    s3 = fauxqsS3Client(fauxqs.endpoint);
    awsEnv = {
      CONF_DIR: conf.dir,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    };
  });

  afterAll(async () => {
    sqs?.destroy();
    s3?.destroy();
    await Promise.allSettled([fauxqs?.stop(), eventBridge?.stop(), kafka?.stop(), database?.drop()]);
    conf?.cleanup();
  });

  /** Runs one batch through a shipped worker: every envelope delivered, the one non-envelope failed. */
  async function runBatch(sink: string, env: Record<string, string>, batch: Envelope[]): Promise<void> {
    const queue = await createQueue(sqs, `worker-${sink}-${randomUUID().slice(0, 8)}`);
    const event = await sqsEventFrom(sqs, queue, sink, batch, ['not an envelope']);
    const poison = event.Records.find((record) => record.body === 'not an envelope')?.messageId;
    const { handler, restore } = shippedHandler(sink, {
      ...awsEnv,
      ...env,
      [`QUEUE_URL_${sink.toUpperCase()}`]: queue.url,
    });
    try {
      const response = await handler(event);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: poison }] });
    } finally {
      restore();
    }
  }

  test('postgres: one row per event in the topic table', async () => {
    const batch = envelopes(12);
    await runBatch('postgres', { DATABASE_URL: database.url }, batch);
    const rows = await database.query<{ event_id: string }>('SELECT event_id FROM public_cps_za_test');
    expect(rows.map((row) => row.event_id).sort()).toEqual(batch.map((envelope) => envelope.id).sort());
  });

  test('eventbridge: one PutEvents entry per event on the configured bus', async () => {
    const batch = envelopes(12);
    await runBatch(
      'eventbridge',
      {
        EVENT_BUS_ARN: 'arn:aws:events:us-east-1:123456789012:event-bus/workers',
        AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
      },
      batch,
    );
    expect(
      eventBridge.entries
        .map((entry) => (JSON.parse(entry.Detail ?? '{}') as { event_id?: string }).event_id)
        .sort(),
    ).toEqual(batch.map((envelope) => (envelope.payload as { event_id: string }).event_id).sort());
  });

  test('s3: one archive object for the batch in the configured bucket', async () => {
    const bucket = `archive-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const batch = envelopes(5);
    await runBatch(
      's3',
      {
        ARCHIVE_BUCKET: bucket,
        ARCHIVE_PREFIX: 'events',
        AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
        AWS_S3_FORCE_PATH_STYLE: 'true',
      },
      batch,
    );
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((listed.Contents ?? []).map((object) => object.Key)).toEqual([
      expect.stringMatching(new RegExp(`^events/topic=${TOPIC}/dt=.*-5\\.ndjson\\.gz$`)),
    ]);
  });

  test('kafka: every event acknowledged on the topic of the same name', async () => {
    const batch = envelopes(6);
    await runBatch('kafka', { KAFKA_BOOTSTRAP_SERVER: kafka.brokers.join(',') }, batch);
    const headers = await consumeKafka(kafka.brokers, TOPIC, (received) => received.length >= batch.length);
    expect(headers.map((header) => header['eventgate-event-id']).sort()).toEqual(
      batch.map((envelope) => envelope.id).sort(),
    );
  });
});
