import { IncompatibleTableError, migrateTable } from '../migrations';
import type { BorrowedClient, PostgresPool } from '../pool';
import { INTERNAL_ID_COLUMN } from './compile';
import { addColumnStatement, createStatements, indexName, type TableShape } from './sql';

/** Held while projection tables are changed, so workers starting together take turns. ('evproj') */
const PROJECTION_LOCK_KEY = '111509649668202';

interface ExpectedColumn {
  name: string;
  udt: string;
  sql: string;
}

function expectedColumns(shape: TableShape): ExpectedColumn[] {
  return [
    ...(shape.serialId ? [{ name: INTERNAL_ID_COLUMN, udt: 'int8', sql: 'bigserial' }] : []),
    ...shape.columns.map((column) => ({ name: column.name, udt: column.info.udt, sql: column.info.sql })),
    ...shape.extra.map((column) => ({ name: column.name, udt: column.udt, sql: column.sql })),
  ];
}

function expectedIndexes(shape: TableShape): string[] {
  return shape.indexes.map((columns) => indexName(shape.table, columns, 'idx'));
}

interface Found {
  columns: Map<string, string>;
  indexes: Set<string>;
}

async function inspect(client: BorrowedClient, schema: string, table: string): Promise<Found> {
  const columns = await client.query(
    'SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
    [schema, table],
  );
  const indexes = await client.query(
    'SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
    [schema, table],
  );
  return {
    columns: new Map(columns.rows.map((row) => [String(row.column_name), String(row.udt_name)])),
    indexes: new Set(indexes.rows.map((row) => String(row.indexname))),
  };
}

/** Refuses a table of that name whose columns have other types: it was made for something else. */
function checkTypes(schema: string, shape: TableShape, found: Found): void {
  for (const column of expectedColumns(shape)) {
    const udt = found.columns.get(column.name);
    if (udt !== undefined && udt !== column.udt) {
      throw new IncompatibleTableError(
        `table ${schema}.${shape.table} has column ${column.name} of type ${udt}, but the projection needs ${column.sql}; migrate it by hand or name another table`,
      );
    }
  }
}

function upToDate(shape: TableShape, found: Found): boolean {
  return (
    expectedColumns(shape).every((column) => found.columns.has(column.name)) &&
    expectedIndexes(shape).every((index) => found.indexes.has(index))
  );
}

/**
 * Creates a projection table, or brings an existing one up to its configuration: missing columns
 * and indexes are added, a column whose type differs is refused. An up-to-date table costs two reads
 * and no lock. Changes run in one transaction under an advisory lock, so concurrent workers wait for
 * each other and the second finds the work done.
 */
export function migrateProjectionTable(pool: PostgresPool, schema: string, shape: TableShape): Promise<void> {
  return migrateTable(pool, schema, PROJECTION_LOCK_KEY, {
    async upToDate(client) {
      const before = await inspect(client, schema, shape.table);
      checkTypes(schema, shape, before);
      return upToDate(shape, before);
    },
    async migrate(client) {
      const found = await inspect(client, schema, shape.table);
      checkTypes(schema, shape, found);
      const [create, ...indexes] = createStatements(schema, shape);
      if (found.columns.size === 0) await client.query(create as string);
      else {
        for (const column of expectedColumns(shape)) {
          if (!found.columns.has(column.name)) {
            await client.query(
              addColumnStatement(schema, shape.table, {
                name: column.name,
                sql: column.sql.replace(/ NOT NULL.*$/, ''),
              }),
            );
          }
        }
      }
      for (const statement of indexes) await client.query(statement);
    },
  });
}
