/**
 * Time as code that waits sees it. Loops that pace themselves or poll (replay's rate limit, `backlog
 * --watch`, following a move task) take a Clock so tests can run them without waiting.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts: a waiting command stops on Ctrl-C. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};
