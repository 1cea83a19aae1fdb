import { isRawJson } from '../../../json/exact';
import type { ColumnType } from './spec';

/** An event that does not fit a projection: it fails alone, for good, with this reason. */
export class ProjectionViolation extends Error {
  override readonly name = 'ProjectionViolation';
}

export interface ColumnTypeInfo {
  /** The type in DDL. */
  sql: string;
  /** What information_schema.columns reports as udt_name for it. */
  udt: string;
  /** The cast on each bind parameter, so the server never guesses. */
  cast: string;
  /** JSON Schema types whose values the column holds. */
  accepts: ReadonlySet<string>;
  /** A value of the event → the bind value; throws ProjectionViolation naming what was wrong. */
  convert(value: unknown): unknown;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** RFC 3339 date-time, which both JavaScript and Postgres read the same way. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const INT32 = 2 ** 31;

/** The digits of an integer beyond 2^53 that the gateway kept exactly (see shared/json/exact.ts). */
function exactDigits(value: unknown): string | undefined {
  return isRawJson(value) ? value.rawJSON : undefined;
}

const INT64 = 2n ** 63n;

function describe(value: unknown): string {
  if (value === null) return 'null';
  const digits = exactDigits(value);
  if (digits !== undefined) return `the integer ${digits}`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function refuse(type: string, value: unknown): never {
  throw new ProjectionViolation(`${describe(value)} does not fit a ${type} column`);
}

function integerWithin(type: string, limit: number) {
  return (value: unknown): unknown => {
    if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) >= limit)
      refuse(type, value);
    return value;
  };
}

/** Epoch milliseconds (a number) or an RFC 3339 string, as an ISO timestamp. */
export function timestampMillis(value: unknown): number {
  let millis: number;
  const digits = exactDigits(value);
  if (digits !== undefined) millis = Number(digits);
  else if (typeof value === 'number') millis = value;
  else if (typeof value === 'string' && DATE_TIME.test(value)) millis = Date.parse(value);
  else return refuse('timestamptz', value);
  if (!Number.isFinite(millis) || Number.isNaN(new Date(millis).getTime())) refuse('timestamptz', value);
  return millis;
}

export const COLUMN_TYPE_INFO: Record<ColumnType, ColumnTypeInfo> = {
  text: {
    sql: 'text',
    udt: 'text',
    cast: '::text',
    accepts: new Set(['string']),
    convert: (value) => (typeof value === 'string' ? value : refuse('text', value)),
  },
  uuid: {
    sql: 'uuid',
    udt: 'uuid',
    cast: '::uuid',
    accepts: new Set(['string']),
    convert: (value) =>
      typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : refuse('uuid', value),
  },
  integer: {
    sql: 'integer',
    udt: 'int4',
    cast: '::integer',
    accepts: new Set(['integer']),
    convert: integerWithin('integer', INT32),
  },
  bigint: {
    sql: 'bigint',
    udt: 'int8',
    cast: '::bigint',
    accepts: new Set(['integer', 'number']),
    // Integers beyond 2^53 arrive as their exact digits, and go to Postgres as such.
    convert: (value) => {
      const digits = exactDigits(value);
      if (digits === undefined) return integerWithin('bigint', Number.MAX_SAFE_INTEGER + 1)(value);
      const exact = BigInt(digits);
      return exact >= -INT64 && exact < INT64 ? digits : refuse('bigint', value);
    },
  },
  double: {
    sql: 'double precision',
    udt: 'float8',
    cast: '::double precision',
    accepts: new Set(['integer', 'number']),
    // A double cannot hold an exact big integer: the nearest one, as every reader of a double expects.
    convert: (value) => {
      const digits = exactDigits(value);
      if (digits !== undefined) return Number(digits);
      return typeof value === 'number' && Number.isFinite(value) ? value : refuse('double', value);
    },
  },
  numeric: {
    sql: 'numeric',
    udt: 'numeric',
    cast: '::numeric',
    accepts: new Set(['integer', 'number']),
    convert: (value) =>
      exactDigits(value) ??
      (typeof value === 'number' && Number.isFinite(value) ? String(value) : refuse('numeric', value)),
  },
  boolean: {
    sql: 'boolean',
    udt: 'bool',
    cast: '::boolean',
    accepts: new Set(['boolean']),
    convert: (value) => (typeof value === 'boolean' ? value : refuse('boolean', value)),
  },
  jsonb: {
    sql: 'jsonb',
    udt: 'jsonb',
    cast: '::jsonb',
    accepts: new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']),
    // Kept as the value itself; written out as JSON text when bound (merge-json needs the object).
    convert: (value) => value,
  },
  timestamptz: {
    sql: 'timestamptz',
    udt: 'timestamptz',
    cast: '::timestamptz',
    accepts: new Set(['integer', 'number', 'string']),
    convert: (value) => new Date(timestampMillis(value)).toISOString(),
  },
};

/** The text a bind parameter carries for a converted value. */
export function bindValue(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return type === 'jsonb' ? JSON.stringify(value) : value;
}
