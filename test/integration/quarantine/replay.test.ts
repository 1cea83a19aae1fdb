import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { CommandIo } from '../../../shared/cli/args';
import { runList, runReplay } from '../../../shared/cli/quarantine';
import { startLocalRuntime, type LocalRuntime } from '../../../shared/local/runtime';
import type { QuarantineRecord } from '../../../shared/quarantine/record';
import { fauxqsS3Client, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import { consumeKafka, postJson, startEverySinkPeers, waitFor, type EverySinkPeers } from '../async/helpers';

jest.setTimeout(180_000);

const TOPIC = 'public.cps.za.test';
const BUCKET = 'quarantine-archive';

function recorder(): CommandIo & { lines: string[]; problems: string[] } {
  const lines: string[] = [];
  const problems: string[] = [];
  return {
    lines,
    problems,
    out: (text) => void lines.push(text),
    err: (text) => void problems.push(text),
    errStream: { write: () => true },
    outIsTTY: false,
  };
}

const event = (id: string, timestamp: unknown): Record<string, unknown> => ({
  event_id: id,
  tenant_id: 'avms',
  source_app: 'jest',
  environment: 'dev',
  timestamp,
});

// An event refused by version 1 of a quarantine-enabled topic is kept, survives a restart of the
// local runtime, stays quarantined (with fresh errors) while no version accepts it, and once
// version 2 does, a replay delivers it to every sink under the id it was given when refused; a
// second replay delivers nothing more.
describe('quarantine: refused, kept across a restart, fixed by a new version, replayed once into every sink', () => {
  let peers: EverySinkPeers;
  let database: TestDatabase;
  let s3Peer: FauxqsHandle;
  let s3: S3Client;
  let runtime: LocalRuntime | undefined;
  let stateDir: string;

  const start = async (): Promise<LocalRuntime> =>
    startLocalRuntime({
      port: 0,
      confDir: peers.conf.dir,
      stateDir,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        AWS_S3_FORCE_PATH_STYLE: 'true',
      },
      topology: { maximumBatchingWindowSeconds: 0.2, retryBaseSeconds: 1, maxReceiveCount: 3 },
    });
  const cliDeps = (): { env: NodeJS.ProcessEnv } => ({
    env: { ...process.env, EVENTGATE_STATE_DIR: stateDir },
  });
  const listed = async (): Promise<QuarantineRecord[]> => {
    const io = recorder();
    expect(await runList(['--local', '--json', '--topic', TOPIC.toUpperCase()], io, cliDeps())).toBe(0);
    return (JSON.parse(io.lines[0] ?? '{}') as { events: QuarantineRecord[] }).events;
  };
  const replay = async (): Promise<{ delivered: number; kept: number; failed: number }> => {
    const io = recorder();
    expect(await runReplay(['--local', '--json', '--conf', peers.conf.dir], io, cliDeps())).toBe(0);
    return JSON.parse(io.lines[0] ?? '{}') as { delivered: number; kept: number; failed: number };
  };

  beforeAll(async () => {
    [peers, database, s3Peer] = await Promise.all([
      startEverySinkPeers(),
      createTestDatabase(),
      startFauxqs(),
    ]);
    s3 = fauxqsS3Client(s3Peer.endpoint);
    // The archive sink's S3 client finds the peer through the SDK's own endpoint variable.
    process.env.AWS_ENDPOINT_URL_S3 = s3Peer.endpoint;
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    peers.conf.setConfig({ s3_archive: { bucket: BUCKET, prefix: 'events' } });
    stateDir = path.join(peers.conf.dir, 'state');
    runtime = await start();
  });

  afterAll(async () => {
    await runtime?.stop();
    s3?.destroy();
    delete process.env.AWS_ENDPOINT_URL_S3;
    await Promise.all([peers?.stop(), database?.drop(), s3Peer?.stop()]);
  });

  it('keeps the refused event, answers the producer 400 / 207, and keeps it across a restart', async () => {
    const auth = { authorization: `Bearer ${await peers.conf.token('TestUser')}` };
    const url = `${(runtime as LocalRuntime).url}/topics/${TOPIC}`;
    const refused = await postJson(url, event('late-1', '2026-01-01T00:00:00Z'), {
      ...auth,
      'x-correlation-id': 'corr-quarantine-1',
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ success: false, quarantined: true });
    const eventId = refused.body.eventId as string;
    const batch = await postJson(url, [event('fine-1', 1), event('late-2', 'soon')], auth);
    expect(batch.status).toBe(207);
    expect((batch.body.results as Array<Record<string, unknown>>)[1]).toMatchObject({ quarantined: true });

    const before = await listed();
    expect(before.map((record) => record.event)).toEqual(
      expect.arrayContaining([event('late-1', '2026-01-01T00:00:00Z'), event('late-2', 'soon')]),
    );
    expect(before.find((record) => record.id === eventId)).toMatchObject({
      topic: TOPIC,
      subject: 'TestUser',
      correlationId: 'corr-quarantine-1',
      pinnedVersion: null,
      replays: 0,
      errors: [expect.objectContaining({ instancePath: '/timestamp', keyword: 'type' })],
    });

    await runtime?.stop();
    runtime = await start();
    const after = await listed();
    expect(after.map((record) => record.id).sort()).toEqual(before.map((record) => record.id).sort());
  });

  it('leaves events no version accepts in quarantine, with their new errors', async () => {
    expect(await replay()).toMatchObject({ delivered: 0, kept: 2, failed: 0 });
    const records = await listed();
    expect(records.map((record) => record.replays)).toEqual([1, 1]);
  });

  it('delivers them to every sink once version 2 accepts them, under their first id, and only once', async () => {
    const [first] = await listed();
    const eventId = (first as QuarantineRecord).id;
    // Version 2 also takes an ISO time for `timestamp`: a widening, so backward compatible.
    const topicsDir = path.join(peers.conf.dir, 'topics');
    const v1 = JSON.parse(readFileSync(path.join(topicsDir, `${TOPIC}.json`), 'utf8'));
    mkdirSync(path.join(topicsDir, TOPIC));
    writeFileSync(
      path.join(topicsDir, TOPIC, '2.json'),
      JSON.stringify({
        ...v1,
        properties: { ...v1.properties, timestamp: { type: ['number', 'string'], maxLength: 40 } },
      }),
    );

    expect(await replay()).toMatchObject({ delivered: 2, kept: 0, failed: 0 });
    expect(await replay()).toMatchObject({ delivered: 0, kept: 0, failed: 0 });
    expect(await listed()).toEqual([]);

    const rows = await waitFor(
      () =>
        database.query<{ event_id: string; schema_version: number; correlation_id: string }>(
          `SELECT event_id, schema_version, correlation_id FROM public_cps_za_test WHERE payload->>'event_id' LIKE 'late-%'`,
        ),
      (found) => found.length === 2,
      30_000,
      'the replayed Postgres rows',
    );
    expect(rows.find((row) => row.event_id === eventId)).toEqual({
      event_id: eventId,
      schema_version: 2,
      correlation_id: 'corr-quarantine-1',
    });

    const kafka = await consumeKafka(peers.kafka.brokers, TOPIC, (all) => all.length >= 3);
    const { eventBridge } = peers;
    await waitFor(
      async () => eventBridge.entries.length,
      (count) => count >= 3,
      30_000,
      'EventBridge entries',
    );
    const archived = await waitFor(
      async () => {
        const listing = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
        const records: Array<{ id: string; schemaVersion?: number }> = [];
        for (const object of listing.Contents ?? []) {
          const body = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: object.Key }));
          const text = gunzipSync(
            Buffer.from(
              await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
            ),
          ).toString();
          for (const line of text.split('\n').filter(Boolean)) records.push(JSON.parse(line));
        }
        return records;
      },
      (records) => records.length >= 3,
      30_000,
      'archived records',
    );
    // Give a duplicate, if any were coming, the time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const [count] = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM public_cps_za_test');
    expect(count?.n).toBe(3);
    expect(kafka.filter((headers) => headers['eventgate-event-id'] === eventId)).toEqual([
      expect.objectContaining({
        'eventgate-schema-version': '2',
        'eventgate-correlation-id': 'corr-quarantine-1',
      }),
    ]);
    expect(
      eventBridge.entries.filter((entry) => JSON.parse(entry.Detail ?? '{}').event_id === 'late-1'),
    ).toHaveLength(1);
    expect(archived.filter((record) => record.id === eventId)).toEqual([
      expect.objectContaining({ id: eventId, schemaVersion: 2 }),
    ]);
  });
});
