import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Envelope } from '../../../shared/envelope';
import { createReadHandler } from '../../../shared/read/handler';
import type { ReadApp } from '../../../shared/read/app';
import type { CompiledProjections } from '../../../shared/sinks/postgres/projections/compile';
import { PostgresEventStore } from '../../../shared/sinks/postgres/read-store';
import {
  RUNS_FIRST_BELOW,
  runJobsPlan,
  runJobsStatement,
  windowRunsStatement,
} from '../../../shared/sinks/postgres/run-stats';
import { PostgresSink } from '../../../shared/sinks/postgres/sink';
import { createTestConf, v2Event, type TestConf } from '../../helpers/gateway';
import { envelopeOf, runsPayload, shippedProjections } from '../../helpers/projections';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import { unusedPort } from '../../peers/unused-port';

const RUNS = 'public.cps.za.runs';
const TEST = 'public.cps.za.test';
const WINDOW_START = 1_767_225_600_000;

type Statement = { text: string; values: unknown[] };
const statement = ({ text, values }: Statement): [string, unknown[]] => [text, values];

interface PlanBuffers {
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('read API against a real Postgres', () => {
  let database: TestDatabase;
  let conf: TestConf;
  let read: ReadApp;
  let sink: PostgresSink;
  const testEvents: Envelope[] = [];

  const call = async (
    method: string,
    url: string,
    subject: string | null = 'FooBarUser',
    body?: unknown,
  ): Promise<Answer> => {
    const [route, search = ''] = url.split('?');
    const event: APIGatewayProxyEventV2 = {
      ...v2Event({
        method,
        path: route as string,
        headers: subject === null ? {} : { authorization: `Bearer ${await conf.token(subject)}` },
        body: body === undefined ? null : JSON.stringify(body),
      }),
      queryStringParameters: Object.fromEntries(new URLSearchParams(search)),
    };
    const response = await read(event);
    return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
  };

  beforeAll(async () => {
    [database, conf] = await Promise.all([createTestDatabase(), createTestConf()]);
    // The read form of an access-map entry: the runs publishers as shipped, plus a reader.
    const accessFile = path.join(conf.dir, 'access.json');
    const access = JSON.parse(readFileSync(accessFile, 'utf8')) as Record<string, unknown>;
    access[RUNS] = { publish: access[RUNS], read: ['StatsReader'] };
    writeFileSync(accessFile, JSON.stringify(access));
    read = createReadHandler({ confDir: conf.dir, env: { ...process.env, DATABASE_URL: database.url } });
    sink = new PostgresSink({
      connectionString: database.url,
      projections: shippedProjections(),
      projectionSchema: 'projections',
    });

    // 500 runs of 5 jobs each inside the window, and runs on both sides of it.
    const runs: Envelope[] = [];
    for (let n = 0; n < 500; n++) runs.push(envelopeOf(RUNS, runsPayload(n, 5, WINDOW_START + n * 60_000)));
    runs.push(envelopeOf(RUNS, runsPayload(900, 3, WINDOW_START - 1)));
    runs.push(envelopeOf(RUNS, runsPayload(901, 3, WINDOW_START + 500 * 60_000)));
    for (let start = 0; start < runs.length; start += 100) {
      const outcomes = await sink.write(runs.slice(start, start + 100));
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    }
    // 120 test events received a millisecond apart, some at the same instant.
    for (let n = 0; n < 120; n++) {
      const payload = {
        event_id: `t-${n}`,
        tenant_id: 't',
        source_app: 'a',
        environment: 'dev',
        timestamp: n,
      };
      testEvents.push(envelopeOf(TEST, payload, new Date(WINDOW_START + Math.floor(n / 3))));
    }
    expect((await sink.write(testEvents)).every((outcome) => outcome.ok)).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await sink?.close();
    await database?.drop();
    conf?.cleanup();
  });

  describe('honours the access map', () => {
    test.each<[string, string | null, number]>([
      ['no token', null, 401],
      ['a subject the topic does not list', 'FooUser', 403],
      ['a publisher restricted by field rules', 'RestrictedTestUser', 403],
      ['an unrestricted publisher', 'FooBarUser', 200],
      ['a subject in the read list (any case)', 'statsreader', 200],
    ])('%s', async (_, subject, status) => {
      const first = testEvents[0] as Envelope;
      for (const url of [`/topics/${RUNS}/events`, `/stats/${RUNS}`]) {
        const answer = await call(url.startsWith('/stats') ? 'POST' : 'GET', url, subject, {});
        expect(answer.status).toBe(status);
        if (status !== 200) expect(answer.body).toMatchObject({ success: false, statusCode: status });
      }
      // The read list of runs grants nothing on another topic.
      const other = await call('GET', `/topics/${TEST}/events/${first.id}`, subject);
      expect(other.status).toBe(subject === null ? 401 : 403);
    });

    test('an unknown topic is a 404, after the token', async () => {
      expect((await call('GET', '/topics/no.such.topic/events')).status).toBe(404);
      expect((await call('GET', '/topics/no.such.topic/events', null)).status).toBe(401);
    });
  });

  test('GET one event: the stored event and where it was delivered', async () => {
    const wanted = testEvents[7] as Envelope;
    const answer = await call('GET', `/topics/${TEST}/events/${wanted.id}`, 'TestUser');
    expect(answer.status).toBe(200);
    expect(answer.body.event).toMatchObject({
      eventId: wanted.id,
      topic: TEST,
      receivedAt: wanted.receivedAt,
      subject: wanted.subject,
      correlationId: wanted.correlationId,
      payload: wanted.payload,
    });
    expect(answer.body.deliveries).toEqual([
      { sink: 'postgres', status: 'delivered', at: expect.any(String) },
    ]);
    const missing = await call(
      'GET',
      `/topics/${TEST}/events/00000000-0000-4000-8000-000000000000`,
      'TestUser',
    );
    expect(missing).toMatchObject({ status: 404, body: { errors: [{ type: 'event' }] } });
    expect((await call('GET', `/topics/${TEST}/events/not-a-uuid`, 'TestUser')).status).toBe(400);
  });

  test('GET events pages through a window with an opaque cursor, each event once, oldest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    const since = new Date(WINDOW_START + 5).toISOString();
    do {
      const query: string = `since=${encodeURIComponent(since)}&until=${WINDOW_START + 35}&limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const answer = await call('GET', `/topics/${TEST}/events?${query}`, 'TestUser');
      expect(answer.status).toBe(200);
      const page = answer.body.data as Array<{ eventId: string }>;
      seen.push(...page.map((event) => event.eventId));
      cursor = (answer.body.pagination as { cursor: string | null }).cursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    const expected = testEvents
      .filter((event) => {
        const at = Date.parse(event.receivedAt);
        return at >= WINDOW_START + 5 && at < WINDOW_START + 35;
      })
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id))
      .map((event) => event.id);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 7));
  });

  test.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['since=yesterday', 'since'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
  ])('GET events refuses %s with a 400', async (query, field) => {
    const answer = await call('GET', `/topics/${TEST}/events?${query}`, 'TestUser');
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body.errors)).toContain(field);
  });

  test('stats pages through 2,500 jobs of the window exactly once, newest first', async () => {
    const ids: number[] = [];
    let cursor: number | null = null;
    let first: Record<string, unknown> | undefined;
    for (let page = 0; page < 100; page++) {
      const body: Record<string, unknown> = {
        timestamp_start: WINDOW_START,
        timestamp_end: WINDOW_START + 499 * 60_000,
        limit: 300,
      };
      if (cursor !== null) body.cursor = cursor;
      const answer = await call('POST', `/stats/${RUNS}`, 'StatsReader', body);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ success: true, statusCode: 200 });
      const data = answer.body.data as Array<Record<string, unknown>>;
      first ??= data[0];
      ids.push(...data.map((row) => row.internal_id as number));
      const pagination = answer.body.pagination as {
        cursor: number | null;
        has_more: boolean;
        limit: number;
      };
      expect(pagination.limit).toBe(300);
      cursor = pagination.cursor;
      if (!pagination.has_more) break;
    }
    expect(ids).toHaveLength(2500);
    expect(new Set(ids).size).toBe(2500);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const inWindow = await database.query<{ internal_id: string }>(
      `SELECT j.internal_id FROM projections.public_cps_za_runs_jobs j JOIN projections.public_cps_za_runs r USING (event_id)
        WHERE r.timestamp_start BETWEEN $1 AND $2 ORDER BY j.internal_id DESC`,
      [WINDOW_START, WINDOW_START + 499 * 60_000],
    );
    expect(ids).toEqual(inWindow.map((row) => Number(row.internal_id)));
    // The newest job is the last job of the last run; its row has the Python shape.
    const start = WINDOW_START + 499 * 60_000 + 4;
    expect(first).toEqual({
      event_id: 'run-499',
      job_ref: 'ref-499',
      tenant_id: 'Dem',
      source_app: 'app',
      source_app_version: '1.0',
      environment: 'dev',
      run_timestamp_start: WINDOW_START + 499 * 60_000,
      run_timestamp_end: WINDOW_START + 499 * 60_000 + 500,
      internal_id: ids[0],
      country: 'za',
      catalog_id: 'catalog-499-4',
      status: 'succeeded',
      timestamp_start: start,
      timestamp_end: start + 100,
      message: null,
      additional_info: { attempt: 4 },
      run_date: '01-01-2026',
      run_status: 'succeeded',
      formatted_tenant: 'dem',
      elapsed_time: 100,
      start_time: '2026-01-01 08:19:00',
      end_time: '2026-01-01 08:19:00',
    });
  });

  test('stats: defaults, clamping and the Python error messages', async () => {
    const clamped = await call('POST', `/stats/${RUNS}`, 'StatsReader', { timestamp_start: 0, limit: 5000 });
    expect((clamped.body.pagination as { limit: number }).limit).toBe(1000);
    expect(clamped.body.data).toHaveLength(1000);
    const none = await call('POST', `/stats/${RUNS}`, 'StatsReader');
    expect(none.status).toBe(200);
    const bad = async (body: unknown) => (await call('POST', `/stats/${RUNS}`, 'StatsReader', body)).body;
    expect(await bad([1])).toMatchObject({
      statusCode: 400,
      errors: [{ message: 'Request body must be a JSON object.' }],
    });
    expect(await bad({ timestamp_start: true })).toMatchObject({ statusCode: 400 });
    expect(await bad({ limit: 0 })).toMatchObject({ statusCode: 400 });
    const other = await call('POST', `/stats/${TEST}`, 'TestUser', {});
    expect(other.status).toBe(400);
    expect(JSON.stringify(other.body)).toContain("Stats are only supported for topics 'public.cps.za.runs'.");
  });

  test('stats reads a window of few runs through those runs: the same rows as the walk, without the newer jobs', async () => {
    const tables = {
      runs: 'projections.public_cps_za_runs',
      jobs: 'projections.public_cps_za_runs_jobs',
      startIndexed: true,
    };
    await database.query('ANALYZE');
    const minutes = (n: number): number => WINDOW_START + n * 60_000;
    const windows: Array<[number, number]> = [
      [minutes(0), minutes(9)],
      [minutes(200), minutes(260)],
      [WINDOW_START - 1, minutes(500)],
      [minutes(600), minutes(700)],
    ];
    for (const [timestampStart, timestampEnd] of windows) {
      const first = { timestampStart, timestampEnd, cursor: null, limit: 7 };
      const walked = await database.query(...statement(runJobsStatement(tables, first, 'newest-jobs-first')));
      const cursor = walked.length > 3 ? Number(walked[3]?.internal_id) : null;
      for (const request of [first, { ...first, cursor }]) {
        const walk = await database.query(
          ...statement(runJobsStatement(tables, request, 'newest-jobs-first')),
        );
        const runsFirst = await database.query(...statement(runJobsStatement(tables, request, 'runs-first')));
        expect(runsFirst).toEqual(walk);
      }
    }
    const [counted] = await database.query<{ runs: number }>(
      ...statement(
        windowRunsStatement(tables, {
          timestampStart: minutes(0),
          timestampEnd: minutes(9),
          cursor: null,
          limit: 7,
        }),
      ),
    );
    expect(counted?.runs).toBe(10);
    expect(runJobsPlan(10)).toBe('runs-first');
    expect(runJobsPlan(RUNS_FIRST_BELOW)).toBe('newest-jobs-first');
  });

  test('reads over a read-only connection with a statement timeout', async () => {
    const store = new PostgresEventStore({
      postgres: { connectionString: database.url },
      statementTimeoutMs: 300,
    });
    try {
      expect(await store.query('SHOW default_transaction_read_only', [])).toEqual([
        { default_transaction_read_only: 'on' },
      ]);
      await expect(store.query('CREATE TABLE sneaky (id int)', [])).rejects.toThrow('read-only');
      await expect(store.query('SELECT pg_sleep(2)', [])).rejects.toThrow('statement timeout');
    } finally {
      await store.close();
    }
  });

  test('a database that cannot be reached is a 503 in the error shape', async () => {
    const port = await unusedPort();
    const offline = createReadHandler({
      confDir: conf.dir,
      env: { ...process.env, DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/none` },
      store: { connectTimeoutMs: 500 },
    });
    const response = await offline(
      v2Event({
        method: 'GET',
        path: `/topics/${TEST}/events`,
        headers: { authorization: `Bearer ${await conf.token('TestUser')}` },
      }),
    );
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({
      success: false,
      statusCode: 503,
      errors: [{ type: 'database' }],
    });
  });
});

