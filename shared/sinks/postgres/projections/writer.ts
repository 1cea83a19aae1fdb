import type { Envelope } from '../../../envelope';
import { SinkError, type DeliveryOutcome } from '../../types';
import { classifyPostgresError, describePostgresError, isUndefinedTable } from '../errors';
import { createHash } from 'node:crypto';
import { chunkBy } from '../../../batching/chunk';
import { borrowClient, type BorrowedClient, type NamedStatement, type PostgresPool } from '../pool';
import type { CompiledProjections, CompiledTable } from './compile';
import { collapseByKey, upsertRow, type UpsertRow } from './merge';
import { projectEvent, type RowValues } from './rows';
import {
  childShape,
  insertStatement,
  parametersPerRow,
  parentShape,
  upsertStatement,
  type TableShape,
} from './sql';
import { migrateProjectionTable } from './migrate';
import { bindValue, ProjectionViolation } from './values';

/** The wire protocol counts bind parameters in 16 bits. */
const MAX_BIND_PARAMETERS = 65_535;

/** A row on its way into a table, with the batch positions of the events it stands for. */
interface PendingRow {
  events: number[];
  values: unknown[];
}

/** One statement's worth of work per chunk: a table and its rows. */
interface TableWrite {
  shape: TableShape;
  statement(rowCount: number): NamedStatement | string;
  rows: PendingRow[];
  /** The same writes one event at a time, to find the event whose values Postgres refuses. */
  eventRows(index: number): PendingRow[];
}

/**
 * A statement the server parses and plans once per connection: a batch's multi-row statement has
 * hundreds of parameters, and planning it on every batch would cost more than executing it.
 */
