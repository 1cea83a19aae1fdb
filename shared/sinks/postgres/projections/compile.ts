import { ConfigError } from '../../../config/errors';
import { checkIdentifier } from '../tables';
import { parsePointer, type JsonPointer } from './pointer';
import { COLUMN_TYPE_INFO, type ColumnTypeInfo } from './values';
import type {
  ChildTableSpec,
  ColumnSpec,
  ColumnType,
  EnvelopeField,
  MergeRule,
  ProjectionsSetting,
  TableSpec,
} from './spec';
import { describeError } from '../../../errors/describe';

/** Columns the sink adds itself; config may not name them. */
export const ITEM_INDEX_COLUMN = 'item_index';
export const INTERNAL_ID_COLUMN = 'internal_id';
export const VERSIONS_COLUMN = 'eventgate_versions';
const RESERVED_COLUMNS = new Set([ITEM_INDEX_COLUMN, INTERNAL_ID_COLUMN, VERSIONS_COLUMN]);

/** Where a column's value comes from. */
export type ColumnSource =
  | { kind: 'pointer'; pointer: JsonPointer; text: string }
  | { kind: 'event'; pointer: JsonPointer; text: string }
  | { kind: 'envelope'; field: EnvelopeField }
  /** A child row's copy of its parent's key column. */
  | { kind: 'parent'; column: string };

export interface CompiledColumn {
  name: string;
  type: ColumnType;
  info: ColumnTypeInfo;
  source: ColumnSource;
  required: boolean;
  default: unknown;
  when?: { pointer: JsonPointer; text: string; values: readonly unknown[] };
  merge: MergeRule;
}

export interface CompiledChildTable {
  table: string;
  items: JsonPointer;
  itemsText: string;
  /** The parent's key columns first, then the configured ones. */
  columns: CompiledColumn[];
  /** Parent key columns plus item_index: makes a redelivered event's child rows harmless. */
  key: string[];
  indexes: string[][];
}

export interface CompiledTable {
  table: string;
  mode: 'insert' | 'upsert';
  key: string[];
  eventTime?: string;
  columns: CompiledColumn[];
  indexes: string[][];
  children: CompiledChildTable[];
}

/** Topic → tables, ready for the writer. */
export type CompiledProjections = ReadonlyMap<string, readonly CompiledTable[]>;

function pointerOf(text: string, where: string): JsonPointer {
  try {
    return parsePointer(text);
  } catch (error) {
    throw new ConfigError(`${where}: ${describeError(error)}`);
  }
}

function compileColumn(name: string, spec: ColumnSpec, where: string, child: boolean): CompiledColumn {
  const at = `${where}, column "${name}"`;
  checkIdentifier(name, `column of ${where}`);
  if (RESERVED_COLUMNS.has(name)) throw new ConfigError(`${at}: the name is reserved for the sink's own use`);
  const info = COLUMN_TYPE_INFO[spec.type];
  if (!info) throw new ConfigError(`${at}: unknown type ${JSON.stringify(spec.type)}`);
  const sources = [spec.pointer, spec.event_pointer, spec.envelope].filter((source) => source !== undefined);
  if (sources.length !== 1) {
    throw new ConfigError(`${at}: give exactly one of "pointer", "event_pointer" and "envelope"`);
  }
  let source: ColumnSource;
  if (spec.pointer !== undefined) {
    source = { kind: 'pointer', pointer: pointerOf(spec.pointer, at), text: spec.pointer };
  } else if (spec.event_pointer !== undefined) {
    if (!child) throw new ConfigError(`${at}: "event_pointer" is for child tables; use "pointer"`);
    source = { kind: 'event', pointer: pointerOf(spec.event_pointer, at), text: spec.event_pointer };
  } else {
    source = { kind: 'envelope', field: spec.envelope as EnvelopeField };
  }
  const column: CompiledColumn = {
    name,
    type: spec.type,
    info,
    source,
    required: spec.required ?? false,
    default: spec.default ?? null,
    merge: spec.merge ?? 'latest-non-null',
  };
  if (spec.default !== undefined && spec.default !== null) {
    try {
      info.convert(spec.default);
    } catch (error) {
      throw new ConfigError(`${at}: default: ${describeError(error)}`);
    }
  }
  if (spec.when) {
    column.when = {
      pointer: pointerOf(spec.when.pointer, `${at}, when`),
      text: spec.when.pointer,
      values: spec.when.in,
    };
  }
  if (column.merge === 'merge-json' && spec.type !== 'jsonb') {
    throw new ConfigError(`${at}: merge-json needs a jsonb column`);
  }
  return column;
}

function checkColumnList(
  names: readonly string[],
  known: ReadonlySet<string>,
  what: string,
  where: string,
): void {
  for (const name of names) {
    if (!known.has(name)) throw new ConfigError(`${where}: ${what} names unknown column "${name}"`);
  }
}

