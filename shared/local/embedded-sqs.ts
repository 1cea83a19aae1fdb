import path from 'node:path';
import { DirectSqsCalls } from './sqs-direct-client';
import type { EmbeddedSqsSettings, FromSqsServer, ToSqsServer } from './sqs-direct-protocol';
import { forkServer } from './forked-server';
import { supervise, type ChildRun } from './supervisor';

export interface EmbeddedSqsOptions {
  /** Port on 127.0.0.1; a free one when absent. Restarts after a crash reuse the first port. */
  port?: number;
  /**
   * Where queues, messages and S3 objects are kept (SQLite, written through on every change), so
   * they survive a stop or a crash. In memory when absent.
   */
  dataDir?: string;
  /**
   * Make messages that a previous run had received but not deleted visible again at once. Only
   * right for the sole user of `dataDir` (the local runtime holds the state folder's lock): no
   * worker of a stopped process still holds them, and they would otherwise wait out their
   * visibility timeout.
   */
  releaseInFlight?: boolean;
  /**
   * Flush every change to the disk before answering, so it survives a power cut too. Default false:
   * every change has reached the operating system before the answer, which is what survives a crash
   * or `kill -9` of any EventGate process, at a fraction of the cost (SQLite WAL with
   * `synchronous=NORMAL` instead of `FULL`: no fsync per request).
   */
  fsync?: boolean;
}

export interface EmbeddedSqs {
  /** `http://127.0.0.1:PORT`; serves the SQS JSON protocol and path-style S3. */
  endpoint: string;
  /** The server process's id (it changes when the process is restarted). */
  pid(): number | undefined;
  /** `ok`, or why the server is not serving right now. */
  status(): string;
  /**
   * The channel for the calls every event makes (send, receive, delete), bypassing HTTP: hand it to
   * routeDirectCalls (sqs-direct-client.ts) with the SQS client that should use it.
   */
  directCalls: DirectSqsCalls;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;
const SERVER_MODULE = path.join(__dirname, `embedded-sqs-server${path.extname(__filename)}`);

async function launch(
  settings: EmbeddedSqsSettings,
  directCalls: DirectSqsCalls,
): Promise<ChildRun & { address: string }> {
  const server = await forkServer({
    module: SERVER_MODULE,
    settings,
    name: 'embedded SQS server',
    startTimeoutMs: STARTUP_TIMEOUT_MS,
    stopTimeoutMs: STOP_TIMEOUT_MS,
    // SQLite (fauxqs's store) still prints an experimental-feature warning on Node 22.
    execArgv: ['--no-warnings'],
  });
  server.child.on('message', (message: FromSqsServer) => {
    if (message.type === 'results') directCalls.settle(message.results);
  });
  directCalls.connect({ post: (message: ToSqsServer) => server.post(message) });
  void server.exited.then((how) => directCalls.disconnect(how));
  return server;
}

/**
 * An SQS (and S3) compatible server, fauxqs, on 127.0.0.1, kept running: if its process dies it is
 * started again on the same port and state, so clients keep their endpoint and queue URLs.
 */
export async function startEmbeddedSqs(options: EmbeddedSqsOptions = {}): Promise<EmbeddedSqs> {
  const settings: EmbeddedSqsSettings = {
    port: options.port ?? 0,
    releaseInFlight: options.releaseInFlight ?? false,
    synchronous: options.fsync ? 'FULL' : 'NORMAL',
  };
  if (options.dataDir !== undefined) settings.dataDir = path.resolve(options.dataDir);

  let endpoint = '';
  const directCalls = new DirectSqsCalls();
  const server = await supervise('embedded SQS server', async () => {
    const run = await launch(settings, directCalls);
    endpoint = run.address;
    // A restart comes back where clients already point, and must not release what they now hold.
    settings.port = Number(new URL(run.address).port);
    settings.releaseInFlight = false;
    return run;
  });
  return { endpoint, pid: server.pid, status: server.status, directCalls, stop: server.stop };
}
