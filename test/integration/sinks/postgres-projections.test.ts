import { randomUUID } from 'node:crypto';
import { Pool, type PoolConfig } from 'pg';
import type { Envelope } from '../../../shared/envelope';
import {
  PostgresSink,
  type PostgresPool,
  type PostgresSinkOptions,
} from '../../../shared/sinks/postgres/sink';
import { compileProjections } from '../../../shared/sinks/postgres/projections/compile';
import type { DeliveryOutcome } from '../../../shared/sinks/types';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import { envelopeOf, runsPayload, shippedProjections } from '../../helpers/projections';

const RUNS = 'public.cps.za.runs';
const STATUS = 'public.cps.za.status_change';

function failures(outcomes: DeliveryOutcome[]) {
  return outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome]));
}

/** A pool recording the text of every statement sent on borrowed connections. */
function recordingPool(statements: string[]): (config: PoolConfig) => PostgresPool {
  return (config) => {
    const pool = new Pool(config);
    const connect = pool.connect.bind(pool);
    const wrapped = new WeakSet<object>();
    return Object.assign(pool, {
      async connect() {
        const client = await connect();
        if (!wrapped.has(client)) {
          wrapped.add(client);
          const query = client.query.bind(client) as (
            statement: unknown,
            values?: unknown[],
          ) => Promise<unknown>;
          (client as unknown as { query: typeof query }).query = (statement, values) => {
            statements.push(typeof statement === 'string' ? statement : (statement as { text: string }).text);
            return query(statement, values);
          };
        }
        return client;
      },
    }) as unknown as PostgresPool;
  };
}

