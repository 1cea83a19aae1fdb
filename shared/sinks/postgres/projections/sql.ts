import { createHash } from 'node:crypto';
import { chunkBy } from '../../../batching/chunk';
import { MAX_IDENTIFIER_LENGTH, qualifiedName, quoteIdentifier } from '../tables';
import {
  INTERNAL_ID_COLUMN,
  ITEM_INDEX_COLUMN,
  VERSIONS_COLUMN,
  type CompiledChildTable,
  type CompiledColumn,
  type CompiledTable,
} from './compile';

/** A table as the writer and the migrations see it: columns in bind order, conflict target, extras. */
export interface TableShape {
  table: string;
  columns: readonly CompiledColumn[];
  /** Columns the sink adds after the configured ones, with their DDL type and bind cast. */
  extra: ReadonlyArray<{ name: string; sql: string; udt: string; cast: string }>;
  key: readonly string[];
  /** Child tables: `internal_id bigserial` is the primary key and `key` a unique index. */
  serialId: boolean;
  indexes: readonly string[][];
}

export function parentShape(table: CompiledTable): TableShape {
  return {
    table: table.table,
    columns: table.columns,
    extra:
      table.mode === 'upsert'
        ? [{ name: VERSIONS_COLUMN, sql: "jsonb NOT NULL DEFAULT '{}'", udt: 'jsonb', cast: '::jsonb' }]
        : [],
    key: table.key,
    serialId: false,
    indexes: table.indexes,
  };
}

export function childShape(child: CompiledChildTable): TableShape {
  return {
    table: child.table,
    columns: child.columns,
    extra: [{ name: ITEM_INDEX_COLUMN, sql: 'integer NOT NULL', udt: 'int4', cast: '::integer' }],
    key: child.key,
    serialId: true,
    indexes: child.indexes,
  };
}

