import { createIngestHandler } from '../../../shared/ingest/handler';
import type { IngestApp } from '../../../shared/ingest/app';
import { v2Event } from '../../helpers/gateway';
import { startEverySinkPeers, testEvent, consumeKafka, type EverySinkPeers } from '../async/helpers';
import { unusedPort } from '../../peers/unused-port';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';

jest.setTimeout(120_000);

// Sync topics keep the Python contract: every sink written inline, 202 when all took the event, 500
// with one error per failed sink otherwise. Real peers behind every sink.
describe('sync mode against real sinks', () => {
  let peers: EverySinkPeers;
  let database: TestDatabase;
  let app: IngestApp;
  let auth: Record<string, string>;

  const build = (
    config: Record<string, unknown> = {},
    sinks: string[] = ['kafka', 'eventbridge', 'postgres'],
  ): IngestApp => {
    peers.conf.setConfig({
      topics: { 'public.cps.za.dlchange': { mode: 'sync', sinks } },
      sync_timeout_ms: 3000,
      kafka_bootstrap_server: peers.kafka.brokers.join(','),
      kafka: { idempotent: false },
      ...config,
    });
    return createIngestHandler({
      confDir: peers.conf.dir,
      env: { ...process.env, DATABASE_URL: database.url, EVENTGATE_SINKS: 'kafka,eventbridge,postgres' },
      // Async topics are not posted to here; no queue is needed.
      queueUrls: {},
    });
  };

  const post = async (id: string) => {
    const response = await app(
      v2Event({
        method: 'POST',
        path: '/topics/public.cps.za.dlchange',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(testEvent(id)),
      }),
    );
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
  };

  beforeAll(async () => {
    [peers, database] = await Promise.all([startEverySinkPeers(), createTestDatabase()]);
    auth = { authorization: `Bearer ${await peers.conf.token('FooUser')}` };
  });
  afterAll(async () => {
    await Promise.all([peers?.stop(), database?.drop()]);
  });

  it('answers 202 once every sink holds the event', async () => {
    app = build();
    const response = await post('sync-ok');
    expect(response.status).toBe(202);
    expect(response.body.mode).toBe('sync');
    const eventId = response.body.eventId as string;
    // Written before the answer: no waiting needed.
    expect(await database.query('SELECT event_id FROM public_cps_za_dlchange')).toEqual([
      { event_id: eventId },
    ]);
    expect(peers.eventBridge.entries).toHaveLength(1);
    const kafka = await consumeKafka(peers.kafka.brokers, 'public.cps.za.dlchange', (all) => all.length >= 1);
    expect(kafka.map((headers) => headers['eventgate-event-id'])).toEqual([eventId]);
  });

  it('answers 500 naming the one sink that failed, after the others took the event', async () => {
    peers.eventBridge.failWholeCall(400, {
      times: 1,
      errorType: 'ValidationException',
      message: 'bus rejected it',
    });
    const response = await post('sync-one-down');
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({ success: false, statusCode: 500 });
    const errors = response.body.errors as Array<{ type: string; message: string }>;
    expect(errors.map((error) => error.type)).toEqual(['eventbridge']);
    expect(errors[0]?.message).toMatch(/bus rejected it|ValidationException/);
    const rows = await database.query('SELECT event_id FROM public_cps_za_dlchange WHERE event_id = $1', [
      response.body.eventId,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('answers 500 with one error per failed sink when several fail', async () => {
    app = build({
      kafka_bootstrap_server: `127.0.0.1:${await unusedPort()}`,
      kafka: { idempotent: false, timeout_ms: 1000 },
    });
    peers.eventBridge.failWholeCall(500, { times: 10 });
    const response = await post('sync-two-down');
    expect(response.status).toBe(500);
    const errors = response.body.errors as Array<{ type: string }>;
    expect(errors.map((error) => error.type).sort()).toEqual(['eventbridge', 'kafka']);
    peers.eventBridge.reset();
  });

  it('counts a sink that does not answer within sync_timeout_ms as failed', async () => {
    app = build({ sync_timeout_ms: 500 }, ['eventbridge', 'postgres']);
    peers.eventBridge.stallNext(1);
    const response = await post('sync-stalled');
    expect(response.status).toBe(500);
    const errors = response.body.errors as Array<{ type: string; message: string }>;
    expect(errors.map((error) => error.type)).toEqual(['eventbridge']);
    expect(errors[0]?.message).toMatch(/timed out|500 ms/);
    peers.eventBridge.reset();
  });
});
