import { Pool, type PoolConfig } from 'pg';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import {
  PostgresSink,
  type PostgresPool,
  type PostgresSinkOptions,
} from '../../../shared/sinks/postgres/sink';
import { MIGRATIONS_TABLE } from '../../../shared/sinks/postgres/migrations';
import type { DeliveryOutcome } from '../../../shared/sinks/types';
import {
  createTestDatabase,
  startPostgres,
  type PostgresPeer,
  type TestDatabase,
} from '../../peers/postgres';

interface EventRow {
  event_id: string;
  topic: string;
  received_at: Date;
  subject: string | null;
  correlation_id: string | null;
  event_key: string | null;
  payload: unknown;
  inserted_at: Date | null;
}

let sequence = 0;
function event(topic: string, payload: unknown = { n: ++sequence }, extra: Partial<Envelope> = {}): Envelope {
  return {
    ...createEnvelope({
      topic,
      payload,
      subject: `user-${sequence}`,
      correlationId: `corr-${sequence}`,
      key: `key-${sequence}`,
    }),
    ...extra,
  };
}

function failures(outcomes: DeliveryOutcome[]) {
  return outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome]));
}

/** A pool that counts the statements sent through borrowed connections. */
function countingPool(statements: string[]): (config: PoolConfig) => PostgresPool {
  return (config) => {
    const pool = new Pool(config);
    const connect = pool.connect.bind(pool);
    // The pool hands out the same client again and again; wrap each one once.
    const counted = new WeakSet<object>();
    return Object.assign(pool, {
      async connect() {
        const client = await connect();
        if (!counted.has(client)) {
          counted.add(client);
          type Statement = string | { text: string };
          const query = client.query.bind(client) as (
            statement: Statement,
            values?: unknown[],
          ) => Promise<unknown>;
          (client as unknown as { query: typeof query }).query = (statement, values) => {
            statements.push(typeof statement === 'string' ? statement : statement.text);
            return query(statement, values);
          };
        }
        return client;
      },
    }) as unknown as PostgresPool;
  };
}