function compileChild(spec: ChildTableSpec, parent: CompiledTable, where: string): CompiledChildTable {
  const table = checkIdentifier(spec.table, `table of ${where}`);
  const at = `${where} → child table "${table}"`;
  const parentKeys = parent.key.map((name) => {
    const column = parent.columns.find((candidate) => candidate.name === name) as CompiledColumn;
    return { ...column, source: { kind: 'parent', column: name } as ColumnSource, required: true };
  });
  const own = Object.entries(spec.columns).map(([name, column]) => compileColumn(name, column, at, true));
  for (const column of own) {
    if (parent.key.includes(column.name)) {
      throw new ConfigError(
        `${at}, column "${column.name}": the parent's key column is copied into child rows already`,
      );
    }
  }
  const columns = [...parentKeys, ...own];
  const known = new Set([...columns.map((column) => column.name), ITEM_INDEX_COLUMN, INTERNAL_ID_COLUMN]);
  const indexes = spec.indexes ?? [];
  for (const index of indexes) checkColumnList(index, known, 'an index', at);
  return {
    table,
    items: pointerOf(spec.items, `${at}, items`),
    itemsText: spec.items,
    columns,
    key: [...parent.key, ITEM_INDEX_COLUMN],
    indexes,
  };
}

function compileTable(spec: TableSpec, topic: string): CompiledTable {
  const table = checkIdentifier(spec.table, `projection table of topic "${topic}"`);
  const where = `postgres.projections["${topic}"] table "${table}"`;
  const mode = spec.mode ?? 'insert';
  const columns = Object.entries(spec.columns).map(([name, column]) =>
    compileColumn(name, column, where, false),
  );
  const known = new Set(columns.map((column) => column.name));
  if (spec.key.length === 0) throw new ConfigError(`${where}: "key" names no column`);
  checkColumnList(spec.key, known, '"key"', where);
  for (const name of spec.key) {
    const column = columns.find((candidate) => candidate.name === name) as CompiledColumn;
    // A key column must always have a value; say so once instead of on every event.
    column.required = true;
  }
  const compiled: CompiledTable = {
    table,
    mode,
    key: [...spec.key],
    columns,
    indexes: spec.indexes ?? [],
    children: [],
  };
  for (const index of compiled.indexes) checkColumnList(index, known, 'an index', where);

  if (mode === 'upsert') {
    if (spec.event_time === undefined) throw new ConfigError(`${where}: an upsert needs "event_time"`);
    checkColumnList([spec.event_time], known, '"event_time"', where);
    const eventTime = columns.find((column) => column.name === spec.event_time) as CompiledColumn;
    if (!['timestamptz', 'bigint', 'integer', 'double', 'numeric'].includes(eventTime.type)) {
      throw new ConfigError(
        `${where}: event_time column "${eventTime.name}" must hold a time (timestamptz or a number of ms)`,
      );
    }
    if (eventTime.when)
      throw new ConfigError(`${where}: event_time column "${eventTime.name}" cannot be conditional`);
    eventTime.required = true;
    // The row's event time is the latest event's: anything else would not order the merge.
    eventTime.merge = 'latest';
    compiled.eventTime = eventTime.name;
    if ((spec.children ?? []).length > 0)
      throw new ConfigError(`${where}: an upsert table cannot have child tables`);
  } else {
    if (spec.event_time !== undefined) throw new ConfigError(`${where}: "event_time" is for upsert tables`);
    for (const column of columns) {
      if (spec.columns[column.name]?.merge !== undefined) {
        throw new ConfigError(`${where}, column "${column.name}": "merge" is for upsert tables`);
      }
    }
  }
  compiled.children = (spec.children ?? []).map((child) => compileChild(child, compiled, where));
  return compiled;
}

/**
 * Checks `postgres.projections` and prepares it for writing. Every mistake is a ConfigError naming the
 * topic, table and column, raised when the configuration loads rather than on the first event.
 */
export function compileProjections(setting: ProjectionsSetting | undefined): CompiledProjections {
  const compiled = new Map<string, CompiledTable[]>();
  const owners = new Map<string, string>();
  for (const [topic, tables] of Object.entries(setting ?? {})) {
    if (!Array.isArray(tables))
      throw new ConfigError(`postgres.projections["${topic}"] must be a list of tables`);
    const list = tables.map((table) => compileTable(table, topic));
    for (const table of list) {
      for (const name of [table.table, ...table.children.map((child) => child.table)]) {
        const owner = owners.get(name);
        if (owner !== undefined) {
          throw new ConfigError(
            `postgres.projections: table "${name}" is filled by both "${owner}" and "${topic}"`,
          );
        }
        owners.set(name, topic);
      }
    }
    compiled.set(topic, list);
  }
  return compiled;
}
