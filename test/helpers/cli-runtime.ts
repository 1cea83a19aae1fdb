import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(PROJECT_ROOT, 'bin', 'eventgate.js');

/**
 * The Node.js options `npm start` gives the CLI (package.json `start`: `node <options>
 * bin/eventgate.js dev`), so the runtime under test runs as a user's does.
 */
export function startScriptNodeOptions(root: string = PROJECT_ROOT): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (scripts?.start ?? '').trim().split(/\s+/);
  const cli = words.indexOf('bin/eventgate.js');
  if (words[0] !== 'node' || cli < 0 || words[cli + 1] !== 'dev')
    throw new Error(`npm start is not \`node … bin/eventgate.js dev\`: "${scripts?.start ?? ''}"`);
  return words.slice(1, cli);
}

/** `npm start` as a user runs it: the CLI's `dev` command in its own process, default configuration. */
export interface CliRuntime {
  url: string;
  /** The development token it printed. */
  token: string;
  /** The Postgres URL it printed (the embedded database unless DATABASE_URL was set). */
  databaseUrl: string;
  pid: number;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Settles when the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ctrl-C. */
  interrupt(): void;
  /** kill -9. */
  kill(): void;
  /** Ctrl-C, then kill -9 if it has not ended within half a minute; settles when it has ended. */
  stop(): Promise<void>;
}

export interface CliRunOptions {
  stateDir: string;
  /** More arguments for `eventgate dev` (e.g. `--conf`, `--subject`). */
  devArgs?: string[];
  /** Added to a copy of this process's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  startTimeoutMs?: number;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: undefined };
  Object.assign(env, extra);
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

function spawnCli(
  args: string[],
  options: CliRunOptions,
  nodeOptions: string[] = [],
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...nodeOptions, CLI, ...args], {
    cwd: PROJECT_ROOT,
    env: childEnv(options.env),
    stdio: 'pipe',
  });
}

function exitOf(child: ChildProcessWithoutNullStreams): CliRuntime['exited'] {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Starts `eventgate dev --port 0`, with npm start's Node options, and waits until it says it is ready. */
export async function startCliRuntime(options: CliRunOptions): Promise<CliRuntime> {
  const child = spawnCli(
    ['dev', '--port', '0', '--state-dir', options.stateDir, ...(options.devArgs ?? [])],
    options,
    startScriptNodeOptions(),
  );
  const exited = exitOf(child);
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`eventgate dev did not start in time:\n${output}`)),
      options.startTimeoutMs ?? 180_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`eventgate dev exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });
  await ready;
  const printed = (pattern: RegExp): string => {
    const match = pattern.exec(output);
    if (!match?.[1]) throw new Error(`eventgate dev did not print ${pattern}:\n${output}`);
    return match[1];
  };
  return {
    url: printed(/listening on (http:\/\/\S+)/),
    token: printed(/export TOKEN=(\S+)/),
    databaseUrl: printed(/Postgres\s+(postgres:\/\/\S+)/),
    pid: child.pid as number,
    output: () => output,
    exited,
    interrupt: () => child.kill('SIGINT'),
    kill: () => child.kill('SIGKILL'),
    async stop() {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs the CLI to completion (a command that is expected to end by itself). */
export async function runCli(
  args: string[],
  options: CliRunOptions,
): Promise<{ code: number | null; output: string }> {
  const child = spawnCli(args, options);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const { code } = await exitOf(child);
  return { code, output };
}

/** The processes the runtime holding `stateDir` started, as its lock file records them. */
export async function lockedChildren(stateDir: string): Promise<number[]> {
  const lock = JSON.parse(await readFile(path.join(stateDir, 'runtime.lock'), 'utf8')) as {
    children?: number[];
  };
  return lock.children ?? [];
}
