import { createEnvelope, type Envelope } from '../../../shared/envelope';
import {
  MAX_ROWS_PER_STATEMENT,
  PostgresSink,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  type PostgresSinkOptions,
} from '../../../shared/sinks/postgres/sink';
import { classifyPostgresError } from '../../../shared/sinks/postgres/errors';
import { INSERT_COLUMNS, LATEST_EVENT_TABLE_VERSION } from '../../../shared/sinks/postgres/migrations';
import type { DeliveryOutcome } from '../../../shared/sinks/types';

interface Statement {
  text: string;
  values: unknown[];
}

type Answer = PostgresQueryResult | Error;
type Responder = (statement: Statement) => Answer | Promise<Answer> | undefined;

/** Server errors carry a SQLSTATE and a severity, as pg's DatabaseError does. */
function serverError(code: string, message = `server error ${code}`): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

const isInsert = (statement: Statement): boolean => statement.text.startsWith('INSERT INTO "public"."');
const tuples = (statement: Statement): number => statement.values.length / INSERT_COLUMNS.length;

/**
 * Stands in for pg.Pool: records every statement, answers the migration check with "up to date",
 * and lets each test decide what the INSERTs do.
 */
class StubPool implements PostgresPool {
  readonly statements: Statement[] = [];
  readonly releases: boolean[] = [];
  readonly errorListeners: ((error: Error) => void)[] = [];
  connectError: Error | undefined;
  ended = false;

  constructor(private readonly respond: Responder = () => undefined) {}

  async query(text: string, values: unknown[] = []): Promise<PostgresQueryResult> {
    return this.run({ text, values });
  }

  async connect(): Promise<PostgresPoolClient> {
    if (this.connectError) throw this.connectError;
    return {
      // Named statements arrive as { name, text, values }; the stub records their text.
      query: (statement, values = []) =>
        typeof statement === 'string'
          ? this.run({ text: statement, values })
          : this.run({ text: statement.text, values: statement.values ?? values }),
      release: (destroy) => {
        this.releases.push(Boolean(destroy));
      },
      on: () => undefined,
      off: () => undefined,
    };
  }

  async end(): Promise<void> {
    this.ended = true;
  }

  on(_event: 'error', listener: (error: Error) => void): void {
    this.errorListeners.push(listener);
  }

  inserts(): Statement[] {
    return this.statements.filter(isInsert);
  }

  private async run(statement: Statement): Promise<PostgresQueryResult> {
    this.statements.push(statement);
    const answer = (await this.respond(statement)) ?? this.defaultAnswer(statement);
    if (answer instanceof Error) throw answer;
    return answer;
  }

  private defaultAnswer(statement: Statement): PostgresQueryResult {
    if (statement.text.includes('to_regclass')) return { rows: [{ ledger: true, table: true }], rowCount: 1 };
    if (statement.text.includes('max(version)'))
      return { rows: [{ version: LATEST_EVENT_TABLE_VERSION }], rowCount: 1 };
    if (isInsert(statement)) return { rows: [], rowCount: tuples(statement) };
    return { rows: [], rowCount: 0 };
  }
}

function sinkWith(pool: StubPool, options: Partial<PostgresSinkOptions> = {}): PostgresSink {
  return new PostgresSink({ connectionString: 'postgres://stub', createPool: () => pool, ...options });
}

let sequence = 0;
function events(count: number, topic = 'orders.created'): Envelope[] {
  return Array.from({ length: count }, () =>
    createEnvelope({
      topic,
      payload: { n: ++sequence },
      subject: 'alice',
      correlationId: `c-${sequence}`,
      key: `k-${sequence}`,
    }),
  );
}

const failed = (outcomes: DeliveryOutcome[]) => outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome]));