describe('stats over a window in the past, on a table of 20,000 runs', () => {
  const tables = {
    runs: 'projections.public_cps_za_runs',
    jobs: 'projections.public_cps_za_runs_jobs',
    startIndexed: true,
  };
  let database: TestDatabase;

  /**
   * Pages of tables and indexes that running the statement touched, from EXPLAIN ANALYZE: the work
   * a plan does, whichever join Postgres picks for it.
   */
  const pagesTouched = async (query: Statement): Promise<number> => {
    const [row] = await database.query<{ 'QUERY PLAN': Array<{ Plan: PlanBuffers }> }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query.text}`,
      query.values,
    );
    const plan = row?.['QUERY PLAN'][0]?.Plan;
    return (plan?.['Shared Hit Blocks'] ?? 0) + (plan?.['Shared Read Blocks'] ?? 0);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const sink = new PostgresSink({
      connectionString: database.url,
      projections: shippedProjections(),
      projectionSchema: 'projections',
    });
    try {
      // Runs a second apart, three jobs each, written in the order they started.
      for (let first = 0; first < 20_000; first += 100) {
        const batch = Array.from({ length: 100 }, (_, index) =>
          envelopeOf(RUNS, runsPayload(first + index, 3, WINDOW_START + (first + index) * 1_000)),
        );
        const outcomes = await sink.write(batch);
        expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
      }
    } finally {
      await sink.close();
    }
    // As autovacuum leaves a live table: the planner knows the start times.
    await database.query('ANALYZE');
  }, 120_000);

  afterAll(async () => {
    await database?.drop();
  });

  test('a page of the oldest ten minutes is read through their runs: a tenth of the pages the walk past 58,200 newer jobs touches', async () => {
    const oldest = {
      timestampStart: WINDOW_START,
      timestampEnd: WINDOW_START + 599_000,
      cursor: null,
      limit: 7,
    };
    const [counted] = await database.query<{ runs: number }>(
      ...statement(windowRunsStatement(tables, oldest)),
    );
    expect(runJobsPlan(counted?.runs ?? -1)).toBe('runs-first');
    const runsFirst = await pagesTouched(runJobsStatement(tables, oldest, 'runs-first'));
    const walk = await pagesTouched(runJobsStatement(tables, oldest, 'newest-jobs-first'));
    // About the jobs table's own pages against a probe of the runs index for every newer job.
    expect(walk).toBeGreaterThan(10 * runsFirst);
    const rows = await database.query(...statement(runJobsStatement(tables, oldest, 'runs-first')));
    expect(rows.map((row) => row.event_id)).toEqual([
      'run-599',
      'run-599',
      'run-599',
      'run-598',
      'run-598',
      'run-598',
      'run-597',
      'run-597',
    ]);
  });

  /** Two jobs of the runs of the first ten minutes, the oldest of the table. */
  const OLDEST_TEN_MINUTES = {
    timestampStart: WINDOW_START,
    timestampEnd: WINDOW_START + 599_000,
    cursor: null,
    limit: 2,
  };

  /** A store over the test database that notes the text of every statement it runs. */
  const recordingStore = (
    projections: CompiledProjections,
  ): { store: PostgresEventStore; statements: string[] } => {
    const store = new PostgresEventStore({
      postgres: { connectionString: database.url, projections, projectionSchema: 'projections' },
    });
    const statements: string[] = [];
    const query = store.query.bind(store);
    store.query = (text, values) => {
      statements.push(text);
      return query(text, values);
    };
    return { store, statements };
  };

  test('the store picks the plan from the window it is asked for', async () => {
    const { store, statements } = recordingStore(shippedProjections());
    try {
      const oldest = await store.runJobs(RUNS, OLDEST_TEN_MINUTES);
      expect(oldest.jobs.map((job) => job.eventId)).toEqual(['run-599', 'run-599']);
      expect(oldest.hasMore).toBe(true);
      const newest = await store.runJobs(RUNS, {
        timestampStart: WINDOW_START,
        timestampEnd: WINDOW_START + 20_000 * 1_000,
        cursor: null,
        limit: 2,
      });
      expect(newest.jobs.map((job) => job.eventId)).toEqual(['run-19999', 'run-19999']);
      // Each page: the count of the window's runs, then the page in the plan that count chose.
      expect(statements).toHaveLength(4);
      expect(statements[1]).toContain('MATERIALIZED');
      expect(statements[3]).not.toContain('MATERIALIZED');
    } finally {
      await store.close();
    }
  });

  test('without an index on the runs’ start times, the store walks without counting', async () => {
    const unindexed = new Map(
      [...shippedProjections()].map(([topic, projected]) => [
        topic,
        projected.map((table) => ({ ...table, indexes: [] })),
      ]),
    );
    const { store, statements } = recordingStore(unindexed);
    try {
      const oldest = await store.runJobs(RUNS, OLDEST_TEN_MINUTES);
      expect(oldest.jobs.map((job) => job.eventId)).toEqual(['run-599', 'run-599']);
      expect(statements).toHaveLength(1);
      expect(statements[0]).not.toContain('MATERIALIZED');
    } finally {
      await store.close();
    }
  });

  test('a window of 2,000 runs or more holding the newest is walked, touching a few pages', async () => {
    const newest = {
      timestampStart: WINDOW_START + 10_000 * 1_000,
      timestampEnd: WINDOW_START + 20_000 * 1_000,
      cursor: null,
      limit: 50,
    };
    const [counted] = await database.query<{ runs: number }>(
      ...statement(windowRunsStatement(tables, newest)),
    );
    expect(counted?.runs).toBe(RUNS_FIRST_BELOW);
    expect(runJobsPlan(counted?.runs ?? -1)).toBe('newest-jobs-first');
    expect(await pagesTouched(runJobsStatement(tables, newest, 'newest-jobs-first'))).toBeLessThan(200);
  });
});
