import type { JsonSchema } from '../../definition';

/** Column types a projection can fill, by the name config uses. */
export const COLUMN_TYPES = [
  'text',
  'uuid',
  'integer',
  'bigint',
  'double',
  'numeric',
  'boolean',
  'jsonb',
  'timestamptz',
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/**
 * How an upsert combines the value already in the row with a new event's, ordered by the events'
 * event time (ties broken by event id, so every delivery order gives the same row):
 * - `latest-non-null`: the value of the latest event that had one;
 * - `latest`: the value of the latest event, even when it is null;
 * - `keep-first`: the value of the earliest event that had one;
 * - `merge-json`: an object merged key by key, each key taking the latest event's value.
 */
export const MERGE_RULES = ['latest-non-null', 'latest', 'keep-first', 'merge-json'] as const;
export type MergeRule = (typeof MERGE_RULES)[number];

/** Facts of the envelope a column may hold instead of an event field. */
export const ENVELOPE_FIELDS = ['id', 'topic', 'received_at', 'subject', 'correlation_id', 'key'] as const;
export type EnvelopeField = (typeof ENVELOPE_FIELDS)[number];

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One column as config.json describes it. Exactly one of pointer, event_pointer, envelope. */
export interface ColumnSpec {
  type: ColumnType;
  /** JSON pointer into the event; in a child table, into the array item. */
  pointer?: string;
  /** Child tables only: JSON pointer into the whole event. */
  event_pointer?: string;
  envelope?: EnvelopeField;
  /** The event is refused by this projection when the value is missing or null. */
  required?: boolean;
  /** Used when the pointer finds nothing (or null). */
  default?: JsonValue;
  /** The column is filled only when the event field at `pointer` holds one of `in`; null otherwise. */
  when?: { pointer: string; in: JsonValue[] };
  /** Upsert tables only; `latest-non-null` by default. */
  merge?: MergeRule;
}

/** Rows made from an array of the event: one per item (the runs → jobs shape). */
export interface ChildTableSpec {
  table: string;
  /** JSON pointer to the array. */
  items: string;
  columns: Record<string, ColumnSpec>;
  indexes?: string[][];
}

export interface TableSpec {
  table: string;
  /** `insert` (the default): one row per event, a duplicate key is ignored. `upsert`: one row per key. */
  mode?: 'insert' | 'upsert';
  /** Columns of the primary key: the conflict target. */
  key: string[];
  /** Upsert only: the column holding the event time that orders the merge. */
  event_time?: string;
  columns: Record<string, ColumnSpec>;
  indexes?: string[][];
  children?: ChildTableSpec[];
}

/** `postgres.projections` in config.json: topic → the tables its events are projected into. */
export type ProjectionsSetting = Record<string, TableSpec[]>;

const pointer: JsonSchema = { type: 'string', pattern: '^(/.*)?$', maxLength: 1024 };
const identifier: JsonSchema = { type: 'string', minLength: 1, maxLength: 63 };
const indexes: JsonSchema = {
  type: 'array',
  items: { type: 'array', minItems: 1, items: identifier },
};
const column: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: [...COLUMN_TYPES] },
    pointer,
    event_pointer: pointer,
    envelope: { enum: [...ENVELOPE_FIELDS] },
    required: { type: 'boolean' },
    default: {},
    when: {
      type: 'object',
      additionalProperties: false,
      required: ['pointer', 'in'],
      properties: { pointer, in: { type: 'array', minItems: 1 } },
    },
    merge: { enum: [...MERGE_RULES] },
  },
};
const columns: JsonSchema = { type: 'object', minProperties: 1, additionalProperties: column };

/** JSON Schema of `postgres.projections`, for the sink's settings. */
export const PROJECTIONS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['table', 'key', 'columns'],
      properties: {
        table: identifier,
        mode: { enum: ['insert', 'upsert'] },
        key: { type: 'array', minItems: 1, items: identifier },
        event_time: identifier,
        columns,
        indexes,
        children: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['table', 'items', 'columns'],
            properties: { table: identifier, items: pointer, columns, indexes },
          },
        },
      },
    },
  },
};