describe('PostgresSink statements', () => {
  test('a 1 000-event batch is one INSERT carrying every row', async () => {
    const pool = new StubPool();
    const batch = events(1_000);

    const outcomes = await sinkWith(pool).write(batch);

    expect(outcomes).toEqual(batch.map((event) => ({ id: event.id, ok: true })));
    const inserts = pool.inserts();
    expect(inserts).toHaveLength(1);
    expect(tuples(inserts[0] as Statement)).toBe(1_000);
    expect(inserts[0]?.text).toMatch(/ON CONFLICT \(event_id\) DO NOTHING$/);
    expect(inserts[0]?.text).toContain('$8999::jsonb, $9000::integer)');
  });

  test('the migration check runs once per table, not once per batch', async () => {
    const pool = new StubPool();
    const sink = sinkWith(pool);
    await sink.write(events(3));
    await sink.write(events(3));
    await sink.write(events(3));
    expect(pool.statements.filter((statement) => statement.text.includes('to_regclass'))).toHaveLength(1);
    expect(pool.inserts()).toHaveLength(3);
  });

  test('each row carries the envelope fields in column order, the payload as JSON text', async () => {
    const pool = new StubPool();
    const [first] = events(1) as [Envelope];
    const event = { ...first, schemaVersion: 4 };
    await sinkWith(pool).write([event]);
    expect(pool.inserts()[0]?.values).toEqual([
      event.id,
      event.topic,
      event.receivedAt,
      event.subject,
      event.correlationId,
      event.key,
      JSON.stringify(event.payload),
      null,
      4,
    ]);
    expect(pool.inserts()[0]?.text).toContain(
      '(event_id, topic, received_at, subject, correlation_id, event_key, payload, cloud_event, schema_version)',
    );
  });

  test('an event that arrived as a CloudEvent carries its attributes as JSON text', async () => {
    const pool = new StubPool();
    const [event] = events(1) as [Envelope];
    event.cloudEvent = { specversion: '1.0', id: 'ce-1', source: '/jobs', type: 'job.done' };
    await sinkWith(pool).write([event]);
    expect(pool.inserts()[0]?.values?.at(-2)).toBe(JSON.stringify(event.cloudEvent));
  });

  test('a batch beyond the bind-parameter limit is split into as few statements as fit', async () => {
    const pool = new StubPool();
    const batch = events(MAX_ROWS_PER_STATEMENT + 10);

    const outcomes = await sinkWith(pool).write(batch);

    expect(failed(outcomes)).toEqual([]);
    const inserts = pool.inserts();
    expect(inserts.map(tuples)).toEqual([MAX_ROWS_PER_STATEMENT, 10]);
    for (const statement of inserts) expect(statement.values.length).toBeLessThanOrEqual(65_535);
  });

  test('topics are written to their own tables, outcomes stay in input order', async () => {
    const pool = new StubPool();
    const a = events(2, 'orders.created');
    const b = events(2, 'orders.paid');
    const batch = [a[0], b[0], a[1], b[1]] as Envelope[];

    const outcomes = await sinkWith(pool, { tables: { 'orders.paid': 'payments' } }).write(batch);

    expect(outcomes.map((outcome) => outcome.id)).toEqual(batch.map((event) => event.id));
    expect(failed(outcomes)).toEqual([]);
    const targets = pool
      .inserts()
      .map((statement) => /^INSERT INTO ("\w+"\."\w+")/.exec(statement.text)?.[1]);
    expect(targets.sort()).toEqual(['"public"."orders_created"', '"public"."payments"']);
  });

  test('an empty batch touches nothing', async () => {
    const pool = new StubPool();
    expect(await sinkWith(pool).write([])).toEqual([]);
    expect(pool.statements).toEqual([]);
  });
});