/** A tiny seeded generator, so a failing sequence can be replayed from the seed in the message. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENT_TYPES = [
  ['JobCreatedEvent', 'WAITING'],
  ['JobCreatedAndStartedEvent', 'RUNNING'],
  ['JobStartedEvent', 'RUNNING'],
  ['JobUpdatedEvent', 'RUNNING'],
  ['JobFinishedEvent', 'FAILED'],
] as const;

/** A life of some jobs: events with random fields left out or null, colliding times and context keys. */
function statusChangeSequence(next: () => number, jobs: readonly string[], count: number): Envelope[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const maybe = <T>(value: T): T | null | undefined => {
    const roll = next();
    return roll < 0.25 ? undefined : roll < 0.4 ? null : value;
  };
  return Array.from({ length: count }, (_, n) => {
    const [eventType, statusType] = pick(EVENT_TYPES);
    const payload: Record<string, unknown> = {
      event_type: eventType,
      event_id: randomUUID(),
      job_id: pick(jobs),
      status_type: statusType,
      // Few distinct times, so ties (broken by event id) are common.
      timestamp_event: 1_767_225_600_000 + Math.floor(next() * 6) * 1000,
      job_name: `job-${n}`,
      source_app: 'scheduler',
      source_app_version: `1.${n}`,
      environment: 'dev',
      definition_id: `def-${Math.floor(next() * 3)}`,
      platform: pick(['glue', 'emr']),
    };
    const optional: Record<string, unknown> = {
      tenant_id: maybe(pick(['a', 'b', 'c'])),
      status_subtype: maybe(`sub-${n}`),
      status_detail: maybe(`detail-${n}`),
      attempt_number: maybe(1 + Math.floor(next() * 3)),
      platform_metadata: maybe({ cluster: n }),
      additional_context: maybe(
        Object.fromEntries([
          [pick(['x', 'y', 'z']), n],
          [pick(['x', 'w']), `v${n}`],
        ]),
      ),
      parent_job_id: maybe(pick(jobs)),
    };
    for (const [field, value] of Object.entries(optional)) if (value !== undefined) payload[field] = value;
    return envelopeOf(STATUS, payload);
  });
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe('Postgres projections against a real Postgres', () => {
  let database: TestDatabase;
  const sinks: PostgresSink[] = [];
  const sink = (options: Partial<PostgresSinkOptions> = {}): PostgresSink => {
    const created = new PostgresSink({
      connectionString: database.url,
      projections: shippedProjections(),
      projectionSchema: 'projections',
      ...options,
    });
    sinks.push(created);
    return created;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((created) => created.close()));
  });
  afterAll(async () => {
    await database?.drop();
  });

  test('a runs event yields one run row and one job row per job, once however often it is delivered', async () => {
    const statements: string[] = [];
    const writer = sink({ createPool: recordingPool(statements) });
    const events = [
      envelopeOf(RUNS, runsPayload(1, 3)),
      envelopeOf(RUNS, runsPayload(2, 5)),
      envelopeOf(RUNS, runsPayload(3, 0)),
    ];

    expect(failures(await writer.write(events))).toEqual([]);
    const inserts = statements.filter((text) =>
      /^INSERT INTO "(public|projections)"\."public_cps_za_runs/.test(text),
    );
    // The event table, the runs table, the jobs table: one statement each for the whole batch.
    expect(inserts).toHaveLength(3);
    expect(failures(await writer.write([...events, events[0] as Envelope]))).toEqual([]);

    const runs = await database.query('SELECT * FROM projections.public_cps_za_runs ORDER BY event_id');
    expect(runs).toEqual([
      {
        event_id: 'run-1',
        job_ref: 'ref-1',
        tenant_id: 'Dem',
        source_app: 'app',
        source_app_version: '1.0',
        environment: 'dev',
        timestamp_start: String(runsPayload(1, 0).timestamp_start),
        timestamp_end: String((runsPayload(1, 0).timestamp_start as number) + 500),
      },
      expect.objectContaining({ event_id: 'run-2' }),
      expect.objectContaining({ event_id: 'run-3' }),
    ]);
    const jobs = await database.query<{
      event_id: string;
      item_index: number;
      catalog_id: string;
      message: string | null;
      additional_info: unknown;
    }>(
      'SELECT event_id, item_index, catalog_id, message, additional_info FROM projections.public_cps_za_runs_jobs ORDER BY internal_id',
    );
    expect(jobs.filter((job) => job.event_id === 'run-1')).toEqual([
      {
        event_id: 'run-1',
        item_index: 0,
        catalog_id: 'catalog-1-0',
        message: 'no data found',
        additional_info: { attempt: 0 },
      },
      {
        event_id: 'run-1',
        item_index: 1,
        catalog_id: 'catalog-1-1',
        message: null,
        additional_info: { attempt: 1 },
      },
      {
        event_id: 'run-1',
        item_index: 2,
        catalog_id: 'catalog-1-2',
        message: null,
        additional_info: { attempt: 2 },
      },
    ]);
    expect(jobs.filter((job) => job.event_id === 'run-2')).toHaveLength(5);
    expect(jobs).toHaveLength(8);
    // The generic table is still written.
    const stored = await database.query('SELECT event_id FROM public.public_cps_za_runs');
    expect(stored).toHaveLength(3);
  });

  test('an event that does not fit the mapping fails alone, for good, naming the field', async () => {
    const bad = runsPayload(10, 2);
    (bad.jobs as Array<Record<string, unknown>>)[1] = {
      catalog_id: 'c',
      timestamp_start: 1,
      timestamp_end: 2,
    };
    const fractional = { ...runsPayload(11, 1), timestamp_start: 1.5 };
    const events = [
      envelopeOf(RUNS, runsPayload(12, 1)),
      envelopeOf(RUNS, bad),
      envelopeOf(RUNS, fractional),
    ];

    const outcomes = await sink().write(events);

    expect(outcomes[0]).toEqual({ id: events[0]?.id, ok: true });
    const [missing, wrongType] = failures(outcomes);
    expect(missing?.error.retryable).toBe(false);
    expect(missing?.error.message).toContain('column "status": /jobs/1/status is missing or null');
    expect(wrongType?.error.message).toContain(
      'column "timestamp_start" from /timestamp_start: number 1.5 does not fit a bigint column',
    );
    const runs = await database.query(
      "SELECT event_id FROM projections.public_cps_za_runs WHERE event_id LIKE 'run-1_'",
    );
    expect(runs).toEqual([{ event_id: 'run-12' }]);
  });

  test('a value Postgres refuses fails only its own event', async () => {
    const events = [
      envelopeOf('public.cps.za.test', {
        event_id: 'nul-1',
        tenant_id: 't',
        source_app: 'a',
        environment: 'dev',
        timestamp: 1,
        additional_info: { text: 'bad\u0000' },
      }),
      envelopeOf('public.cps.za.test', {
        event_id: 'ok-1',
        tenant_id: 't',
        source_app: 'a',
        environment: 'dev',
        timestamp: 2,
      }),
    ];
    const outcomes = await sink().write(events);
    // jsonb refuses the NUL in the event table already; the projection never sees that event.
    expect(outcomes[0]?.ok).toBe(false);
    expect(outcomes[1]).toEqual({ id: events[1]?.id, ok: true });
    expect(
      await database.query('SELECT event_id, timestamp_event FROM projections.public_cps_za_test'),
    ).toEqual([{ event_id: 'ok-1', timestamp_event: '2' }]);
  });

  test('migrations add configured columns to an existing table and refuse one of another type', async () => {
    const projections = (extra: Record<string, unknown>) =>
      compileProjections({
        'mig.topic': [
          { table: 'mig_table', key: ['id'], columns: { id: { type: 'text', pointer: '/id' }, ...extra } },
        ],
      } as never);
    const first = sink({ projections: projections({}), projectionSchema: 'migrating' });
    expect(failures(await first.write([envelopeOf('mig.topic', { event_id: 'a', id: 'a' })]))).toEqual([]);
    const second = sink({
      projections: projections({ size: { type: 'integer', pointer: '/size' } }),
      projectionSchema: 'migrating',
    });
    expect(
      failures(await second.write([envelopeOf('mig.topic', { event_id: 'b', id: 'b', size: 3 })])),
    ).toEqual([]);
    expect(await database.query('SELECT id, size FROM migrating.mig_table ORDER BY id')).toEqual([
      { id: 'a', size: null },
      { id: 'b', size: 3 },
    ]);
    const third = sink({
      projections: projections({ size: { type: 'text', pointer: '/size' } }),
      projectionSchema: 'migrating',
    });
    const [outcome] = await third.write([envelopeOf('mig.topic', { event_id: 'c', id: 'c', size: 'x' })]);
    expect(outcome?.ok).toBe(false);
    expect(outcome?.ok === false && outcome.error.message).toContain('column size of type int4');
  });

  test('status_change events converge to the in-order aggregate whatever the order, batching and duplicates', async () => {
    const aggregate = (schema: string) =>
      database.query(`SELECT * FROM ${schema}.public_cps_za_status_change_aggregated_job ORDER BY job_id`);
    const rounds = 12;
    for (let round = 0; round < rounds; round++) {
      const seed = 1000 + round;
      const next = random(seed);
      const jobs = Array.from({ length: 3 }, () => randomUUID());
      const events = statusChangeSequence(next, jobs, 8 + Math.floor(next() * 10));
      const stampOf = (event: Envelope) =>
        `${(event.payload as { timestamp_event: number }).timestamp_event}/${event.id}`;
      const inOrder = [...events].sort((a, b) => (stampOf(a) < stampOf(b) ? -1 : 1));

      const reference = sink({ projectionSchema: `ordered_${round}`, schema: `ordered_${round}` });
      for (const event of inOrder) expect(failures(await reference.write([event]))).toEqual([]);

      const delivery = shuffled([...events, ...events.filter(() => next() < 0.5)], next);
      const scrambled = sink({ projectionSchema: `shuffled_${round}`, schema: `shuffled_${round}` });
      while (delivery.length > 0) {
        const batch = delivery.splice(0, 1 + Math.floor(next() * 6));
        expect(failures(await scrambled.write(batch))).toEqual([]);
      }
      const expected = await aggregate(`ordered_${round}`);
      expect(expected.length).toBeGreaterThan(0);
      const actual = await aggregate(`shuffled_${round}`);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(
          `seed ${seed}: shuffled delivery gave ${JSON.stringify(actual)}, in order ${JSON.stringify(expected)}`,
        );
      }
    }
  });

  test('the aggregate follows the documented rules', async () => {
    const job = randomUUID();
    const at = (seconds: number) => 1_767_225_600_000 + seconds * 1000;
    const base = {
      job_id: job,
      source_app: 's',
      source_app_version: '1',
      environment: 'dev',
      job_name: 'j',
      definition_id: 'd',
      platform: 'glue',
    };
    const events = [
      {
        ...base,
        event_id: randomUUID(),
        event_type: 'JobCreatedEvent',
        status_type: 'WAITING',
        timestamp_event: at(1),
        tenant_id: 'first',
        status_detail: 'queued',
        additional_context: { a: 1, b: 1 },
      },
      {
        ...base,
        event_id: randomUUID(),
        event_type: 'JobStartedEvent',
        status_type: 'RUNNING',
        timestamp_event: at(2),
        attempt_number: 2,
        additional_context: { b: 2 },
      },
      {
        ...base,
        event_id: randomUUID(),
        event_type: 'JobFinishedEvent',
        status_type: 'SUCCEEDED',
        timestamp_event: at(3),
        tenant_id: null,
        additional_context: { c: 3 },
      },
    ].map((payload) => envelopeOf(STATUS, payload));
    // Newest first, with a duplicate.
    const writer = sink({ projectionSchema: 'rules', schema: 'rules' });
    expect(failures(await writer.write([events[2] as Envelope]))).toEqual([]);
    expect(
      failures(await writer.write([events[0] as Envelope, events[1] as Envelope, events[2] as Envelope])),
    ).toEqual([]);

    const [row] = await database.query('SELECT * FROM rules.public_cps_za_status_change_aggregated_job');
    expect(row).toMatchObject({
      job_id: job,
      status_type: 'SUCCEEDED',
      // latest: the finishing event had no detail, so there is none.
      status_detail: null,
      // latest non-null: the finishing event's null does not erase it.
      tenant_id: 'first',
      attempt_number: 2,
      additional_context: { a: 1, b: 2, c: 3 },
      created_at: new Date(at(1)),
      started_at: new Date(at(2)),
      finished_at: new Date(at(3)),
      last_updated_at: new Date(at(3)),
    });
  });
});
