import { createHash } from 'node:crypto';
import { Pool, type PoolConfig } from 'pg';
import type { Envelope } from '../../envelope';
import { ConfigError } from '../../config/errors';
import { classifyPostgresError, describePostgresError, isUndefinedTable } from './errors';
import { INSERT_COLUMNS, migrateEventTable } from './migrations';
import { borrowClient, type BorrowedClient, type NamedStatement, type PostgresPool } from './pool';
import { checkIdentifier, qualifiedName, TableNames } from './tables';
import { failAll, SinkError, type DeliveryOutcome, type Sink, type SinkHealth } from '../types';
import { withTimeout } from '../../timeout';
import type { CompiledProjections } from './projections/compile';
import { ProjectionWriter } from './projections/writer';
import { describeError } from '../../errors/describe';
import { chunkBy } from '../../batching/chunk';

export { postgresSinkOptionsFromConfig, type PostgresConfigDependencies } from './config';
export type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from './pool';

export interface PostgresConnectionConfig {
  host: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?: PoolConfig['ssl'];
}

export interface PostgresSinkLogger {
  warn(message: string, ...details: unknown[]): void;
}

export interface PostgresSinkOptions {
  /** `postgres://user:password@host:port/database`; `?sslmode=` is honoured. */
  connectionString?: string;
  /** The same, field by field (what the Secrets Manager secret yields). Ignored when a connection string is given. */
  connection?: PostgresConnectionConfig;
  /** EventGate topic → table, for topics whose derived table name does not suit. */
  tables?: Record<string, string>;
  /** Schema holding the event tables and the migrations ledger. Default `public`. */
  schema?: string;
  /**
   * Topics known from config: their table names are resolved, and clashes reported, at construction.
   * Other topics still work; their table is resolved on first write.
   */
  topics?: string[];
  /** Connections kept per sink instance. Default 2; must be 1 against the embedded database. */
  poolMax?: number;
  /**
   * Send the batch INSERT as a named prepared statement, parsed and planned once per connection.
   * Default true. Turn it off for a server whose connections share one session (the embedded
   * database): there a name prepared by one connection exists for all, and a connection that
   * replaces an idle one would prepare it again and fail.
   */
  namedStatements?: boolean;
  /** Budget for opening a connection. Default 5 000 ms. */
  connectTimeoutMs?: number;
  /** Server-side limit per statement; the client gives up shortly after it too. Default 10 000 ms. */
  statementTimeoutMs?: number;
  /** Budget for the health check's `SELECT 1`. Default 2 000 ms. */
  healthTimeoutMs?: number;
  /** Where a connection that breaks while idle in the pool is reported. Silent by default. */
  logger?: PostgresSinkLogger;
  /** Typed tables written beside the event tables, per topic (`postgres.projections`). */
  projections?: CompiledProjections;
  /** Schema of the projection tables; `schema` by default. */
  projectionSchema?: string;
  /** Builds the pool; tests use it to count statements or inject failures. */
  createPool?: (config: PoolConfig) => PostgresPool;
}

const DEFAULT_SCHEMA = 'public';
const DEFAULT_POOL_MAX = 2;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 2_000;
/** The client stops waiting this long after the server should have cancelled a statement itself. */
const CLIENT_TIMEOUT_GRACE_MS = 2_000;
/** The wire protocol counts bind parameters in 16 bits. */
const MAX_BIND_PARAMETERS = 65_535;
const PARAMETERS_PER_ROW = INSERT_COLUMNS.length;
export const MAX_ROWS_PER_STATEMENT = Math.floor(MAX_BIND_PARAMETERS / PARAMETERS_PER_ROW);

/** One event on its way into a table, with the position of its outcome. */
interface PendingRow {
  index: number;
  id: string;
  values: unknown[];
}

/** Casts are spelled out so the server never has to guess a parameter's type. */
const ROW_PLACEHOLDER_CASTS = [
  '::uuid',
  '::text',
  '::timestamptz',
  '::text',
  '::text',
  '::text',
  '::jsonb',
  '::jsonb',
  '::integer',
] as const;

const preparedInserts = new Map<string, NamedStatement>();

/**
 * The insert for `rowCount` rows into `target` as a named statement: the server parses and plans
 * the several-hundred-parameter INSERT once per connection instead of on every batch.
 */
export function preparedInsert(target: string, rowCount: number): NamedStatement {
  const cacheKey = `${target}\u0000${rowCount}`;
  let statement = preparedInserts.get(cacheKey);
  if (!statement) {
    const digest = createHash('sha1').update(target).digest('hex').slice(0, 16);
    statement = { name: `eventgate_insert_${digest}_${rowCount}`, text: insertStatement(target, rowCount) };
    preparedInserts.set(cacheKey, statement);
  }
  return statement;
}