describe('PostgresSink failures', () => {
  test('a rejected value sends the batch row by row; only the offending rows fail, for good', async () => {
    const batch = events(5);
    const poison = new Set([batch[1]?.id, batch[3]?.id]);
    const pool = new StubPool((statement) =>
      isInsert(statement) && statement.values.some((value) => poison.has(value as string))
        ? serverError('22P05', 'unsupported Unicode escape sequence')
        : undefined,
    );

    const outcomes = await sinkWith(pool).write(batch);

    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true, false, true]);
    for (const outcome of failed(outcomes)) {
      expect(outcome.error.retryable).toBe(false);
      expect(outcome.error.message).toContain('22P05');
    }
    expect(pool.inserts().map(tuples)).toEqual([5, 1, 1, 1, 1, 1]);
    // A data error leaves the connection healthy: it goes back to the pool.
    expect(pool.releases.at(-1)).toBe(false);
  });

  test('a rejected value in a one-row batch fails that row without a second attempt', async () => {
    const pool = new StubPool((statement) => (isInsert(statement) ? serverError('23502') : undefined));
    const [outcome] = await sinkWith(pool).write(events(1));
    expect(outcome).toMatchObject({ ok: false, error: { retryable: false } });
    expect(pool.inserts()).toHaveLength(1);
  });

  test.each([
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['a broken pipe', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })],
    ['a server shutting down', serverError('57P01', 'terminating connection due to administrator command')],
    ['a statement timeout', serverError('57014', 'canceling statement due to statement timeout')],
  ])('%s fails the whole batch as retryable and drops the connection', async (_, error) => {
    const pool = new StubPool((statement) => (isInsert(statement) ? error : undefined));
    const outcomes = await sinkWith(pool).write(events(4));
    expect(failed(outcomes)).toHaveLength(4);
    for (const outcome of failed(outcomes)) expect(outcome.error.retryable).toBe(true);
    expect(pool.inserts()).toHaveLength(1);
    expect(pool.releases.at(-1)).toBe(true);
  });

  test('losing the connection while isolating rows fails the rest of the batch as retryable', async () => {
    const batch = events(4);
    let singles = 0;
    const pool = new StubPool((statement) => {
      if (!isInsert(statement)) return undefined;
      if (tuples(statement) > 1) return serverError('22021');
      singles++;
      return singles === 2 ? new Error('Connection terminated unexpectedly') : undefined;
    });

    const outcomes = await sinkWith(pool).write(batch);

    expect(outcomes[0]).toEqual({ id: batch[0]?.id, ok: true });
    expect(outcomes.slice(1).map((outcome) => !outcome.ok && outcome.error.retryable)).toEqual([
      true,
      true,
      true,
    ]);
    expect(pool.releases.at(-1)).toBe(true);
  });

  test('a database that cannot be reached fails every event as retryable without throwing', async () => {
    const pool = new StubPool();
    pool.connectError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const outcomes = await sinkWith(pool).write([...events(2, 'a.one'), ...events(1, 'a.two')]);
    expect(failed(outcomes).map((outcome) => outcome.error.retryable)).toEqual([true, true, true]);
    expect(failed(outcomes)[0]?.error.message).toContain('ECONNREFUSED');
  });

  test('a failed migration fails the batch as retryable and is tried again on the next write', async () => {
    let denied = true;
    const pool = new StubPool((statement) => {
      if (statement.text.includes('to_regclass')) {
        return { rows: [{ ledger: false, table: false }], rowCount: 1 };
      }
      if (denied && statement.text.startsWith('CREATE TABLE'))
        return serverError('42501', 'permission denied for schema public');
      return undefined;
    });
    const sink = sinkWith(pool);

    const [first] = await sink.write(events(1));
    expect(first).toMatchObject({ ok: false, error: { retryable: true } });
    expect(!first?.ok && first?.error.message).toMatch(
      /cannot prepare table public\.orders_created: permission denied/,
    );
    expect(pool.statements.map((statement) => statement.text)).toContain('ROLLBACK');

    denied = false;
    const [second] = await sink.write(events(1));
    expect(second?.ok).toBe(true);
  });

  test('the migration runs inside a transaction holding an advisory lock', async () => {
    const pool = new StubPool((statement) =>
      statement.text.includes('to_regclass')
        ? { rows: [{ ledger: false, table: false }], rowCount: 1 }
        : undefined,
    );
    await sinkWith(pool).write(events(1));
    const texts = pool.statements.map((statement) => statement.text);
    const begin = texts.indexOf('BEGIN');
    const lock = texts.findIndex((text) => text.includes('pg_advisory_xact_lock'));
    const create = texts.findIndex((text) =>
      /CREATE TABLE IF NOT EXISTS "public"."orders_created"/.test(text),
    );
    const commit = texts.indexOf('COMMIT');
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(begin < lock && lock < create && create < commit).toBe(true);
  });

  test('topics whose table names clash fail for good, other topics are written', async () => {
    const pool = new StubPool();
    const [clean] = events(1, 'orders.created');
    const [clash] = events(1, 'orders_created');
    const outcomes = await sinkWith(pool).write([clean as Envelope, clash as Envelope]);
    expect(outcomes[0]).toEqual({ id: clean?.id, ok: true });
    expect(outcomes[1]).toMatchObject({ ok: false, error: { retryable: false } });
  });

  test('a clash among configured topics is refused at construction', () => {
    expect(() => sinkWith(new StubPool(), { topics: ['a.b', 'a_b'] })).toThrow(
      /would both write to table "a_b"/,
    );
  });

  test('a payload that cannot be serialised fails alone, for good', async () => {
    const pool = new StubPool();
    const [good, bad] = events(2);
    const broken = { ...(bad as Envelope), payload: undefined };
    const outcomes = await sinkWith(pool).write([good as Envelope, broken]);
    expect(outcomes[0]?.ok).toBe(true);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { retryable: false } });
    expect(pool.inserts().map(tuples)).toEqual([1]);
  });
});

