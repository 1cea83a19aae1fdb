import { Pool, type PoolConfig } from 'pg';
import type { PostgresSinkOptions } from '../sinks/postgres/sink';
import { qualifiedName, TableNames } from '../sinks/postgres/tables';
import { classifyPostgresError, describePostgresError, isUndefinedTable } from '../sinks/postgres/errors';
import type { CompiledTable } from '../sinks/postgres/projections/compile';
import { decodeCursor, encodeCursor } from './cursor';
import { BadReadRequest } from './params';
import { runsProjection } from './stats';

/** An event as the read API returns it. */
export interface StoredEvent {
  eventId: string;
  topic: string;
  receivedAt: string;
  subject: string | null;
  correlationId: string | null;
  key: string | null;
  payload: unknown;
  /** When the Postgres sink stored it. */
  storedAt: string | null;
}

export interface EventPage<Row> {
  rows: Row[];
  cursor: string | null;
  hasMore: boolean;
}

/** The database could not answer (down, too slow, refusing): a 503, unlike a missing event. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

export interface EventStoreOptions {
  postgres: PostgresSinkOptions;
  /** Server-side limit per statement. Default 5 000 ms. */
  statementTimeoutMs?: number;
  poolMax?: number;
  connectTimeoutMs?: number;
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
export class EventStore {
  private pool: Pool | undefined;
  private readonly tables: TableNames;
  private readonly schema: string;
  readonly projectionSchema: string;
  private readonly poolConfig: PoolConfig;

  constructor(private readonly options: EventStoreOptions) {
    const { postgres } = options;
    this.tables = new TableNames(postgres.tables);
    this.schema = postgres.schema ?? 'public';
    this.projectionSchema = postgres.projectionSchema ?? this.schema;
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

  /** Topics whose projection has the runs → jobs shape that stats read. */
  supportedStatsTopics(): string[] {
    const projections = this.options.postgres.projections ?? new Map<string, readonly CompiledTable[]>();
    return [...projections]
      .filter(([, tables]) => runsProjection(tables) !== undefined)
      .map(([topic]) => topic);
  }

  /** The tables projected for a topic, as configured. */
  projectionsOf(topic: string): readonly CompiledTable[] {
    return this.options.postgres.projections?.get(topic) ?? [];
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

  /** Events received in [since, until), oldest first, after the cursor; keyset pagination. */
  async events(
    topic: string,
    window: { since?: Date; until?: Date; cursor?: string; limit: number },
  ): Promise<EventPage<StoredEvent>> {
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
}