/** Index names within the identifier limit: a readable prefix and a hash of the whole. */
export function indexName(table: string, columns: readonly string[], suffix: string): string {
  const name = `${table}_${columns.join('_')}_${suffix}`;
  if (name.length <= MAX_IDENTIFIER_LENGTH) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_IDENTIFIER_LENGTH - hash.length - 1)}_${hash}`;
}

const list = (names: readonly string[]): string => names.map(quoteIdentifier).join(', ');

/** DDL that creates the table and its indexes when they are missing; safe to run again. */
export function createStatements(schema: string, shape: TableShape): string[] {
  const target = qualifiedName(schema, shape.table);
  const definitions = [
    ...(shape.serialId ? [`${quoteIdentifier(INTERNAL_ID_COLUMN)} bigserial PRIMARY KEY`] : []),
    ...shape.columns.map(
      (column) =>
        `${quoteIdentifier(column.name)} ${column.info.sql}${shape.key.includes(column.name) ? ' NOT NULL' : ''}`,
    ),
    ...shape.extra.map((column) => `${quoteIdentifier(column.name)} ${column.sql}`),
    shape.serialId
      ? `CONSTRAINT ${quoteIdentifier(indexName(shape.table, shape.key, 'key'))} UNIQUE (${list(shape.key)})`
      : `PRIMARY KEY (${list(shape.key)})`,
  ];
  return [
    `CREATE TABLE IF NOT EXISTS ${target} (\n  ${definitions.join(',\n  ')}\n)`,
    ...shape.indexes.map(
      (columns) =>
        `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(indexName(shape.table, columns, 'idx'))} ON ${target} (${list(columns)})`,
    ),
  ];
}

/** Adds a configured column that an existing table lacks (always nullable: old rows have no value). */
export function addColumnStatement(
  schema: string,
  table: string,
  column: { name: string; sql: string },
): string {
  return `ALTER TABLE ${qualifiedName(schema, table)} ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.name)} ${column.sql}`;
}

function bindColumns(shape: TableShape): Array<{ name: string; cast: string }> {
  return [...shape.columns.map((column) => ({ name: column.name, cast: column.info.cast })), ...shape.extra];
}

function valuesClause(shape: TableShape, rowCount: number): string {
  const columns = bindColumns(shape);
  const tuples: string[] = [];
  for (let row = 0; row < rowCount; row++) {
    const base = row * columns.length;
    tuples.push(`(${columns.map((column, index) => `$${base + index + 1}${column.cast}`).join(', ')})`);
  }
  return `(${list(columns.map((column) => column.name))}) VALUES ${tuples.join(', ')}`;
}

export function parametersPerRow(shape: TableShape): number {
  return shape.columns.length + shape.extra.length;
}

/** One multi-row INSERT that leaves rows already there (the same event delivered again) alone. */
export function insertStatement(schema: string, shape: TableShape, rowCount: number): string {
  return `INSERT INTO ${qualifiedName(schema, shape.table)} ${valuesClause(shape, rowCount)} ON CONFLICT (${list(shape.key)}) DO NOTHING`;
}

const ROW = 't';
const stampOf = (side: string, column: string): string =>
  `(${side}.${quoteIdentifier(VERSIONS_COLUMN)}->>'${column}') COLLATE "C"`;

/** True when the incoming value should replace the stored one under the column's rule. */
function replaces(column: CompiledColumn): string {
  const incoming = stampOf('EXCLUDED', column.name);
  const stored = stampOf(ROW, column.name);
  const comparison = column.merge === 'keep-first' ? '<' : '>';
  return `(${incoming} IS NOT NULL AND (${stored} IS NULL OR ${incoming} ${comparison} ${stored}))`;
}

/** merge-json: each key from whichever side stamped it later; both stamps and values. */
function mergedJson(column: CompiledColumn, part: 'value' | 'stamp'): string {
  const name = quoteIdentifier(column.name);
  const versions = quoteIdentifier(VERSIONS_COLUMN);
  const stampsOf = (side: string): string => `coalesce(${side}.${versions}->'${column.name}', '{}'::jsonb)`;
  const keyStamp = (side: string): string => `(${stampsOf(side)}->>k.key) COLLATE "C"`;
  const newer = `(${keyStamp('EXCLUDED')} IS NOT NULL AND (${keyStamp(ROW)} IS NULL OR ${keyStamp('EXCLUDED')} > ${keyStamp(ROW)}))`;
  const pick = (side: string): string =>
    part === 'value' ? `${side}.${name}->k.key` : `${stampsOf(side)}->k.key`;
  const merged = `(SELECT jsonb_object_agg(k.key, CASE WHEN ${newer} THEN ${pick('EXCLUDED')} ELSE ${pick(ROW)} END)
      FROM (SELECT jsonb_object_keys(${stampsOf('EXCLUDED')}) UNION SELECT jsonb_object_keys(${stampsOf(ROW)})) AS k(key))`;
  if (part === 'stamp') return `coalesce(${merged}, '{}'::jsonb)`;
  return `CASE WHEN EXCLUDED.${name} IS NULL AND ${ROW}.${name} IS NULL THEN NULL ELSE coalesce(${merged}, '{}'::jsonb) END`;
}

/** jsonb_build_object takes at most 100 arguments (50 pairs); longer objects are concatenated. */
const PAIRS_PER_OBJECT = 40;

function buildObject(pairs: Array<[string, string]>): string {
  const parts = chunkBy(pairs, { maxCount: PAIRS_PER_OBJECT }).map(
    (chunk) => `jsonb_build_object(${chunk.map(([key, value]) => `'${key}', ${value}`).join(', ')})`,
  );
  return parts.length === 0 ? `'{}'::jsonb` : parts.join(' || ');
}

/**
 * One multi-row upsert of rows with distinct keys. Each column keeps its stored value or takes the
 * incoming one by its merge rule, judged on the per-column stamps kept in eventgate_versions, so the
 * result does not depend on the order events arrive in, and a duplicate changes nothing.
 */
export function upsertStatement(schema: string, table: CompiledTable, rowCount: number): string {
  const shape = parentShape(table);
  const merged = table.columns.filter((column) => !table.key.includes(column.name));
  const assignments = merged.map((column) => {
    const name = quoteIdentifier(column.name);
    if (column.merge === 'merge-json') return `${name} = ${mergedJson(column, 'value')}`;
    return `${name} = CASE WHEN ${replaces(column)} THEN EXCLUDED.${name} ELSE ${ROW}.${name} END`;
  });
  const stamps = buildObject(
    merged.map((column) => [
      column.name,
      column.merge === 'merge-json'
        ? mergedJson(column, 'stamp')
        : `CASE WHEN ${replaces(column)} THEN EXCLUDED.${quoteIdentifier(VERSIONS_COLUMN)}->'${column.name}' ELSE ${ROW}.${quoteIdentifier(VERSIONS_COLUMN)}->'${column.name}' END`,
    ]),
  );
  assignments.push(`${quoteIdentifier(VERSIONS_COLUMN)} = ${stamps}`);
  return `INSERT INTO ${qualifiedName(schema, table.table)} AS ${ROW} ${valuesClause(shape, rowCount)}
    ON CONFLICT (${list(table.key)}) DO UPDATE SET ${assignments.join(',\n      ')}`;
}