describe('PostgresSink lifecycle', () => {
  test('the pool is made on first use, with an error listener so an idle failure cannot end the process', async () => {
    const pool = new StubPool();
    const warnings: unknown[][] = [];
    let made = 0;
    const sink = new PostgresSink({
      connectionString: 'postgres://stub',
      createPool: () => {
        made++;
        return pool;
      },
      logger: { warn: (...args: unknown[]) => warnings.push(args) },
    });
    expect(made).toBe(0);
    await sink.write(events(1));
    await sink.write(events(1));
    expect(made).toBe(1);
    expect(pool.errorListeners).toHaveLength(1);
    expect(() => pool.errorListeners[0]?.(serverError('57P01', 'terminating connection'))).not.toThrow();
    expect(warnings).toHaveLength(1);
  });

  test('the pool is configured from the options', () => {
    let config: Record<string, unknown> = {};
    const sink = new PostgresSink({
      connection: { host: 'db.internal', port: 6432, user: 'writer', password: 'secret', database: 'events' },
      poolMax: 1,
      connectTimeoutMs: 1_500,
      statementTimeoutMs: 4_000,
      createPool: (poolConfig) => {
        config = poolConfig as Record<string, unknown>;
        return new StubPool();
      },
    });
    void sink.health();
    expect(config).toMatchObject({
      host: 'db.internal',
      port: 6432,
      user: 'writer',
      password: 'secret',
      database: 'events',
      max: 1,
      connectionTimeoutMillis: 1_500,
      statement_timeout: 4_000,
    });
    expect(config.query_timeout).toBeGreaterThan(4_000);
  });

  test('health is ok when SELECT 1 answers, down when it fails or hangs', async () => {
    expect(await sinkWith(new StubPool()).health()).toEqual({ status: 'ok' });

    const failing = new StubPool(() => new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    expect(await sinkWith(failing).health()).toEqual({
      status: 'down',
      message: 'connect ECONNREFUSED 127.0.0.1:5432',
    });

    const hanging = new StubPool(() => new Promise<Answer>(() => undefined));
    const health = await sinkWith(hanging, { healthTimeoutMs: 20 }).health();
    expect(health).toMatchObject({ status: 'down', message: expect.stringContaining('timed out') });
  });

  test('a closed sink ends its pool and fails later writes as retryable', async () => {
    const pool = new StubPool();
    const sink = sinkWith(pool);
    await sink.write(events(1));
    await sink.close();
    expect(pool.ended).toBe(true);
    const before = pool.statements.length;
    const outcomes = await sink.write(events(2));
    expect(failed(outcomes).map((outcome) => outcome.error.retryable)).toEqual([true, true]);
    expect(pool.statements).toHaveLength(before);
    expect(await sink.health()).toMatchObject({ status: 'down' });
  });

  test('a sink needs somewhere to connect to', () => {
    expect(() => new PostgresSink({})).toThrow(/connection string or connection settings/);
  });
});

describe('classifyPostgresError', () => {
  test.each([
    ['22P05', 'data'],
    ['22P02', 'data'],
    ['23502', 'data'],
    ['54000', 'data'],
    ['08006', 'connection'],
    ['57P01', 'connection'],
    ['57P03', 'connection'],
    ['42P01', 'server'],
    ['42501', 'server'],
    ['57014', 'server'],
    ['40001', 'server'],
  ])('SQLSTATE %s is a %s problem', (code, kind) => {
    expect(classifyPostgresError(serverError(code))).toBe(kind);
  });

  test('errors without a server severity are connection problems, whatever their code looks like', () => {
    expect(classifyPostgresError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(
      'connection',
    );
    expect(classifyPostgresError(new Error('Query read timeout'))).toBe('connection');
    expect(classifyPostgresError('weird')).toBe('connection');
  });
});
