import { logger } from '../observability/logger';
import { describeError } from '../errors/describe';

/** One run of a child process, as the supervisor sees it. */
export interface ChildRun {
  pid: number | undefined;
  /** Settles when the process has ended, with how it ended (`code 1`, `signal SIGKILL`). */
  exited: Promise<string>;
  /** Asks the process to stop and waits until it has. */
  stop(): Promise<void>;
}

/** A child process kept running: restarted whenever it dies while it is wanted. */
export interface SupervisedProcess {
  readonly name: string;
  /** The current process id (changes on every restart). */
  pid(): number | undefined;
  /** `ok`, or what is wrong with it right now. */
  status(): string;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/** Waits between restart attempts: quick at first, then every few seconds for as long as it takes. */
const RESTART_DELAYS_MS = [100, 500, 1_000, 2_000, 5_000];

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Starts a child with `start` and restarts it (the same way) whenever it exits without having been
 * told to stop. Until a restart succeeds, `status()` says what happened, so /health can name the
 * dependency that failed instead of the sinks that depend on it.
 */
export async function supervise(name: string, start: () => Promise<ChildRun>): Promise<SupervisedProcess> {
  let current = await start();
  let stopping = false;
  let problem: string | undefined;

  const restartAfter = async (how: string): Promise<void> => {
    problem = `exited unexpectedly (${how}); restarting`;
    logger.error(`${name} exited unexpectedly; restarting it`, { how });
    for (let attempt = 0; !stopping; attempt++) {
      await delay(RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)] as number);
      if (stopping) return;
      try {
        const run = await start();
        if (stopping) {
          await run.stop();
          return;
        }
        current = run;
        problem = undefined;
        logger.info(`${name} restarted`, { pid: run.pid, attempts: attempt + 1 });
        watch(run);
        return;
      } catch (error) {
        problem = `exited unexpectedly (${how}); restart failed: ${describeError(error)}`;
        logger.error(`${name} could not be restarted; trying again`, { error: describeError(error) });
      }
    }
  };

  const watch = (run: ChildRun): void => {
    void run.exited.then((how) => {
      if (!stopping && run === current) void restartAfter(how);
    });
  };
  watch(current);

  return {
    name,
    pid: () => current.pid,
    status: () => problem ?? 'ok',
    async stop() {
      stopping = true;
      await current.stop();
    },
  };
}

/** How a child ended, in words for logs and /health. */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}