describe('PostgresSink against a real Postgres', () => {
  let database: TestDatabase;
  const sinks: PostgresSink[] = [];
  const sink = (options: Partial<PostgresSinkOptions> = {}): PostgresSink => {
    const created = new PostgresSink({ connectionString: database.url, ...options });
    sinks.push(created);
    return created;
  };
  const rows = (table: string, schema = 'public') =>
    database.query<EventRow>(`SELECT * FROM "${schema}"."${table}" ORDER BY event_id`);

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((created) => created.close()));
  });
  afterAll(async () => {
    await database?.drop();
  });

  test('a batch becomes one row per event, every column as sent', async () => {
    const topic = 'public.cps.za.runs';
    const events = Array.from({ length: 40 }, (_, i) =>
      event(
        topic,
        { index: i, nested: { list: [1, 'two', null], flag: i % 2 === 0 } },
        i % 5 === 0 ? { subject: null, key: null } : {},
      ),
    );

    const outcomes = await sink().write(events);

    expect(outcomes).toEqual(events.map((sent) => ({ id: sent.id, ok: true })));
    const stored = await rows('public_cps_za_runs');
    expect(stored).toHaveLength(events.length);
    const byId = new Map(stored.map((row) => [row.event_id, row]));
    for (const sent of events) {
      const row = byId.get(sent.id);
      expect(row).toBeDefined();
      expect(row).toMatchObject({
        topic: sent.topic,
        subject: sent.subject,
        correlation_id: sent.correlationId,
        event_key: sent.key,
        payload: sent.payload,
      });
      expect(row?.received_at.toISOString()).toBe(sent.receivedAt);
      expect(row?.inserted_at).toBeInstanceOf(Date);
    }
  });

  test('each topic gets its own table; config may name the table', async () => {
    const first = [event('orders.created'), event('orders.created')];
    const second = [event('billing/Invoice-Sent')];
    const renamed = [event('3d.prints')];

    const outcomes = await sink({ tables: { 'billing/Invoice-Sent': 'invoices' } }).write([
      first[0] as Envelope,
      second[0] as Envelope,
      first[1] as Envelope,
      renamed[0] as Envelope,
    ]);

    expect(failures(outcomes)).toEqual([]);
    expect(outcomes.map((outcome) => outcome.id)).toEqual(
      [first[0], second[0], first[1], renamed[0]].map((e) => e?.id),
    );
    expect((await rows('orders_created')).map((row) => row.event_id).sort()).toEqual(
      first.map((e) => e.id).sort(),
    );
    expect((await rows('invoices')).map((row) => row.event_id)).toEqual(second.map((e) => e.id));
    expect((await rows('t_3d_prints')).map((row) => row.event_id)).toEqual(renamed.map((e) => e.id));
    const derived = await database.query(`SELECT to_regclass('public.billing_invoice_sent') AS name`);
    expect(derived[0]?.name).toBeNull();
  });

  test('a redelivered event is reported delivered and stored once, first version kept', async () => {
    const topic = 'dedupe.topic';
    const original = event(topic, { version: 1 });
    const other = event(topic);
    const target = sink();

    expect(failures(await target.write([original, other]))).toEqual([]);
    const redelivery = { ...original, payload: { version: 2 } };
    const outcomes = await target.write([redelivery, original, other]);
    expect(outcomes).toEqual([
      { id: original.id, ok: true },
      { id: original.id, ok: true },
      { id: other.id, ok: true },
    ]);
    // A second instance (another worker) sees the same.
    expect(failures(await sink().write([original]))).toEqual([]);

    const stored = await rows('dedupe_topic');
    expect(stored.map((row) => row.event_id).sort()).toEqual([original.id, other.id].sort());
    expect(stored.find((row) => row.event_id === original.id)?.payload).toEqual({ version: 1 });
  });

  test('rows Postgres rejects fail for good; their neighbours are stored', async () => {
    const topic = 'poison.batch';
    const good = [event(topic), event(topic), event(topic), event(topic)];
    // jsonb cannot hold a NUL character; a malformed id is not a uuid.
    const nul = event(topic, { text: 'before\u0000after' });
    const badId = { ...event(topic), id: 'not-a-uuid' };
    const batch = [good[0], nul, good[1], good[2], badId, good[3]] as Envelope[];

    const outcomes = await sink().write(batch);

    expect(outcomes.map((outcome) => outcome.id)).toEqual(batch.map((sent) => sent.id));
    const failed = failures(outcomes);
    expect(failed.map((outcome) => outcome.id)).toEqual([nul.id, badId.id]);
    for (const outcome of failed) {
      expect(outcome.error.retryable).toBe(false);
      expect(outcome.error.sink).toBe('postgres');
    }
    expect(failed[0]?.error.message).toMatch(/22P05/);
    expect(failed[1]?.error.message).toMatch(/22P02/);
    expect((await rows('poison_batch')).map((row) => row.event_id).sort()).toEqual(
      good.map((e) => e.id).sort(),
    );
  });

  test('a lone poison event fails for good without harming the next batch', async () => {
    const topic = 'poison.single';
    const target = sink();
    const [outcome] = await target.write([event(topic, 'text with \u0000 inside')]);
    expect(outcome).toMatchObject({ ok: false, error: { retryable: false } });
    const next = event(topic);
    expect(await target.write([next])).toEqual([{ id: next.id, ok: true }]);
    expect((await rows('poison_single')).map((row) => row.event_id)).toEqual([next.id]);
  });

  test('a 1 000-event batch goes to the database as one INSERT', async () => {
    const topic = 'bulk.load';
    const statements: string[] = [];
    const target = sink({ createPool: countingPool(statements) });
    expect(failures(await target.write([event(topic)]))).toEqual([]);
    statements.length = 0;

    const events = Array.from({ length: 1_000 }, () => event(topic));
    const outcomes = await target.write(events);

    expect(failures(outcomes)).toEqual([]);
    // Only the head of each statement: the INSERT text itself is long.
    expect(statements.map((text) => text.slice(0, 60))).toEqual([
      expect.stringMatching(/^INSERT INTO "public"."bulk_load"/),
    ]);
    const [count] = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM bulk_load');
    expect(count?.n).toBe(1_001);
  });

  test('workers migrating the same table at once, and again later, leave one table and one ledger entry', async () => {
    const topic = 'migrate.race';
    const workers = Array.from({ length: 6 }, () => sink());
    const results = await Promise.all(workers.map((worker) => worker.write([event(topic)])));
    expect(results.flatMap(failures)).toEqual([]);

    expect(failures(await sink().write([event(topic)]))).toEqual([]);

    const ledger = await database.query(
      `SELECT table_name, version FROM ${MIGRATIONS_TABLE} WHERE table_name = 'migrate_race' ORDER BY version`,
    );
    expect(ledger).toEqual([
      { table_name: 'migrate_race', version: 1 },
      { table_name: 'migrate_race', version: 2 },
      { table_name: 'migrate_race', version: 3 },
    ]);
    const [count] = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM migrate_race');
    expect(count?.n).toBe(7);
    const indexes = await database.query(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'migrate_race' ORDER BY 1`,
    );
    expect(indexes.map((row) => row.indexname)).toEqual([
      'migrate_race_pkey',
      'migrate_race_received_at_idx',
    ]);
  });

  test('the accepted schema version lands in schema_version, added to a table made before versions', async () => {
    // A table and ledger as the first migration left them, holding a row from before versions.
    await database.query(`CREATE TABLE versioned_topic (
      event_id uuid PRIMARY KEY, topic text NOT NULL, received_at timestamptz NOT NULL, subject text,
      correlation_id text, event_key text, payload jsonb NOT NULL, inserted_at timestamptz NOT NULL DEFAULT now())`);
    await database.query(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (table_name text NOT NULL, version integer NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (table_name, version))`,
    );
    await database.query(
      `INSERT INTO ${MIGRATIONS_TABLE} (table_name, version) VALUES ('versioned_topic', 1)`,
    );
    const old = event('versioned.topic');
    await database.query(
      `INSERT INTO versioned_topic (event_id, topic, received_at, payload) VALUES ($1, $2, $3, '{}')`,
      [old.id, old.topic, old.receivedAt],
    );

    const pinned = event('versioned.topic', { n: 1 }, { schemaVersion: 2 });
    const unversioned = event('versioned.topic');
    expect(failures(await sink().write([pinned, unversioned]))).toEqual([]);

    const stored = await database.query<{ event_id: string; schema_version: number | null }>(
      'SELECT event_id, schema_version FROM versioned_topic',
    );
    expect(new Map(stored.map((row) => [row.event_id, row.schema_version]))).toEqual(
      new Map([
        [old.id, null],
        [pinned.id, 2],
        [unversioned.id, null],
      ]),
    );
  });

  test('a table dropped behind the sink is built again on the next write', async () => {
    const topic = 'dropped.table';
    const target = sink();
    expect(failures(await target.write([event(topic)]))).toEqual([]);
    await database.query('DROP TABLE dropped_table');

    const [lost] = await target.write([event(topic)]);
    expect(lost).toMatchObject({ ok: false, error: { retryable: true } });
    const again = event(topic);
    expect(await target.write([again])).toEqual([{ id: again.id, ok: true }]);
    expect((await rows('dropped_table')).map((row) => row.event_id)).toEqual([again.id]);
  });

  test('a table of the same name made for something else is reported, not written into', async () => {
    await database.query('CREATE TABLE legacy_runs (run_id integer PRIMARY KEY, note text)');
    const [outcome] = await sink().write([event('legacy.runs')]);
    expect(outcome).toMatchObject({ ok: false, error: { retryable: true } });
    expect(outcome?.ok === false && outcome.error.message).toMatch(/legacy_runs.*event_id/);
    const [count] = await database.query<{ n: number }>('SELECT count(*)::int AS n FROM legacy_runs');
    expect(count?.n).toBe(0);
  });

  test('a configured schema is created and holds the tables and the ledger', async () => {
    const sent = event('schema.topic');
    expect(await sink({ schema: 'eventgate_events' }).write([sent])).toEqual([{ id: sent.id, ok: true }]);
    expect((await rows('schema_topic', 'eventgate_events')).map((row) => row.event_id)).toEqual([sent.id]);
    const ledger = await database.query(
      `SELECT DISTINCT table_name FROM eventgate_events.${MIGRATIONS_TABLE}`,
    );
    expect(ledger).toEqual([{ table_name: 'schema_topic' }]);
  });

  test('health is ok while the database answers', async () => {
    expect(await sink().health()).toEqual({ status: 'ok' });
  });
});

