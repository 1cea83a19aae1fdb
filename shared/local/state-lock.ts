import { readFileSync } from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What the lock file says about the runtime that holds the state folder. */
export interface StateLockOwner {
  pid: number;
  startedAt: string;
  /** The gateway's URL, once it listens. */
  url?: string;
  /** The embedded servers' processes, so a runtime taking over a stale lock can wait them out. */
  children?: number[];
}

export interface StateLock {
  readonly file: string;
  /** Records more about the holder (its URL, its children) for whoever finds the lock next. */
  update(details: Partial<Omit<StateLockOwner, 'pid' | 'startedAt'>>): Promise<void>;
  release(): Promise<void>;
}

/** Thrown when another live runtime holds the state folder. */
export class StateFolderBusyError extends Error {
  constructor(
    readonly stateDir: string,
    readonly owner: StateLockOwner,
  ) {
    super(
      `another EventGate runtime (pid ${owner.pid}${owner.url ? `, ${owner.url}` : ''}) is using ${stateDir}; ` +
        'stop it first, or give this one its own folder with --state-dir or EVENTGATE_STATE_DIR',
    );
    this.name = 'StateFolderBusyError';
  }
}

const LOCK_FILE = 'runtime.lock';
/** How long a runtime taking over waits for a dead holder's children to let go of the folder. */
const CHILDREN_GRACE_MS = 10_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A pid can be reused after a crash: on Linux, make sure it is still a Node process.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true;
  }
}

async function readOwner(file: string): Promise<StateLockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as StateLockOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

async function waitForExit(pids: number[]): Promise<void> {
  const deadline = Date.now() + CHILDREN_GRACE_MS;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0) return;
    if (Date.now() > deadline) {
      for (const pid of alive) process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Takes the state folder for this process, before anything in it is opened: two runtimes on one
 * folder would run two databases on the same files. A lock left by a runtime that died (its pid is
 * gone) is taken over, once the embedded servers it had started have exited too.
 */
export async function acquireStateLock(stateDir: string): Promise<StateLock> {
  const file = path.join(stateDir, LOCK_FILE);
  const owner: StateLockOwner = { pid: process.pid, startedAt: new Date().toISOString() };
  // Two tries: the second follows the removal of a stale lock, and losing it means another runtime
  // took the folder in between.
  let taken = false;
  for (let attempt = 0; !taken; attempt++) {
    if (attempt === 3) throw new Error(`could not take the lock ${file}: other runtimes keep starting`);
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
      await handle.close();
      taken = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readOwner(file);
      if (holder && (attempt > 0 || isAlive(holder.pid))) throw new StateFolderBusyError(stateDir, holder);
      await waitForExit(holder?.children ?? []);
      await rm(file, { force: true });
    }
  }

  let released = false;
  return {
    file,
    async update(details) {
      if (released) return;
      Object.assign(owner, details);
      await writeFile(file, `${JSON.stringify(owner)}\n`);
    },
    async release() {
      if (released) return;
      released = true;
      // Only the holder removes the lock: check it is still ours.
      const holder = await readOwner(file);
      if (holder?.pid === process.pid) await rm(file, { force: true });
    },
  };
}
