import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** Where Debian's `postgresql` package puts the server binaries, one directory per major version. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

/** Set by global-setup for the test workers: the cluster every test file makes its database on. */
export const TEST_DATABASE_URL_VARIABLE = 'EVENTGATE_TEST_DATABASE_URL';
/** Set by global-setup when it could not start the shared cluster; test files report it. */
export const TEST_DATABASE_ERROR_VARIABLE = 'EVENTGATE_TEST_DATABASE_ERROR';

export interface PostgresPeer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`, trust authentication. */
  url: string;
  port: number;
  /** Stops the server and deletes the cluster. */
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server but keeps the data, to play a database outage; `startServer` brings it back. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** One statement on a fresh connection, for reading back what a test wrote. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/** Newest installed server's bin directory; EVENTGATE_PG_BINDIR overrides. */
export function postgresBinDir(): string {
  const override = process.env.EVENTGATE_PG_BINDIR;
  if (override) return override;
  const versions = existsSync(DEBIAN_POSTGRES_ROOT)
    ? readdirSync(DEBIAN_POSTGRES_ROOT)
        .filter((entry) => /^\d+(\.\d+)?$/.test(entry))
        .filter((entry) => existsSync(path.join(DEBIAN_POSTGRES_ROOT, entry, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      `PostgreSQL server binaries (initdb, pg_ctl) not found under ${DEBIAN_POSTGRES_ROOT}/<version>/bin: ` +
        'install the Debian package "postgresql" (apt-get install -y postgresql) or set EVENTGATE_PG_BINDIR',
    );
  }
  return path.join(DEBIAN_POSTGRES_ROOT, newest, 'bin');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** initdb and the server refuse to run as root; as root we run them as the `postgres` OS user. */
interface ServerUser {
  prefix: string[];
  uid?: number;
  gid?: number;
}

function serverUser(): ServerUser {
  if (process.getuid?.() !== 0) return { prefix: [] };
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error('running as root, but there is no "postgres" OS user to run the test cluster as');
  }
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid, gid };
}

function command(user: ServerUser, binary: string, args: string[]): [string, string[]] {
  const [first, ...rest] = [...user.prefix, binary, ...args];
  return [first as string, rest];
}

/** Clusters still running when the process exits are stopped at once, so a crashed run leaves none behind. */
const running = new Map<string, () => void>();
let exitHookInstalled = false;
function stopAllAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const stop of running.values()) stop();
  });
}

/**
 * Starts a throwaway cluster on 127.0.0.1 and a free port: its own data directory and socket
 * directory under the system temp dir, trust authentication, no fsync. About two seconds.
 */
export async function startPostgres(): Promise<PostgresPeer> {
  const bin = postgresBinDir();
  const user = serverUser();
  const root = mkdtempSync(path.join(os.tmpdir(), 'eventgate-pg-'));
  if (user.uid !== undefined && user.gid !== undefined) chownSync(root, user.uid, user.gid);
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');

  const exec = async (binary: string, args: string[]): Promise<void> => {
    const [file, argv] = command(user, path.join(bin, binary), args);
    // A directory the server's user can enter: it may not be allowed into the project checkout.
    await run(file, argv, { timeout: 60_000, cwd: root });
  };
  const serverLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '');

  try {
    await exec('initdb', [
      '-D',
      dataDir,
      '--auth=trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(error as Error).message}`, { cause: error });
  }

  let port = 0;
  let serverRunning = false;
  const pgCtl = (...args: string[]): [string, string[]] => command(user, path.join(bin, 'pg_ctl'), args);

  const startServer = async (): Promise<void> => {
    // Another process may take the port between the probe and the start; try a few.
    const keepPort = port !== 0;
    for (let attempt = 1; ; attempt++) {
      if (!keepPort) port = await freePort();
      const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${root} -c fsync=off -c full_page_writes=off -c synchronous_commit=off`;
      try {
        // -l: the server must not inherit our stdout, or the call would wait for the server to exit.
        await exec('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', options, 'start']);
        serverRunning = true;
        return;
      } catch (error) {
        if (attempt >= 3 || keepPort) {
          throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${serverLog()}`, {
            cause: error,
          });
        }
      }
    }
  };

  const stopServer = async (): Promise<void> => {
    if (!serverRunning) return;
    await exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    serverRunning = false;
  };

  running.set(root, () => {
    if (!serverRunning) return;
    const [file, argv] = pgCtl('-D', dataDir, '-m', 'immediate', '-w', 'stop');
    try {
      execFileSync(file, argv, { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    rmSync(root, { recursive: true, force: true });
  });
  stopAllAtExit();

  try {
    await startServer();
  } catch (error) {
    running.delete(root);
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  const url = (): string => `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    get url() {
      return url();
    },
    get port() {
      return port;
    },
    async stop() {
      try {
        await stopServer();
      } finally {
        running.delete(root);
        rmSync(root, { recursive: true, force: true });
      }
    },
    async restart() {
      await stopServer();
      await startServer();
    },
    stopServer,
    startServer,
    query: <Row>(sql: string, params?: unknown[]) => queryOnce<Row>(url(), sql, params),
  };
}

/** Runs one statement on a connection of its own. */
export async function queryOnce<Row = Record<string, unknown>>(
  url: string,
  sql: string,
  params?: unknown[],
): Promise<Row[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A connection error after connect is reported through the query or end call; do not crash on it.
  client.on('error', () => {});
  await client.connect();
  try {
    const result = await client.query(sql, params);
    return result.rows as Row[];
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh database on the cluster global-setup started, so test files running side by side never see
 * each other's tables. Call `drop()` in afterAll.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const clusterUrl = process.env[TEST_DATABASE_URL_VARIABLE];
  if (!clusterUrl) {
    const reason = process.env[TEST_DATABASE_ERROR_VARIABLE];
    throw new Error(
      reason
        ? `the shared test Postgres did not start: ${reason}`
        : `${TEST_DATABASE_URL_VARIABLE} is not set; run the tests through jest so global-setup starts Postgres`,
    );
  }
  const name = `eventgate_test_${randomBytes(6).toString('hex')}`;
  await queryOnce(clusterUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(clusterUrl, name);
  return {
    url,
    query: <Row>(sql: string, params?: unknown[]) => queryOnce<Row>(url, sql, params),
    async drop() {
      await queryOnce(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
