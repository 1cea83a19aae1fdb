import { createHash } from 'node:crypto';
import { ConfigError } from '../../config/errors';

/** Postgres truncates identifiers longer than this (NAMEDATALEN - 1), so we never hand it one. */
export const MAX_IDENTIFIER_LENGTH = 63;

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Keeps a name within the identifier limit; a long name keeps a readable prefix plus a hash of the whole. */
function fitIdentifier(name: string): string {
  if (name.length <= MAX_IDENTIFIER_LENGTH) return name;
  const hash = shortHash(name);
  return `${name.slice(0, MAX_IDENTIFIER_LENGTH - hash.length - 1)}_${hash}`;
}

/**
 * The table a topic lands in when config names none: `public.cps.za.runs` → `public_cps_za_runs`.
 * Lowercase, anything outside [a-z0-9_] becomes `_`, a leading digit gets a `t_` prefix.
 */
export function defaultTableName(topic: string): string {
  let name = topic.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (name === '') name = '_';
  if (/^[0-9]/.test(name)) name = `t_${name}`;
  return fitIdentifier(name);
}

/**
 * Checks a schema or table name from config. Only plain lowercase names are accepted: they need no
 * quoting to be typed by hand in psql, and Postgres folds unquoted names to lowercase anyway.
 */
export function checkIdentifier(name: string, what: string): string {
  if (!PLAIN_IDENTIFIER.test(name) || name.length > MAX_IDENTIFIER_LENGTH) {
    throw new ConfigError(
      `postgres ${what} "${name}" is not a plain identifier (lowercase letters, digits and _, at most ${MAX_IDENTIFIER_LENGTH} characters, not starting with a digit)`,
    );
  }
  return name;
}

/** Double-quotes an identifier for SQL text; names are checked first, quoting keeps them safe regardless. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

/** Name of the index on `received_at`, kept within the identifier limit and distinct per table. */
export function receivedAtIndexName(table: string): string {
  return fitIdentifier(`${table}_received_at_idx`);
}

/**
 * Maps topics to tables: an explicit override wins, otherwise the name is derived from the topic.
 * Two topics may share a table only when config says so for both; an accidental clash of derived
 * names (`a.b` and `a_b`) would silently mix two topics, so it is refused.
 */
export class TableNames {
  private readonly overrides = new Map<string, string>();
  private readonly resolved = new Map<string, string>();
  private readonly ownerOfTable = new Map<string, { topic: string; explicit: boolean }>();

  constructor(overrides: Record<string, string> = {}) {
    for (const [topic, table] of Object.entries(overrides)) {
      this.overrides.set(topic, checkIdentifier(table, `table for topic "${topic}"`));
    }
  }

  /** Resolves every topic up front so a clash is reported when config loads, not on the first write. */
  checkTopics(topics: Iterable<string>): void {
    for (const topic of topics) this.tableFor(topic);
  }

  /** The table for a topic; throws ConfigError when it clashes with another topic's table. */
  tableFor(topic: string): string {
    const known = this.resolved.get(topic);
    if (known !== undefined) return known;

    const override = this.overrides.get(topic);
    const table = override ?? defaultTableName(topic);
    const explicit = override !== undefined;
    const owner = this.ownerOfTable.get(table);
    if (owner && !(owner.explicit && explicit)) {
      throw new ConfigError(
        `postgres topics "${owner.topic}" and "${topic}" would both write to table "${table}"; name a table for one of them under postgres.tables`,
      );
    }
    this.ownerOfTable.set(table, { topic, explicit });
    this.resolved.set(topic, table);
    return table;
  }
}
