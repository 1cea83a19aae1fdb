import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describeError } from '../errors/describe';
import { exitDescription, type ChildRun } from './supervisor';

/** What a server module sends its parent when it has started, or could not. */
export type ServerStartMessage = { type: 'ready'; address: string } | { type: 'failed'; message: string };

export interface ForkedServerOptions {
  /** The server module, beside the caller (`.ts` from sources, `.js` in a build). */
  module: string;
  /** Handed to the module as its one argument, as JSON. */
  settings: unknown;
  /** Named in errors: "the embedded SQS server did not start: …". */
  name: string;
  startTimeoutMs: number;
  /** How long a stop waits for the module to end by itself before SIGKILL. */
  stopTimeoutMs: number;
  /** Node options of the child besides the TypeScript loader. */
  execArgv?: readonly string[];
}

export interface ForkedServer extends ChildRun {
  address: string;
  /** The running child, for callers that talk to it over its IPC channel. */
  child: ChildProcess;
  /** Sends a message if the channel is still open; a closed channel drops it (the exit tells). */
  post(message: unknown): void;
}

/** Running from TypeScript sources (the CLI, the tests), the child needs the same on-the-fly compiler. */
function childExecArgv(module: string, extra: readonly string[]): string[] {
  return path.extname(module) === '.ts' ? [...extra, '--require', require.resolve('tsx/cjs')] : [...extra];
}

function exited(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(exitDescription(child.exitCode, child.signalCode));
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(exitDescription(code, signal))),
  );
}

/**
 * Forks a server module of the local runtime and waits for its `ready`: the embedded SQS server and
 * the embedded Postgres each run in a process of their own, so a crash of one is a restart
 * (supervisor.ts), not the end of the runtime. The child follows its parent when the IPC channel
 * closes, and stops on `{ type: 'stop' }`.
 */
export async function forkServer(options: ForkedServerOptions): Promise<ForkedServer> {
  const child = fork(options.module, [JSON.stringify(options.settings)], {
    execArgv: childExecArgv(options.module, options.execArgv ?? []),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Structured clone instead of JSON on the IPC channel: the queue calls carry event bodies that are
    // JSON inside JSON, which the JSON channel would escape once more on every send and receive
    // (measured: 47 instead of 83 µs to send a batch of eleven 1 KB messages).
    serialization: 'advanced',
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });

  let address: string;
  let timer: NodeJS.Timeout | undefined;
  try {
    address = await new Promise<string>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`did not start within ${options.startTimeoutMs} ms`)),
        options.startTimeoutMs,
      );
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`exited early (${exitDescription(code, signal)})`)),
      );
      child.on('message', (message: ServerStartMessage) => {
        if (message.type === 'ready') resolve(message.address);
        else if (message.type === 'failed') reject(new Error(message.message));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    const detail = stderr.trim() === '' ? '' : `\n${stderr.trim()}`;
    throw new Error(`the ${options.name} did not start: ${describeError(error)}${detail}`, { cause: error });
  } finally {
    clearTimeout(timer);
    child.removeAllListeners('exit');
    child.removeAllListeners('message');
  }

  // A send on a channel that just closed reports to its callback, not as an 'error' event nobody
  // listens to; the exit then tells the caller.
  const post = (message: unknown): void => {
    if (child.connected) child.send(message as object, () => undefined);
  };
  const ended = exited(child);
  // Stay out of the way of a parent that wants to exit: the child follows it when the channel closes.
  child.unref();
  child.channel?.unref();

  let stopped: Promise<void> | undefined;
  return {
    address,
    child,
    post,
    pid: child.pid,
    exited: ended,
    stop() {
      stopped ??= (async () => {
        post({ type: 'stop' });
        const forced = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs);
        await ended;
        clearTimeout(forced);
      })();
      return stopped;
    },
  };
}
