import { Pool, type PoolConfig } from 'pg';
import { decodeCursor, encodeCursor } from '../../read/cursor';
import { BadReadRequest } from '../../read/params';
import type { StatsRequest } from '../../read/stats';
import {
  StoreUnavailable,
  type EventPage,
  type EventStore,
  type EventWindow,
  type ReadStoreSettings,
  type RunJob,
  type StoredEvent,
} from '../../read/store';
import { classifyPostgresError, describePostgresError, isUndefinedTable } from './errors';
import {
  runJobsPlan,
  runJobsStatement,
  runsProjection,
  toRunJob,
  windowRunsStatement,
  type RunJobsPlan,
  type RunsTables,
} from './run-stats';
import type { PostgresSinkOptions } from './sink';
import { qualifiedName, TableNames } from './tables';

export interface PostgresEventStoreOptions extends ReadStoreSettings {
  /** Where the sink writes, as its worker is configured: the store reads the same tables. */
  postgres: PostgresSinkOptions;
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
const EVENT_COLUMNS = `event_id::text AS event_id, topic, received_at, subject, correlation_id, event_key, payload, inserted_at,
  (extract(epoch FROM received_at) * 1000000)::bigint::text AS received_micros`;

function iso(value: unknown): string | null {
  return value instanceof Date
    ? value.toISOString()
    : value === null || value === undefined
      ? null
      : String(value);
}

function toEvent(row: Record<string, unknown>): StoredEvent {
  return {
    eventId: String(row.event_id),
    topic: String(row.topic),
    receivedAt: iso(row.received_at) as string,
    subject: (row.subject as string | null) ?? null,
    correlationId: (row.correlation_id as string | null) ?? null,
    key: (row.event_key as string | null) ?? null,
    payload: row.payload,
    storedAt: iso(row.inserted_at),
  };
}

/**
 * Reads what the Postgres sink wrote, over connections that cannot write
 * (`default_transaction_read_only`) and whose statements the server cancels after a time limit.
 */
export class PostgresEventStore implements EventStore {
  private pool: Pool | undefined;
  private readonly tables: TableNames;
  private readonly schema: string;
  private readonly poolConfig: PoolConfig;
  /** Topic → its runs and jobs tables, schema-qualified: the topics stats can answer for. */
  private readonly runsTables: ReadonlyMap<string, RunsTables>;

  constructor(options: PostgresEventStoreOptions) {
    const { postgres } = options;
    this.tables = new TableNames(postgres.tables);
    this.schema = postgres.schema ?? 'public';
    const projectionSchema = postgres.projectionSchema ?? this.schema;
    const runsTables = new Map<string, RunsTables>();
    for (const [topic, tables] of postgres.projections ?? []) {
      const found = runsProjection(tables);
      if (found) {
        runsTables.set(topic, {
          ...found,
          runs: qualifiedName(projectionSchema, found.runs),
          jobs: qualifiedName(projectionSchema, found.jobs),
        });
      }
    }
    this.runsTables = runsTables;
    const timeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    const target = postgres.connectionString
      ? { connectionString: postgres.connectionString }
      : { ...postgres.connection };
    this.poolConfig = {
      ...target,
      max: options.poolMax ?? 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: timeout,
      query_timeout: timeout + 2_000,
      options: '-c default_transaction_read_only=on',
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: 'eventgate-read',
    };
  }

  statsTopics(): string[] {
    return [...this.runsTables.keys()];
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** Runs a read; an absent table reads as no rows, any other failure is StoreUnavailable. */
  async query(text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    if (!this.pool) {
      this.pool = new Pool(this.poolConfig);
      this.pool.on('error', () => undefined);
    }
    try {
      return (await this.pool.query(text, values)).rows;
    } catch (error) {
      if (isUndefinedTable(error)) return [];
      if (classifyPostgresError(error) === 'data') throw new BadReadRequest(describePostgresError(error));
      throw new StoreUnavailable(`the event store cannot answer: ${describePostgresError(error)}`, {
        cause: error,
      });
    }
  }

  private eventTable(topic: string): string {
    return qualifiedName(this.schema, this.tables.tableFor(topic));
  }

  async event(topic: string, eventId: string): Promise<StoredEvent | undefined> {
    const rows = await this.query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.eventTable(topic)} WHERE event_id = $1::uuid AND topic = $2`,
      [eventId, topic],
    );
    return rows[0] === undefined ? undefined : toEvent(rows[0]);
  }

  async events(topic: string, window: EventWindow): Promise<EventPage<StoredEvent>> {
    const conditions = ['topic = $1'];
    const values: unknown[] = [topic];
    if (window.since) {
      values.push(window.since.toISOString());
      conditions.push(`received_at >= $${values.length}::timestamptz`);
    }
    if (window.until) {
      values.push(window.until.toISOString());
      conditions.push(`received_at < $${values.length}::timestamptz`);
    }
    if (window.cursor !== undefined) {
      const cursor = decodeCursor(window.cursor);
      if (!cursor) throw new BadReadRequest(`'cursor' is not a cursor this API handed out`);
      values.push(cursor.receivedAtMicros, cursor.eventId);
      const after = `('epoch'::timestamptz + $${values.length - 1}::bigint * interval '1 microsecond')`;
      // Spelled out rather than as a row comparison, so the received_at index bounds the scan.
      conditions.push(
        `received_at >= ${after} AND (received_at > ${after} OR event_id > $${values.length}::uuid)`,
      );
    }
    values.push(window.limit + 1);
    const rows = await this.query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.eventTable(topic)} WHERE ${conditions.join(' AND ')}
        ORDER BY received_at, event_id LIMIT $${values.length}`,
      values,
    );
    const hasMore = rows.length > window.limit;
    const page = rows.slice(0, window.limit);
    const last = page[page.length - 1];
    return {
      rows: page.map(toEvent),
      hasMore,
      cursor:
        hasMore && last
          ? encodeCursor({ receivedAtMicros: String(last.received_micros), eventId: String(last.event_id) })
          : null,
    };
  }

  async runJobs(topic: string, request: StatsRequest): Promise<{ jobs: RunJob[]; hasMore: boolean }> {
    const tables = this.runsTables.get(topic);
    // The read API asks only for the topics statsTopics() names.
    if (!tables) throw new Error(`topic '${topic}' is not projected as runs and jobs`);
    let plan: RunJobsPlan = 'newest-jobs-first';
    // Without an index on the runs' start times the count would scan the runs table on every page.
    if (tables.startIndexed) {
      const counted = windowRunsStatement(tables, request);
      const [window] = await this.query(counted.text, counted.values);
      plan = runJobsPlan(Number(window?.runs ?? 0));
    }
    const { text, values } = runJobsStatement(tables, request, plan);
    const rows = await this.query(text, values);
    return { jobs: rows.slice(0, request.limit).map(toRunJob), hasMore: rows.length > request.limit };
  }
}
