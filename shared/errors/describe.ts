/**
 * `throw` takes any value and a `catch` cannot know which it got, so every message, log line and
 * answer that quotes a failure goes through here instead of casting to Error.
 */

export interface DescribeErrorOptions {
  /**
   * Put the error's class before its message (`ThrottlingException: Rate exceeded`) when it says
   * more than a plain `Error`: for SDK errors the name is often the only machine-readable part.
   */
  withName?: boolean;
}

/** The text of a thrown value: an Error's message, a thrown string as it is, else its best rendering. */
export function describeError(error: unknown, options: DescribeErrorOptions = {}): string {
  if (error instanceof Error) {
    const message = errorMessage(error);
    if (!options.withName || error.name === '' || error.name === 'Error') return message;
    return message === error.name ? message : `${error.name}: ${message}`;
  }
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const { message } = error as { message?: unknown };
    if (typeof message === 'string') return message;
    try {
      const json = JSON.stringify(error);
      if (json !== undefined && json !== '{}') return json;
    } catch {
      // A cycle or a BigInt: fall through to String().
    }
  }
  return String(error);
}

/**
 * The class of a thrown value, as a short code for reports: SDK errors carry the service's error
 * code here (`QueueDoesNotExist`); anything that is not an Error is just `Error`.
 */
export function errorName(error: unknown): string {
  return error instanceof Error && error.name !== '' ? error.name : 'Error';
}

function errorMessage(error: Error): string {
  if (error.message !== '') return error.message;
  // Node's connection attempts over several addresses throw an AggregateError without a message of
  // its own: what went wrong is in the errors it holds.
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((inner: unknown) => describeError(inner)).join('; ');
  }
  return error.name || 'Error';
}