/** `INSERT … VALUES (…), (…) ON CONFLICT (event_id) DO NOTHING` for `rowCount` rows. */
export function insertStatement(target: string, rowCount: number): string {
  const tuples: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    const base = row * PARAMETERS_PER_ROW;
    tuples.push(
      `(${ROW_PLACEHOLDER_CASTS.map((cast, column) => `$${base + column + 1}${cast}`).join(', ')})`,
    );
  }
  return `INSERT INTO ${target} (${INSERT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (event_id) DO NOTHING`;
}

/** The row's bind values, in INSERT_COLUMNS order. JSON travels as text for jsonb to parse. */
export function rowValues(event: Envelope): unknown[] {
  const payload = JSON.stringify(event.payload);
  if (payload === undefined) throw new Error('payload is not JSON-serialisable');
  const cloudEvent = event.cloudEvent === undefined ? null : JSON.stringify(event.cloudEvent);
  return [
    event.id,
    event.topic,
    event.receivedAt,
    event.subject,
    event.correlationId,
    event.key,
    payload,
    cloudEvent,
    event.schemaVersion ?? null,
  ];
}

/**
 * Stores events in Postgres, one table per topic, keyed by event id so that redelivery is harmless.
 * A batch costs one multi-row INSERT per topic. When the database rejects a value, the batch is
 * retried row by row so that only the offending events fail (and fail for good) while their
 * neighbours are stored; when the database is unreachable, the whole batch fails and is retried later.
 */
export class PostgresSink implements Sink {
  readonly name = 'postgres' as const;

  private readonly schema: string;
  private readonly tables: TableNames;
  private readonly poolConfig: PoolConfig;
  private readonly healthTimeoutMs: number;
  private readonly namedStatements: boolean;
  private pool: PostgresPool | undefined;
  private closed = false;
  private readonly projections: ProjectionWriter | undefined;
  /** Tables brought up to date by this instance; a failed migration is forgotten and tried again. */
  private readonly migrations = new Map<string, Promise<void>>();

  constructor(private readonly options: PostgresSinkOptions) {
    const target = options.connectionString
      ? { connectionString: options.connectionString }
      : options.connection
        ? { ...options.connection }
        : undefined;
    if (!target) throw new ConfigError('the postgres sink needs a connection string or connection settings');
    this.schema = checkIdentifier(options.schema ?? DEFAULT_SCHEMA, 'schema');
    this.tables = new TableNames(options.tables);
    this.tables.checkTopics(options.topics ?? []);
    this.healthTimeoutMs = options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    this.namedStatements = options.namedStatements ?? true;
    if (options.projections && options.projections.size > 0) {
      this.projections = new ProjectionWriter(options.projections, {
        schema: checkIdentifier(options.projectionSchema ?? this.schema, 'projection schema'),
        pool: () => this.getPool(),
        namedStatements: this.namedStatements,
      });
    }
    const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    this.poolConfig = {
      ...target,
      max: options.poolMax ?? DEFAULT_POOL_MAX,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS,
      idleTimeoutMillis: 10_000,
      // An idle pool does not keep a CLI or test process alive.
      allowExitOnIdle: true,
      keepAlive: true,
      application_name: 'eventgate',
    };
  }

  /** The batch INSERT for `rowCount` rows, named or not as the options say. */
  private insertFor(target: string, rowCount: number): NamedStatement | string {
    const statement = preparedInsert(target, rowCount);
    return this.namedStatements ? statement : statement.text;
  }

  async write(events: readonly Envelope[]): Promise<DeliveryOutcome[]> {
    if (events.length === 0) return [];
    if (this.closed) return failAll(events, new SinkError('postgres', 'the postgres sink is closed'));

    const outcomes: DeliveryOutcome[] = new Array<DeliveryOutcome>(events.length);
    const byTopic = new Map<string, { index: number; event: Envelope }[]>();
    events.forEach((event, index) => {
      const group = byTopic.get(event.topic);
      if (group) group.push({ index, event });
      else byTopic.set(event.topic, [{ index, event }]);
    });
    await Promise.all([...byTopic].map(([topic, group]) => this.writeTopic(topic, group, outcomes)));
    // Typed tables after the event table: an event stored there is then projected too.
    await this.projections?.write(events, outcomes);
    return outcomes;
  }

