import type { Envelope } from '../../../envelope';
import type { CompiledTable } from './compile';
import type { RowValues } from './rows';
import { ProjectionViolation } from './values';

/**
 * What a value's place in the merge order is: the event time, then the event id to break ties, as
 * text that sorts the same in JavaScript and under Postgres' "C" collation.
 */
export type Stamp = string;

/** The stamp of each column's value: one per column, or per key of a merge-json object. */
export type ColumnStamp = Stamp | Record<string, Stamp> | null;

export interface UpsertRow {
  /** The key columns' values as JSON, to group rows by. */
  key: string;
  values: RowValues;
  stamps: ColumnStamp[];
}

const STAMP_DIGITS = 20;

/** An event time in ms (≥ 0) and an event id as a stamp. */
export function stampOf(eventTimeMs: number, eventId: string): Stamp {
  if (!Number.isFinite(eventTimeMs) || eventTimeMs < 0 || eventTimeMs >= 1e16) {
    throw new ProjectionViolation(`event time ${eventTimeMs} is not a time from 1970 on`);
  }
  return `${eventTimeMs.toFixed(3).padStart(STAMP_DIGITS, '0')}/${eventId}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The event's row with a stamp on every value it contributes: `latest` contributes always, the
 * others only a value that is not null, merge-json each key of its object.
 */
export function upsertRow(table: CompiledTable, values: RowValues, event: Envelope): UpsertRow {
  const timeIndex = table.columns.findIndex((column) => column.name === table.eventTime);
  const time = values[timeIndex];
  const millis = typeof time === 'string' ? Date.parse(time) : Number(time);
  const stamp = stampOf(millis, event.id);
  const stamps = table.columns.map((column, index): ColumnStamp => {
    const value = values[index];
    if (table.key.includes(column.name)) return null;
    if (column.merge === 'merge-json') {
      if (value === null) return {};
      if (!isObject(value))
        throw new ProjectionViolation(`column "${column.name}": merge-json needs an object`);
      return Object.fromEntries(Object.keys(value).map((key) => [key, stamp]));
    }
    if (column.merge === 'latest') return stamp;
    return value === null ? null : stamp;
  });
  return {
    key: JSON.stringify(table.key.map((name) => values[table.columns.findIndex((c) => c.name === name)])),
    values,
    stamps,
  };
}

function later(candidate: Stamp, current: Stamp | null | undefined, earliestWins: boolean): boolean {
  if (current === null || current === undefined) return true;
  return earliestWins ? candidate < current : candidate > current;
}

/** Folds `next` into `into` by the table's merge rules; the same rules the upsert applies in SQL. */
export function mergeRows(table: CompiledTable, into: UpsertRow, next: UpsertRow): void {
  table.columns.forEach((column, index) => {
    const incoming = next.stamps[index];
    if (incoming === null || incoming === undefined) return;
    if (column.merge === 'merge-json') {
      const value = next.values[index] as Record<string, unknown> | null;
      if (value === null) return;
      const held = isObject(into.values[index]) ? { ...(into.values[index] as Record<string, unknown>) } : {};
      const heldStamps = { ...((into.stamps[index] as Record<string, Stamp> | null) ?? {}) };
      for (const [key, keyStamp] of Object.entries(incoming as Record<string, Stamp>)) {
        if (later(keyStamp, heldStamps[key], false)) {
          held[key] = value[key];
          heldStamps[key] = keyStamp;
        }
      }
      into.values[index] = held;
      into.stamps[index] = heldStamps;
      return;
    }
    if (later(incoming as Stamp, into.stamps[index] as Stamp | null, column.merge === 'keep-first')) {
      into.values[index] = next.values[index];
      into.stamps[index] = incoming;
    }
  });
}

/** The batch's rows with one row per key, each the merge of that key's rows. */
export function collapseByKey(table: CompiledTable, rows: readonly UpsertRow[]): UpsertRow[] {
  const byKey = new Map<string, UpsertRow>();
  for (const row of rows) {
    const held = byKey.get(row.key);
    if (held) mergeRows(table, held, row);
    else byKey.set(row.key, { key: row.key, values: [...row.values], stamps: [...row.stamps] });
  }
  return [...byKey.values()];
}
