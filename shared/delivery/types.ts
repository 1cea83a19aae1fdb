import type { Envelope } from '../envelope';
import type { SinkName } from '../sinks/types';
import { withTimeout } from '../timeout';
import { describeError } from '../errors/describe';

/** A sink that did not take an event (sync: the write failed; async: the enqueue failed). */
export interface SinkFailure {
  type: SinkName;
  message: string;
}

/** Failures per event id; an id with no entry reached every sink (or every sink queue). */
export type DeliveryReport = Map<string, SinkFailure[]>;

/** Per sink: `'ok'`, `'not configured'`, or why events cannot leave that way now. */
export type DeliveryHealth = Map<SinkName, string>;

/**
 * How accepted events leave the ingest function: written inline (sync) or queued per sink (async).
 * The HTTP layer asks it everything that depends on the way out, and knows no transport itself.
 */
export interface Delivery {
  /** `budgetMs` bounds how long the caller may wait for any one sink. */
  deliver(
    sinks: readonly SinkName[],
    events: readonly Envelope[],
    budgetMs?: number,
  ): Promise<DeliveryReport>;
  /** Whether each of the given sinks can take events this way now; no check takes over `timeoutMs`. */
  health(sinks: readonly SinkName[], timeoutMs: number): Promise<DeliveryHealth>;
}

export function recordFailure(report: DeliveryReport, id: string, failure: SinkFailure): void {
  const existing = report.get(id);
  if (existing) existing.push(failure);
  else report.set(id, [failure]);
}

/** Runs one check per sink in parallel, each bounded by `timeoutMs`; a thrown error is its verdict. */
export async function checkEach(
  sinks: readonly SinkName[],
  timeoutMs: number,
  check: (sink: SinkName) => Promise<string>,
): Promise<DeliveryHealth> {
  const verdicts = await Promise.all(
    sinks.map((sink) => withTimeout(check(sink), timeoutMs, 'health check').catch(describeError)),
  );
  return new Map(sinks.map((sink, index) => [sink, verdicts[index] as string]));
}
