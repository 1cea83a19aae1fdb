import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../shared/local/embedded-postgres';
import { PostgresSink } from '../../../shared/sinks/postgres/sink';

// PGlite compiles its WebAssembly module and initialises a cluster on every start.
jest.setTimeout(120_000);

let sequence = 0;
function event(topic: string, payload: unknown = { n: ++sequence }): Envelope {
  return createEnvelope({
    topic,
    payload,
    subject: 'local-user',
    correlationId: `corr-${sequence}`,
    key: `k-${sequence}`,
  });
}

async function query<Row = Record<string, unknown>>(url: string, sql: string): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

describe('embedded Postgres (PGlite over the wire protocol)', () => {
  // A data directory from the start: creating the cluster is the slow part, so it is done once here
  // and the last test restarts on it to check that the data outlives the process.
  let dataRoot: string;
  let dataDir: string;
  let embedded: EmbeddedPostgres;
  let sink: PostgresSink;

  beforeAll(async () => {
    dataRoot = mkdtempSync(path.join(os.tmpdir(), 'eventgate-pglite-'));
    dataDir = path.join(dataRoot, 'pgdata');
    embedded = await startEmbeddedPostgres({ dataDir });
    sink = new PostgresSink({ connectionString: embedded.url, poolMax: 1 });
  });
  afterAll(async () => {
    await sink?.close();
    await embedded?.stop();
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  });

  test('listens on 127.0.0.1', () => {
    expect(new URL(embedded.url).hostname).toBe('127.0.0.1');
  });

  test('the Postgres sink stores a batch there, every column as sent', async () => {
    const events = Array.from({ length: 25 }, (_, i) => event('local.runs', { index: i, tags: ['a', i] }));
    expect(await sink.write(events)).toEqual(events.map((sent) => ({ id: sent.id, ok: true })));

    const rows = await query<{
      event_id: string;
      topic: string;
      received_at: Date;
      subject: string;
      correlation_id: string;
      event_key: string;
      payload: unknown;
    }>(embedded.url, 'SELECT * FROM local_runs');
    expect(rows).toHaveLength(events.length);
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    for (const sent of events) {
      expect(byId.get(sent.id)).toMatchObject({
        topic: sent.topic,
        subject: sent.subject,
        correlation_id: sent.correlationId,
        event_key: sent.key,
        payload: sent.payload,
      });
      expect(byId.get(sent.id)?.received_at.toISOString()).toBe(sent.receivedAt);
    }
  });

  test('a duplicate is reported delivered and stored once', async () => {
    const sent = event('local.dedupe');
    expect(await sink.write([sent])).toEqual([{ id: sent.id, ok: true }]);
    expect(await sink.write([sent, { ...sent, payload: { changed: true } }])).toEqual([
      { id: sent.id, ok: true },
      { id: sent.id, ok: true },
    ]);
    const rows = await query<{ event_id: string; payload: unknown }>(
      embedded.url,
      'SELECT event_id, payload FROM local_dedupe',
    );
    expect(rows).toEqual([{ event_id: sent.id, payload: sent.payload }]);
  });

  test('a rejected row fails for good while its neighbours are stored', async () => {
    const good = [event('local.poison'), event('local.poison')];
    const poison = event('local.poison', { text: 'nul \u0000 here' });
    const outcomes = await sink.write([good[0] as Envelope, poison, good[1] as Envelope]);
    expect(outcomes[1]).toMatchObject({ id: poison.id, ok: false, error: { retryable: false } });
    expect([outcomes[0], outcomes[2]]).toEqual(good.map((sent) => ({ id: sent.id, ok: true })));
    const rows = await query<{ event_id: string }>(embedded.url, 'SELECT event_id FROM local_poison');
    expect(rows.map((row) => row.event_id).sort()).toEqual(good.map((sent) => sent.id).sort());
  });

  test('health is ok', async () => {
    expect(await sink.health()).toEqual({ status: 'ok' });
  });

  test('what was written is there after a stop and a new start on the same directory', async () => {
    const sent = [event('local.kept'), event('local.kept')];
    expect(await sink.write(sent)).toEqual(sent.map((e) => ({ id: e.id, ok: true })));
    await sink.close();
    await embedded.stop();

    embedded = await startEmbeddedPostgres({ dataDir });
    const rows = await query<{ event_id: string }>(embedded.url, 'SELECT event_id FROM local_kept');
    expect(rows.map((row) => row.event_id).sort()).toEqual(sent.map((e) => e.id).sort());

    // The migration ledger survived too; a new sink carries on where the old one stopped.
    sink = new PostgresSink({ connectionString: embedded.url, poolMax: 1 });
    const again = event('local.kept');
    expect(await sink.write([again, sent[0] as Envelope])).toEqual([
      { id: again.id, ok: true },
      { id: sent[0]?.id, ok: true },
    ]);
    const [count] = await query<{ n: number }>(embedded.url, 'SELECT count(*)::int AS n FROM local_kept');
    expect(count?.n).toBe(3);
  });
});
