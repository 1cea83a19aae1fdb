import { borrowClient, type BorrowedClient, type PostgresPool } from './pool';
import { qualifiedName, quoteIdentifier, receivedAtIndexName } from './tables';

/** Records which migrations each event table has had, one ledger per schema. */
export const MIGRATIONS_TABLE = 'eventgate_schema_migrations';

/**
 * Held for the length of a migration transaction so that workers starting together take turns; one
 * key for all tables keeps it simple, and migrations are rare and quick. ('evgate' in ASCII.)
 */
const MIGRATION_LOCK_KEY = '111509649667173';

/** Columns every event table has had from its first version: a table without them is not ours. */
export const EVENT_COLUMNS = [
  'event_id',
  'topic',
  'received_at',
  'subject',
  'correlation_id',
  'event_key',
  'payload',
] as const;

/** Columns the insert names: the first version's and those later migrations added. */
export const INSERT_COLUMNS = [...EVENT_COLUMNS, 'cloud_event', 'schema_version'] as const;

interface Migration {
  version: number;
  statements(schema: string, table: string): string[];
}

/** Append-only: a released step never changes; a new column or index is a new version. */
const EVENT_TABLE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: (schema, table) => [
      `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, table)} (
        event_id uuid PRIMARY KEY,
        topic text NOT NULL,
        received_at timestamptz NOT NULL,
        subject text,
        correlation_id text,
        event_key text,
        payload jsonb NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(receivedAtIndexName(table))}
        ON ${qualifiedName(schema, table)} (received_at)`,
    ],
  },
  {
    // The CloudEvents context attributes of events that arrived as CloudEvents; null otherwise.
    version: 2,
    statements: (schema, table) => [
      `ALTER TABLE ${qualifiedName(schema, table)} ADD COLUMN IF NOT EXISTS cloud_event jsonb`,
    ],
  },
  {
    // The topic schema version each event was accepted against; null for rows from before versions.
    version: 3,
    statements: (schema, table) => [
      `ALTER TABLE ${qualifiedName(schema, table)} ADD COLUMN IF NOT EXISTS schema_version integer`,
    ],
  },
];

export const LATEST_EVENT_TABLE_VERSION = Math.max(...EVENT_TABLE_MIGRATIONS.map((step) => step.version));

/** Raised when a table of the expected name exists but was made for something else. */
export class IncompatibleTableError extends Error {
  override readonly name = 'IncompatibleTableError';
}

async function appliedVersion(client: BorrowedClient, schema: string, table: string): Promise<number> {
  const result = await client.query(
    `SELECT coalesce(max(version), 0) AS version FROM ${qualifiedName(schema, MIGRATIONS_TABLE)} WHERE table_name = $1`,
    [table],
  );
  return Number(result.rows[0]?.version ?? 0);
}

async function relationsExist(
  client: BorrowedClient,
  schema: string,
  table: string,
): Promise<{ ledger: boolean; table: boolean }> {
  const result = await client.query(
    'SELECT to_regclass($1) IS NOT NULL AS ledger, to_regclass($2) IS NOT NULL AS "table"',
    [qualifiedName(schema, MIGRATIONS_TABLE), qualifiedName(schema, table)],
  );
  const row = result.rows[0] ?? {};
  return { ledger: row.ledger === true, table: row.table === true };
}

async function checkColumns(client: BorrowedClient, schema: string, table: string): Promise<void> {
  const result = await client.query(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
    [schema, table],
  );
  const present = new Set(result.rows.map((row) => String(row.column_name)));
  const missing = EVENT_COLUMNS.filter((column) => !present.has(column));
  if (missing.length > 0) {
    throw new IncompatibleTableError(
      `table ${schema}.${table} already exists without the event columns ${missing.join(', ')}; name another table for this topic under postgres.tables`,
    );
  }
}

async function migrateLocked(client: BorrowedClient, schema: string, table: string): Promise<void> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, MIGRATIONS_TABLE)} (
      table_name text NOT NULL,
      version integer NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (table_name, version)
    )`,
  );
  const exists = await relationsExist(client, schema, table);
  // A table that is already there may be one we made, or one of the same name made for something
  // else; that must be refused before any step touches it.
  if (exists.table) await checkColumns(client, schema, table);
  // A table dropped after it was recorded is built again from the first step.
  const current = exists.table ? await appliedVersion(client, schema, table) : 0;
  for (const step of EVENT_TABLE_MIGRATIONS) {
    if (step.version <= current) continue;
    for (const statement of step.statements(schema, table)) await client.query(statement);
    await client.query(
      `INSERT INTO ${qualifiedName(schema, MIGRATIONS_TABLE)} (table_name, version) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [table, step.version],
    );
  }
}

/** One table's migration: what to read first, and what to change when that says it is needed. */
export interface TableMigration {
  /** Cheap reads outside any transaction: true when there is nothing to do. */
  upToDate(client: BorrowedClient): Promise<boolean>;
  /** The changes, run in one transaction under the advisory lock, the schema already there. */
  migrate(client: BorrowedClient): Promise<void>;
}

/**
 * How every table of the sink is migrated. An up-to-date table costs the reads of `upToDate` and
 * no lock and no DDL, so a writer role without CREATE rights works once the tables exist. Otherwise
 * the changes run in one transaction under an advisory lock: concurrent workers wait for each other
 * instead of racing on CREATE TABLE, and the second finds the work done. A connection left in an
 * unknown state (anything but a refused table, or a failed rollback) is dropped, not reused.
 */
export async function migrateTable(
  pool: PostgresPool,
  schema: string,
  lockKey: string,
  steps: TableMigration,
): Promise<void> {
  const client = await borrowClient(pool);
  let discard = false;
  try {
    if (await steps.upToDate(client)) return;
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(${lockKey})`);
      // CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database, which a writer
      // role may lack even though the schema is there; only ask for it when the schema is missing.
      const schemaRow = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (schemaRow.rows.length === 0)
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
      await steps.migrate(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        discard = true;
      });
      throw error;
    }
  } catch (error) {
    if (!(error instanceof IncompatibleTableError)) discard = true;
    throw error;
  } finally {
    client.release(discard);
  }
}

/** Brings one event table up to the latest version (see migrateTable). */
export function migrateEventTable(pool: PostgresPool, schema: string, table: string): Promise<void> {
  return migrateTable(pool, schema, MIGRATION_LOCK_KEY, {
    async upToDate(client) {
      const exists = await relationsExist(client, schema, table);
      return (
        exists.ledger &&
        exists.table &&
        (await appliedVersion(client, schema, table)) >= LATEST_EVENT_TABLE_VERSION
      );
    },
    migrate: (client) => migrateLocked(client, schema, table),
  });
}