  async health(): Promise<SinkHealth> {
    if (this.closed) return { status: 'down', message: 'the postgres sink is closed' };
    try {
      await withTimeout(this.getPool().query('SELECT 1'), this.healthTimeoutMs, 'postgres health check');
      return { status: 'ok' };
    } catch (error) {
      return { status: 'down', message: describePostgresError(error) };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.end();
  }

  private getPool(): PostgresPool {
    if (!this.pool) {
      const pool: PostgresPool = this.options.createPool
        ? this.options.createPool(this.poolConfig)
        : new Pool(this.poolConfig);
      // An idle connection that dies (database restart, failover, NAT timeout) is dropped by the
      // pool and replaced on next use; without a listener the 'error' event would end the process.
      pool.on('error', (error) => {
        this.options.logger?.warn(
          'postgres: an idle connection failed and was dropped',
          describePostgresError(error),
        );
      });
      this.pool = pool;
    }
    return this.pool;
  }

  private ensureTable(table: string): Promise<void> {
    let migration = this.migrations.get(table);
    if (!migration) {
      migration = migrateEventTable(this.getPool(), this.schema, table);
      this.migrations.set(table, migration);
      migration.catch(() => this.migrations.delete(table));
    }
    return migration;
  }

  private async writeTopic(
    topic: string,
    group: { index: number; event: Envelope }[],
    outcomes: DeliveryOutcome[],
  ): Promise<void> {
    const fail = (rows: readonly { index: number; id: string }[], error: SinkError): void => {
      for (const row of rows) outcomes[row.index] = { id: row.id, ok: false, error };
    };
    const entries = group.map(({ index, event }) => ({ index, id: event.id, event }));

    let table: string;
    try {
      table = this.tables.tableFor(topic);
    } catch (error) {
      // A clash of table names is fixed in config, not by retrying.
      return fail(entries, new SinkError('postgres', describeError(error), false, { cause: error }));
    }

    const rows: PendingRow[] = [];
    for (const entry of entries) {
      try {
        rows.push({ index: entry.index, id: entry.id, values: rowValues(entry.event) });
      } catch (error) {
        fail([entry], new SinkError('postgres', `event ${entry.id}: ${describeError(error)}`, false));
      }
    }
    if (rows.length === 0) return;

    try {
      await this.ensureTable(table);
    } catch (error) {
      const reason = `cannot prepare table ${this.schema}.${table}: ${describePostgresError(error)}`;
      return fail(rows, new SinkError('postgres', reason, true, { cause: error }));
    }

    let client: BorrowedClient;
    try {
      client = await borrowClient(this.getPool());
    } catch (error) {
      return fail(rows, this.retryableError(table, error));
    }

    const target = qualifiedName(this.schema, table);
    let stopped: unknown;
    try {
      for (const chunk of chunkBy(rows, { maxCount: MAX_ROWS_PER_STATEMENT })) {
        if (stopped !== undefined) {
          fail(chunk, this.retryableError(table, stopped));
          continue;
        }
        stopped = await this.insertChunk(client, target, table, chunk, outcomes);
      }
    } finally {
      client.release(stopped !== undefined);
    }
    if (isUndefinedTable(stopped)) this.migrations.delete(table);
  }

  /**
   * Inserts one chunk; fills the outcome of every row in it. Returns the error that should stop the
   * rest of the batch (database unreachable or refusing), or undefined when the batch may go on.
   */
  private async insertChunk(
    client: BorrowedClient,
    target: string,
    table: string,
    chunk: PendingRow[],
    outcomes: DeliveryOutcome[],
  ): Promise<unknown> {
    try {
      await client.query(
        this.insertFor(target, chunk.length),
        chunk.flatMap((row) => row.values),
      );
      for (const row of chunk) outcomes[row.index] = { id: row.id, ok: true };
      return undefined;
    } catch (error) {
      if (classifyPostgresError(error) !== 'data') {
        for (const row of chunk)
          outcomes[row.index] = { id: row.id, ok: false, error: this.retryableError(table, error) };
        return error;
      }
      if (chunk.length === 1) {
        const [row] = chunk as [PendingRow];
        outcomes[row.index] = { id: row.id, ok: false, error: this.rejectedError(row, error) };
        return undefined;
      }
    }

    // Some value in the chunk was refused. Find out which, one row at a time.
    const single = this.insertFor(target, 1);
    for (const [position, row] of chunk.entries()) {
      try {
        await client.query(single, row.values);
        outcomes[row.index] = { id: row.id, ok: true };
      } catch (error) {
        if (classifyPostgresError(error) === 'data') {
          outcomes[row.index] = { id: row.id, ok: false, error: this.rejectedError(row, error) };
          continue;
        }
        const retryable = this.retryableError(table, error);
        for (const rest of chunk.slice(position))
          outcomes[rest.index] = { id: rest.id, ok: false, error: retryable };
        return error;
      }
    }
    return undefined;
  }

  private rejectedError(row: PendingRow, error: unknown): SinkError {
    return new SinkError(
      'postgres',
      `event ${row.id} rejected by postgres: ${describePostgresError(error)}`,
      false,
      {
        cause: error,
      },
    );
  }

  private retryableError(table: string, error: unknown): SinkError {
    return new SinkError(
      'postgres',
      `write to ${this.schema}.${table} failed: ${describePostgresError(error)}`,
      true,
      {
        cause: error,
      },
    );
  }
}
