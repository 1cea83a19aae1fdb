import {
  startPostgres,
  TEST_DATABASE_ERROR_VARIABLE,
  TEST_DATABASE_URL_VARIABLE,
  type PostgresPeer,
} from './postgres';
import { ensureSystemPackages } from './system-packages';

/** Handed to global-teardown, which runs in this same process. */
export const SHARED_POSTGRES_KEY = '__eventgateSharedPostgres';

export type SharedPeers = { [SHARED_POSTGRES_KEY]?: PostgresPeer };

/** The part of jest's global config we look at. */
interface RunSelection {
  /** jest 30 */
  testPathPatterns?: { patterns?: readonly string[] };
  /** jest 29: the patterns joined with `|`. */
  testPathPattern?: string;
}

/** A run restricted to paths under test/unit needs no database; everything else might. */
function onlyUnitTests(selection: RunSelection | undefined): boolean {
  const patterns =
    selection?.testPathPatterns?.patterns ??
    (selection?.testPathPattern ? selection.testPathPattern.split('|') : []);
  return patterns.length > 0 && patterns.every((pattern) => /(^|[/\\])test[/\\]unit([/\\]|$)/.test(pattern));
}

/**
 * Starts the one Postgres cluster the whole run shares; each test file makes its own database on it
 * (createTestDatabase). Workers inherit the URL through the environment. A URL already set (say, a
 * CI service) is used as is. When the server cannot start, unit tests still run and the database
 * tests report why.
 */
export default async function globalSetup(selection?: RunSelection): Promise<void> {
  if (onlyUnitTests(selection)) {
    process.env[TEST_DATABASE_ERROR_VARIABLE] = 'not started: this run selected unit tests only';
    return;
  }
  ensureSystemPackages();
  if (process.env[TEST_DATABASE_URL_VARIABLE]) return;
  try {
    const postgres = await startPostgres();
    (globalThis as SharedPeers)[SHARED_POSTGRES_KEY] = postgres;
    process.env[TEST_DATABASE_URL_VARIABLE] = postgres.url;
  } catch (error) {
    process.env[TEST_DATABASE_ERROR_VARIABLE] = (error as Error).message;
  }
}