function named(text: string): NamedStatement {
  return { name: `eventgate_projection_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text };
}

export interface ProjectionWriterOptions {
  schema: string;
  pool: () => PostgresPool;
  /** As the sink's own option: false for a server whose connections share one session. Default true. */
  namedStatements?: boolean;
}

function bound(shape: TableShape, values: RowValues): unknown[] {
  return shape.columns.map((column, index) => bindValue(column.type, values[index]));
}

/** The eventgate_versions value of an upsert row: each merged column's stamp. */
function versionsOf(table: CompiledTable, row: UpsertRow): string {
  const versions: Record<string, unknown> = {};
  table.columns.forEach((column, index) => {
    if (!table.key.includes(column.name)) versions[column.name] = row.stamps[index] ?? null;
  });
  return JSON.stringify(versions);
}

function rowsOfEvent(rows: readonly PendingRow[]): (index: number) => PendingRow[] {
  const byEvent = new Map<number, PendingRow[]>();
  for (const row of rows) {
    for (const index of row.events) byEvent.set(index, [...(byEvent.get(index) ?? []), row]);
  }
  return (index) => byEvent.get(index) ?? [];
}

/**
 * Writes the typed tables configured for a topic, beside the generic event table. Each table costs
 * one statement per batch (an upsert's rows are first merged per key in memory). An event that does
 * not fit a mapping, or whose values Postgres refuses, fails alone and for good; a database that
 * cannot be reached fails the events still to write, for a retry that the conflict handling makes
 * harmless.
 */
export class ProjectionWriter {
  private readonly migrations = new Map<string, Promise<void>>();
  /** Statements by table, kind and row count; built once per writer. */
  private readonly statements = new Map<string, NamedStatement>();

  constructor(
    private readonly projections: CompiledProjections,
    private readonly options: ProjectionWriterOptions,
  ) {}

  tablesOf(topic: string): readonly CompiledTable[] {
    return this.projections.get(topic) ?? [];
  }

  /** Projects the events whose outcome is still ok; turns an outcome into a failure where needed. */
  async write(events: readonly Envelope[], outcomes: DeliveryOutcome[]): Promise<void> {
    const fail = (index: number, error: SinkError): void => {
      const event = events[index] as Envelope;
      if (outcomes[index]?.ok !== false) outcomes[index] = { id: event.id, ok: false, error };
    };
    const failRows = (rows: readonly PendingRow[], error: SinkError): void => {
      for (const row of rows) for (const index of row.events) fail(index, error);
    };
    const byTable = new Map<CompiledTable, number[]>();
    events.forEach((event, index) => {
      if (outcomes[index]?.ok !== true) return;
      for (const table of this.tablesOf(event.topic))
        byTable.set(table, [...(byTable.get(table) ?? []), index]);
    });
    if (byTable.size === 0) return;

    const writes: TableWrite[] = [];
    for (const [table, indexes] of byTable) writes.push(...this.plan(table, indexes, events, fail));
    const pending = writes.filter((write) => write.rows.length > 0);
    if (pending.length === 0) return;

    const pool = this.options.pool();
    try {
      await Promise.all(pending.map((write) => this.ensureTable(pool, write.shape)));
    } catch (error) {
      const reason = `cannot prepare projection tables: ${describePostgresError(error)}`;
      for (const write of pending)
        failRows(write.rows, new SinkError('postgres', reason, true, { cause: error }));
      return;
    }

    let client: BorrowedClient;
    try {
      client = await borrowClient(pool);
    } catch (error) {
      for (const write of pending) failRows(write.rows, this.retryable(write.shape.table, error));
      return;
    }
    let stopped: unknown;
    try {
      for (const write of pending) {
        if (stopped !== undefined) {
          failRows(write.rows, this.retryable(write.shape.table, stopped));
          continue;
        }
        stopped = await this.writeTable(client, write, events, fail);
      }
    } finally {
      client.release(stopped !== undefined);
    }
  }

  /** The rows `table` and its child tables get from the events; events that do not fit fail here. */
  private plan(
    table: CompiledTable,
    indexes: number[],
    events: readonly Envelope[],
    fail: (index: number, error: SinkError) => void,
  ): TableWrite[] {
    const { schema } = this.options;
    const parent = parentShape(table);
    const children = table.children.map(childShape);
    const parentRows: PendingRow[] = [];
    const upserts: Array<{ index: number; row: UpsertRow }> = [];
    const childRows: PendingRow[][] = children.map(() => []);
    for (const index of indexes) {
      const event = events[index] as Envelope;
      try {
        const projected = projectEvent(table, event);
        if (table.mode === 'upsert') {
          upserts.push({ index, row: upsertRow(table, projected.row, event) });
          continue;
        }
        parentRows.push({ events: [index], values: bound(parent, projected.row) });
        projected.children.forEach((rows, child) => {
          const shape = children[child] as TableShape;
          for (const values of rows) {
            (childRows[child] as PendingRow[]).push({
              events: [index],
              values: [...bound(shape, values), values[values.length - 1]],
            });
          }
        });
      } catch (error) {
        if (!(error instanceof ProjectionViolation)) throw error;
        const reason = `event ${event.id} does not fit projection table ${table.table}: ${error.message}`;
        fail(index, new SinkError('postgres', reason, false));
      }
    }

    if (table.mode === 'upsert') {
      const keyEvents = new Map<string, number[]>();
      for (const { index, row } of upserts)
        keyEvents.set(row.key, [...(keyEvents.get(row.key) ?? []), index]);
      const rows = collapseByKey(
        table,
        upserts.map((entry) => entry.row),
      ).map((row) => ({
        events: keyEvents.get(row.key) ?? [],
        values: [...bound(parent, row.values), versionsOf(table, row)],
      }));
      const single = new Map(
        upserts.map(({ index, row }) => [
          index,
          [{ events: [index], values: [...bound(parent, row.values), versionsOf(table, row)] }],
        ]),
      );
      return [
        {
          shape: parent,
          rows,
          statement: (count) =>
            this.statement(`upsert ${table.table} ${count}`, () => upsertStatement(schema, table, count)),
          eventRows: (index) => single.get(index) ?? [],
        },
      ];
    }
    return [
      { shape: parent, rows: parentRows },
      ...children.map((shape, child) => ({ shape, rows: childRows[child] as PendingRow[] })),
    ].map(({ shape, rows }) => ({
      shape,
      rows,
      statement: (count: number) =>
        this.statement(`insert ${shape.table} ${count}`, () => insertStatement(schema, shape, count)),
      eventRows: rowsOfEvent(rows),
    }));
  }

  private statement(key: string, build: () => string): NamedStatement | string {
    let statement = this.statements.get(key);
    if (!statement) {
      statement = named(build());
      this.statements.set(key, statement);
    }
    return this.options.namedStatements === false ? statement.text : statement;
  }

  private ensureTable(pool: PostgresPool, shape: TableShape): Promise<void> {
    let migration = this.migrations.get(shape.table);
    if (!migration) {
      migration = migrateProjectionTable(pool, this.options.schema, shape);
      this.migrations.set(shape.table, migration);
      migration.catch(() => this.migrations.delete(shape.table));
    }
    return migration;
  }

  /**
   * Writes one table's rows, one statement per chunk. Returns the error that should stop the batch
   * (database unreachable or refusing), or undefined when the rest may go on.
   */
  private async writeTable(
    client: BorrowedClient,
    write: TableWrite,
    events: readonly Envelope[],
    fail: (index: number, error: SinkError) => void,
  ): Promise<unknown> {
    const perRow = parametersPerRow(write.shape);
    const chunks = chunkBy(write.rows, { maxCount: Math.floor(MAX_BIND_PARAMETERS / perRow) });
    const stop = (from: number, error: unknown, pendingEvents: readonly number[] = []): unknown => {
      const reason = this.retryable(write.shape.table, error);
      for (const index of pendingEvents) fail(index, reason);
      for (const chunk of chunks.slice(from))
        for (const row of chunk) for (const index of row.events) fail(index, reason);
      if (isUndefinedTable(error)) this.migrations.delete(write.shape.table);
      return error;
    };
    for (const [position, chunk] of chunks.entries()) {
      try {
        await client.query(
          write.statement(chunk.length),
          chunk.flatMap((row) => row.values),
        );
        continue;
      } catch (error) {
        if (classifyPostgresError(error) !== 'data') return stop(position, error);
      }
      // A value in the chunk was refused: write event by event to find which.
      const indexes = [...new Set(chunk.flatMap((row) => row.events))];
      for (const [done, index] of indexes.entries()) {
        const rows = write.eventRows(index);
        try {
          await client.query(
            write.statement(rows.length),
            rows.flatMap((row) => row.values),
          );
        } catch (error) {
          if (classifyPostgresError(error) !== 'data') return stop(position + 1, error, indexes.slice(done));
          const event = events[index] as Envelope;
          const reason = `event ${event.id} rejected by postgres in projection table ${write.shape.table}: ${describePostgresError(error)}`;
          fail(index, new SinkError('postgres', reason, false, { cause: error }));
        }
      }
    }
    return undefined;
  }

  private retryable(table: string, error: unknown): SinkError {
    return new SinkError(
      'postgres',
      `write to projection table ${this.options.schema}.${table} failed: ${describePostgresError(error)}`,
      true,
      { cause: error },
    );
  }
}