describe('PostgresSink when the database goes away', () => {
  let postgres: PostgresPeer;
  const warnings: unknown[][] = [];
  let target: PostgresSink;

  beforeAll(async () => {
    postgres = await startPostgres();
  });
  beforeEach(() => {
    warnings.length = 0;
    target = new PostgresSink({
      connectionString: postgres.url,
      connectTimeoutMs: 1_000,
      healthTimeoutMs: 1_000,
      logger: { warn: (...args: unknown[]) => warnings.push(args) },
    });
  });
  afterEach(async () => {
    await target.close();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  test('a stopped database fails the whole batch as retryable, and the same sink recovers', async () => {
    const topic = 'outage.topic';
    expect(failures(await target.write([event(topic)]))).toEqual([]);

    await postgres.stopServer();
    try {
      const batch = [event(topic), event(topic), event(topic)];
      const outcomes = await target.write(batch);
      expect(outcomes.map((outcome) => outcome.id)).toEqual(batch.map((sent) => sent.id));
      expect(failures(outcomes)).toHaveLength(batch.length);
      for (const outcome of failures(outcomes)) expect(outcome.error.retryable).toBe(true);
      expect(await target.health()).toMatchObject({ status: 'down' });
    } finally {
      await postgres.startServer();
    }

    const after = [event(topic), event(topic)];
    expect(await target.write(after)).toEqual(after.map((sent) => ({ id: sent.id, ok: true })));
    expect(await target.health()).toEqual({ status: 'ok' });
    const [count] = await postgres.query<{ n: number }>('SELECT count(*)::int AS n FROM outage_topic');
    expect(count?.n).toBe(3);
  });

  test('a restart under idle pooled connections is absorbed: no crash, the next write succeeds', async () => {
    const topic = 'restart.topic';
    expect(failures(await target.write([event(topic)]))).toEqual([]);

    await postgres.restart();

    const next = event(topic);
    expect(await target.write([next])).toEqual([{ id: next.id, ok: true }]);
    // The connection the restart killed was reported, not thrown.
    expect(warnings.length).toBeGreaterThan(0);
    const stored = await postgres.query<{ event_id: string }>('SELECT event_id FROM restart_topic');
    expect(stored.map((row) => row.event_id)).toContain(next.id);
  });

  test('a database that was never there fails the batch as retryable', async () => {
    await postgres.stopServer();
    try {
      const unreachable = new PostgresSink({ connectionString: postgres.url, connectTimeoutMs: 1_000 });
      const outcomes = await unreachable.write([event('never.there'), event('never.there')]);
      expect(failures(outcomes).map((outcome) => outcome.error.retryable)).toEqual([true, true]);
      expect(await unreachable.health()).toMatchObject({ status: 'down' });
      await unreachable.close();
    } finally {
      await postgres.startServer();
    }
  });
});
