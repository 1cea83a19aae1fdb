import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StateLockOwner } from '../shared/local/state-lock';

const REPO = path.join(__dirname, '..');

/**
 * `npm start`'s command line (package.json), as the arguments after `node`: the bench starts the
 * runtime with the same Node.js flags a user gets.
 */
export function startScriptArgs(root: string = REPO): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (scripts?.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`npm start does not run node: "${scripts?.start ?? ''}"`);
  return words.slice(1).map((word) => (word.endsWith('.js') ? path.join(root, word) : word));
}
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** `eventgate dev` running in a process of its own, started as `npm start` starts it. */
export interface CliRuntime {
  url: string;
  /** The development token the CLI printed for `subject`. */
  token: string;
  /** The gateway process (HTTP, ingest, pollers, workers). */
  pid: number;
  /** The embedded servers' processes, from the state folder's lock file. */
  childPids(): number[];
  /** Ctrl-C, as a user stops it; resolves when it has exited. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `npm start`'s command (`eventgate dev`) on a free port with `env`, and waits for the token
 * it prints when it is ready.
 */
export async function startCliRuntime(options: {
  confDir: string;
  stateDir: string;
  subject: string;
  env: NodeJS.ProcessEnv;
}): Promise<CliRuntime> {
  const child = spawn(
    process.execPath,
    [
      ...startScriptArgs(),
      '--port',
      '0',
      '--conf',
      options.confDir,
      '--state-dir',
      options.stateDir,
      '--subject',
      options.subject,
    ],
    { cwd: REPO, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`eventgate dev was not ready in ${STARTUP_TIMEOUT_MS} ms:\n${output}`)),
        STARTUP_TIMEOUT_MS,
      );
      const check = (): void => {
        const url = /EventGate is listening on (\S+)/.exec(output)?.[1];
        const token = /export TOKEN=(\S+)/.exec(output)?.[1];
        if (url && token) {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          resolve({ url, token });
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`eventgate dev exited (${signal ?? code}) before it was ready:\n${output}`));
      });
    });
    return {
      url,
      token,
      pid: child.pid as number,
      childPids: () => {
        const lock = JSON.parse(
          readFileSync(path.join(options.stateDir, 'runtime.lock'), 'utf8'),
        ) as StateLockOwner;
        return lock.children ?? [];
      },
      async stop() {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited(child);
        clearTimeout(timer);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
