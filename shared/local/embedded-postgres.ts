import path from 'node:path';
import type { EmbeddedServerSettings } from './embedded-postgres-server';
import { forkServer } from './forked-server';
import { supervise, type ChildRun } from './supervisor';

export interface EmbeddedPostgresOptions {
  /** Directory the database lives in across restarts (e.g. `.eventgate/pgdata`); in memory when absent. */
  dataDir?: string;
  /** Port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** How long to wait for the database to come up (a new cluster on a busy machine is slow). Default 180 000 ms. */
  startTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`, no password needed. */
  url: string;
  /** The database process's id (it changes when the process is restarted). */
  pid(): number | undefined;
  /** `ok`, or why the database is not serving right now. */
  status(): string;
  stop(): Promise<void>;
}

/**
 * Connections the server accepts at once. The sink needs one (and briefly two: a `pg` pool opens the
 * replacement for a dropped connection before the server has noticed the old one close); the rest
 * are for whoever looks at the data meanwhile (psql, tests, the CLI). The server queues their
 * statements on its single session and keeps a transaction's statements together.
 */
const SERVER_CONNECTION_SLOTS = 8;
const DEFAULT_START_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 10_000;
const SERVER_MODULE = path.join(__dirname, `embedded-postgres-server${path.extname(__filename)}`);

function launch(
  settings: EmbeddedServerSettings,
  timeoutMs: number,
): Promise<ChildRun & { address: string }> {
  return forkServer({
    module: SERVER_MODULE,
    settings,
    name: 'embedded Postgres',
    startTimeoutMs: timeoutMs,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  });
}

/**
 * A Postgres for the local runtime that needs no installation: PGlite (Postgres compiled to
 * WebAssembly) served over the wire protocol on 127.0.0.1, so `pg` and the Postgres sink use it
 * exactly as they would a real server. It runs in a child process of its own (see
 * embedded-postgres-server.ts), stops with its parent, and is started again on the same port and
 * data directory if it dies.
 *
 * All connections share one single-user backend that runs one statement at a time, and an open
 * transaction on one connection holds up every other. So callers connect with a pool of one
 * (`poolMax: 1` for PostgresSink) and without named prepared statements (a name prepared on one
 * connection exists on all of them). Starting takes a few seconds (the WebAssembly module is
 * compiled and, for a new data directory, the cluster made).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const settings: EmbeddedServerSettings = {
    port: options.port ?? 0,
    connectionSlots: SERVER_CONNECTION_SLOTS,
  };
  if (options.dataDir !== undefined) settings.dataDir = path.resolve(options.dataDir);
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;

  let address = '';
  const server = await supervise('embedded Postgres', async () => {
    const run = await launch(settings, timeoutMs);
    address = run.address;
    // A restart comes back where the connection URL already points.
    settings.port = Number(run.address.split(':').pop());
    return run;
  });
  return {
    url: `postgres://postgres@${address}/postgres`,
    pid: server.pid,
    status: server.status,
    stop: server.stop,
  };
}
