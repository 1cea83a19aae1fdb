import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import type { IngestApp } from '../../../shared/ingest/app';
import { createIngestHandler } from '../../../shared/ingest/handler';
import { v2Event } from '../../helpers/gateway';
import { fauxqsS3Client, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import { startEverySinkPeers, testEvent, waitFor, type EverySinkPeers } from '../async/helpers';

jest.setTimeout(120_000);

const TOPIC = 'public.cps.za.dlchange';
const BUCKET = 'cloudevents-archive';

/** Every message of the topic with its value and headers, once `count` have arrived. */
async function kafkaMessages(
  brokers: string[],
  count: number,
): Promise<Array<{ value: string; headers: Record<string, string> }>> {
  const received: Array<{ value: string; headers: Record<string, string> }> = [];
  const consumer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `ce-${Math.random().toString(36).slice(2)}`,
    sessionTimeout: 3000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
          ),
        });
      },
    });
    await waitFor(
      async () => received.length,
      (length) => length >= count,
      60_000,
      'Kafka messages',
    );
  } finally {
    await consumer.disconnect();
  }
  return received;
}

// A CloudEvent posted to a sync topic reaches every real sink with its attributes.
describe('CloudEvents attributes at the sinks', () => {
  let peers: EverySinkPeers;
  let fauxqs: FauxqsHandle;
  let database: TestDatabase;
  let app: IngestApp;
  let auth: Record<string, string>;

  beforeAll(async () => {
    [peers, database, fauxqs] = await Promise.all([
      startEverySinkPeers(),
      createTestDatabase(),
      startFauxqs(),
    ]);
    await fauxqsS3Client(fauxqs.endpoint).send(new CreateBucketCommand({ Bucket: BUCKET }));
    process.env.AWS_ENDPOINT_URL_S3 = fauxqs.endpoint;
    peers.conf.setConfig({
      topics: { [TOPIC]: { mode: 'sync', sinks: ['kafka', 'eventbridge', 'postgres', 's3'] } },
      eventbridge: { source: '{ce.source}', detail_type: '{ce.type}' },
      s3_archive: { bucket: BUCKET, prefix: 'events' },
    });
    app = createIngestHandler({
      confDir: peers.conf.dir,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        EVENTGATE_SINKS: 'kafka,eventbridge,postgres,s3',
        AWS_S3_FORCE_PATH_STYLE: 'true',
      },
      queueUrls: {},
    });
    auth = { authorization: `Bearer ${await peers.conf.token('FooUser')}` };
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_S3;
    await Promise.all([peers?.stop(), database?.drop(), fauxqs?.stop()]);
  });

  it('sends ce_* Kafka headers, EventBridge Source/DetailType, and stores the attributes', async () => {
    const data = testEvent('ce-sinks');
    const response = await app(
      v2Event({
        method: 'POST',
        path: `/topics/${TOPIC}`,
        headers: { 'content-type': 'application/cloudevents+json', ...auth },
        body: JSON.stringify({
          specversion: '1.0',
          id: 'order-17',
          source: '/shop/orders',
          type: 'com.example.order.placed',
          time: '2026-01-01T12:00:00Z',
          subject: 'order/17',
          datacontenttype: 'application/json',
          data,
        }),
      }),
    );
    expect(response.statusCode).toBe(202);
    const eventId = (JSON.parse(response.body) as { eventId: string }).eventId;

    const [message] = await kafkaMessages(peers.kafka.brokers, 1);
    expect(JSON.parse(message?.value ?? '')).toEqual(data);
    expect(message?.headers).toMatchObject({
      'eventgate-event-id': eventId,
      ce_specversion: '1.0',
      ce_id: 'order-17',
      ce_source: '/shop/orders',
      ce_type: 'com.example.order.placed',
      ce_time: '2026-01-01T12:00:00Z',
      ce_subject: 'order/17',
      'content-type': 'application/json',
    });

    expect(peers.eventBridge.entries).toHaveLength(1);
    expect(peers.eventBridge.entries[0]).toMatchObject({
      Source: '/shop/orders',
      DetailType: 'com.example.order.placed',
    });
    expect(JSON.parse(peers.eventBridge.entries[0]?.Detail ?? '')).toEqual(data);

    const rows = await database.query(
      'SELECT payload, cloud_event FROM public_cps_za_dlchange WHERE event_id = $1',
      [eventId],
    );
    expect(rows).toEqual([
      {
        payload: data,
        cloud_event: expect.objectContaining({ id: 'order-17', source: '/shop/orders', subject: 'order/17' }),
      },
    ]);

    const s3 = fauxqsS3Client(fauxqs.endpoint);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    const key = listed.Contents?.[0]?.Key as string;
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const archived = JSON.parse(
      gunzipSync(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).toString('utf8'),
    ) as Record<string, unknown>;
    expect(archived).toMatchObject({
      id: eventId,
      payload: data,
      cloudEvent: { id: 'order-17', type: 'com.example.order.placed' },
    });
  });

  it('keeps the plain defaults for events that did not arrive as CloudEvents', async () => {
    peers.eventBridge.reset();
    const response = await app(
      v2Event({
        method: 'POST',
        path: `/topics/${TOPIC}`,
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(testEvent('plain-json')),
      }),
    );
    expect(response.statusCode).toBe(202);
    expect(peers.eventBridge.entries[0]).toMatchObject({ Source: TOPIC, DetailType: 'JSON' });
    const eventId = (JSON.parse(response.body) as { eventId: string }).eventId;
    const rows = await database.query('SELECT cloud_event FROM public_cps_za_dlchange WHERE event_id = $1', [
      eventId,
    ]);
    expect(rows).toEqual([{ cloud_event: null }]);
  });
});
