import { spawn } from 'node:child_process';
import path from 'node:path';
import { exitDescription, supervise, type ChildRun } from './supervisor';

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
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

// fauxqs is an ES module and some hosts of this code (Jest's CommonJS runtime) cannot load one, so it
// runs in a child Node process bound to loopback. Closing its stdin stops it, which also happens when
// this process dies, so it never outlives us. It ignores SIGINT: a Ctrl-C in a terminal reaches the
// whole process group, and the parent still needs the queues while it drains.
//
// Persistence is wired here rather than through fauxqs's startFauxqs(), which would listen on every
// interface: the stores are built with its SQLite persistence manager and handed to buildApp(),
// which listens where it is told.
const LAUNCHER = `
import { buildApp } from 'fauxqs';
const settings = JSON.parse(process.env.EVENTGATE_SQS_SETTINGS);
const internal = (file) => import(new URL(file, import.meta.resolve('fauxqs')).href);
let stores;
let persistence;
if (settings.dataDir) {
  const [{ SqsStore }, { SnsStore }, { S3Store }, { PersistenceManager }] = await Promise.all([
    internal('./sqs/sqsStore.js'),
    internal('./sns/snsStore.js'),
    internal('./s3/s3Store.js'),
    internal('./persistence.js'),
  ]);
  persistence = new PersistenceManager(settings.dataDir);
  persistence.db.exec('PRAGMA synchronous = ' + settings.synchronous);
  // An expired visibility deadline is cleared when the state is loaded: the message is ready again.
  if (settings.releaseInFlight)
    persistence.db.exec('UPDATE sqs_messages SET visibility_deadline = 1 WHERE receipt_handle IS NOT NULL');
  stores = { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() };
  persistence.load(stores.sqsStore, stores.snsStore, stores.s3Store);
  stores.sqsStore.persistence = persistence;
  stores.snsStore.persistence = persistence;
  stores.s3Store.persistence = persistence;
  for (const queue of stores.sqsStore.allQueues()) queue.persistence = persistence;
}
const app = buildApp({ logger: false, stores });
if (persistence) app.addHook('preClose', () => persistence.close());
const address = await app.listen({ host: '127.0.0.1', port: settings.port });
process.stdout.write(JSON.stringify({ address }) + '\\n');
const shutdown = () => app.close().then(() => process.exit(0), () => process.exit(1));
process.stdin.on('end', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
process.on('SIGINT', () => undefined);
`;

interface LaunchSettings {
  port: number;
  dataDir?: string;
  releaseInFlight: boolean;
  synchronous: 'FULL' | 'NORMAL';
}

async function launch(settings: LaunchSettings): Promise<ChildRun & { address: string }> {
  const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', LAUNCHER], {
    cwd: PROJECT_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, EVENTGATE_SQS_SETTINGS: JSON.stringify(settings) },
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(exitDescription(code, signal))),
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    const forced = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(forced);
  };

  try {
    const address = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(
        () => reject(new Error(`the SQS server did not start within ${STARTUP_TIMEOUT_MS} ms: ${stderr}`)),
        STARTUP_TIMEOUT_MS,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const newline = stdout.indexOf('\n');
        if (newline < 0) return;
        clearTimeout(timer);
        try {
          resolve((JSON.parse(stdout.slice(0, newline)) as { address: string }).address);
        } catch {
          reject(new Error(`the SQS server printed an unexpected line: ${stdout.slice(0, newline)}`));
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the SQS server exited early (${exitDescription(code, signal)}): ${stderr}`));
      });
    });
    return { pid: child.pid, exited, stop, address: address.replace('localhost', '127.0.0.1') };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * An SQS (and S3) compatible server, fauxqs, on 127.0.0.1, kept running: if its process dies it is
 * started again on the same port and state, so clients keep their endpoint and queue URLs.
 */
export async function startEmbeddedSqs(options: EmbeddedSqsOptions = {}): Promise<EmbeddedSqs> {
  const settings: LaunchSettings = {
    port: options.port ?? 0,
    releaseInFlight: options.releaseInFlight ?? false,
    synchronous: options.fsync ? 'FULL' : 'NORMAL',
  };
  if (options.dataDir !== undefined) settings.dataDir = path.resolve(options.dataDir);

  let endpoint = '';
  const server = await supervise('embedded SQS server', async () => {
    const run = await launch(settings);
    endpoint = run.address;
    // A restart comes back where clients already point, and must not release what they now hold.
    settings.port = Number(new URL(run.address).port);
    settings.releaseInFlight = false;
    return run;
  });
  return { endpoint, pid: server.pid, status: server.status, stop: server.stop };
}
