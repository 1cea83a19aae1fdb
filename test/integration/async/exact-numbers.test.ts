/**
 * integers beyond 2^53 reach every sink digit for digit, on the async path
 * (through SQS and the workers) and the sync path, checked at each real peer: the Postgres jsonb
 * value (numeric, exact), the Kafka record's bytes, the EventBridge entry, the S3 archive object.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { startLocalRuntime, type LocalRuntime } from '../../../shared/local/runtime';
import { fauxqsS3Client, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import { startEverySinkPeers, waitFor, type EverySinkPeers } from './helpers';

jest.setTimeout(120_000);

const BIG = {
  justOver: '9007199254740993',
  u64: '18446744073709551615',
  wide: '12345678901234567890',
  negative: '-99999999999999999999',
};

/** The event as the client writes it: JSON text, since JSON.stringify could not write these numbers. */
function eventText(id: string, timestampField: string, base: Record<string, unknown>): string {
  const head = JSON.stringify({ ...base, event_id: id }).slice(0, -1);
  return (
    `${head},"${timestampField}":${BIG.justOver},"ids":[${BIG.u64},${BIG.wide}],` +
    `"nested":{"balance":${BIG.negative},"ratio":0.5}}`
  );
}

function expectExact(text: string | undefined, timestampField: string): void {
  expect(text).toBeDefined();
  expect(text).toContain(`"${timestampField}":${BIG.justOver}`);
  expect(text).toContain(`"ids":[${BIG.u64},${BIG.wide}]`);
  expect(text).toContain(`"balance":${BIG.negative}`);
}

/** Every record value of a Kafka topic, as the raw text on the wire. */
async function kafkaValues(brokers: string[], topic: string, enough: number): Promise<string[]> {
  const values: string[] = [];
  const consumer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `exact-${randomUUID()}`,
    sessionTimeout: 3000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString('utf8') ?? '');
      },
    });
    await waitFor(
      async () => values.length,
      (count) => count >= enough,
      60_000,
      `Kafka records on ${topic}`,
    );
    return values;
  } finally {
    await consumer.disconnect();
  }
}

async function archivedLines(s3: S3Client, bucket: string, topic: string): Promise<string[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `events/topic=${topic}/` }),
  );
  const lines: string[] = [];
  for (const object of listed.Contents ?? []) {
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
    const bytes = await body.Body?.transformToByteArray();
    lines.push(
      ...gunzipSync(Buffer.from(bytes ?? []))
        .toString('utf8')
        .trimEnd()
        .split('\n'),
    );
  }
  return lines;
}

describe('integers beyond 2^53 reach every sink digit for digit', () => {
  let peers: EverySinkPeers;
  let database: TestDatabase;
  let s3Peer: FauxqsHandle;
  let s3: S3Client;
  let runtime: LocalRuntime;
  const bucket = `exact-${randomUUID()}`;
  const saved = { endpoint: process.env.AWS_ENDPOINT_URL_S3, pathStyle: process.env.AWS_S3_FORCE_PATH_STYLE };

  beforeAll(async () => {
    [peers, database, s3Peer] = await Promise.all([
      startEverySinkPeers(),
      createTestDatabase(),
      startFauxqs(),
    ]);
    s3 = fauxqsS3Client(s3Peer.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    process.env.AWS_ENDPOINT_URL_S3 = s3Peer.endpoint;
    process.env.AWS_S3_FORCE_PATH_STYLE = 'true';
    peers.conf.setConfig({
      s3_archive: { bucket, prefix: 'events' },
      topics: {
        'public.cps.za.dlchange': { mode: 'async', id_field: 'event_id' },
        'public.cps.za.test': { mode: 'sync', id_field: 'event_id' },
      },
    });
    runtime = await startLocalRuntime({
      port: 0,
      confDir: peers.conf.dir,
      stateDir: `${peers.conf.dir}/state`,
      env: { ...process.env, DATABASE_URL: database.url },
      topology: { maximumBatchingWindowSeconds: 0.2, retryBaseSeconds: 1 },
      ephemeralDatabase: true,
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    s3?.destroy();
    await Promise.all([peers?.stop(), database?.drop(), s3Peer?.stop()]);
    process.env.AWS_ENDPOINT_URL_S3 = saved.endpoint;
    process.env.AWS_S3_FORCE_PATH_STYLE = saved.pathStyle;
    if (saved.endpoint === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
    if (saved.pathStyle === undefined) delete process.env.AWS_S3_FORCE_PATH_STYLE;
  });

  async function post(topic: string, subject: string, body: string): Promise<string> {
    const response = await fetch(`${runtime.url}/topics/${topic}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await peers.conf.token(subject)}`,
      },
      body,
    });
    const answer = (await response.json()) as { eventId?: string };
    expect(response.status).toBe(202);
    return answer.eventId as string;
  }

  test.each([
    {
      path: 'async (SQS, then each sink’s worker)',
      topic: 'public.cps.za.dlchange',
      table: 'public_cps_za_dlchange',
      subject: 'FooUser',
      timestampField: 'timestamp_event',
      base: {
        tenant_id: 'avms',
        source_app: 'jest',
        source_app_version: '1',
        environment: 'dev',
        catalog_id: 'c',
        operation: 'append',
        format: 'parquet',
      },
    },
    {
      path: 'sync (every sink written inline)',
      topic: 'public.cps.za.test',
      table: 'public_cps_za_test',
      subject: 'TestUser',
      timestampField: 'timestamp',
      base: { tenant_id: 'avms', source_app: 'jest', environment: 'dev' },
    },
  ])('$path', async ({ topic, table, subject, timestampField, base }) => {
    const eventId = await post(topic, subject, eventText(`exact-${topic}`, timestampField, base));

    // Postgres: jsonb keeps the numbers as numeric, exactly.
    const [row] = await waitFor(
      () =>
        database.query<{ ts: string; exact: boolean; kind: string; payload: string }>(
          `SELECT payload->>'${timestampField}' AS ts,
                  (payload->>'${timestampField}')::numeric = ${BIG.justOver} AS exact,
                  jsonb_typeof(payload->'${timestampField}') AS kind,
                  payload::text AS payload
             FROM ${table} WHERE event_id = $1`,
          [eventId],
        ),
      (rows) => rows.length === 1,
      30_000,
      `the ${table} row`,
    );
    expect(row).toMatchObject({ ts: BIG.justOver, exact: true, kind: 'number' });
    expect(row?.payload).toContain(`"ids": [${BIG.u64}, ${BIG.wide}]`);
    expect(row?.payload).toContain(`"balance": ${BIG.negative}`);

    // EventBridge: the entry's Detail as it arrived on the wire.
    const entry = await waitFor(
      async () => peers.eventBridge.entries.find((candidate) => candidate.Source === topic),
      (found) => found !== undefined,
      30_000,
      'the EventBridge entry',
    );
    expectExact(entry?.Detail, timestampField);

    // Kafka: the record value's bytes.
    const [value] = await kafkaValues(peers.kafka.brokers, topic, 1);
    expectExact(value, timestampField);

    // S3: the archived NDJSON line (the whole envelope).
    const lines = await waitFor(
      () => archivedLines(s3, bucket, topic),
      (found) => found.length >= 1,
      30_000,
      'the S3 archive',
    );
    const line = lines.find((candidate) => candidate.includes(eventId));
    expectExact(line, timestampField);
  });
});
