import { setDeadline } from './deadlines';

/** Raised when a sink call did not settle within its budget. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Settles with `work`, or rejects with a TimeoutError after `ms`. The work itself keeps running:
 * callers that own a client must treat it as suspect afterwards (the sinks drop and rebuild it).
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = setDeadline(ms, () => reject(new TimeoutError(`${what} timed out after ${ms} ms`)));
    work.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}

/** Resolves after `ms`; used for backoff between retries. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Request-handler settings that bound every AWS SDK call: without `throwOnRequestTimeout` the SDK
 * only logs a warning when `requestTimeout` passes and keeps waiting.
 */
export function sdkRequestTimeouts(timeoutMs: number): {
  connectionTimeout: number;
  requestTimeout: number;
  throwOnRequestTimeout: true;
} {
  return {
    connectionTimeout: Math.min(timeoutMs, 3_000),
    requestTimeout: timeoutMs,
    throwOnRequestTimeout: true,
  };
}
