import type { Envelope } from '../envelope';
import type { SinkName } from '../sinks/types';

/** A sink that did not take an event (sync: the write failed; async: the enqueue failed). */
export interface SinkFailure {
  type: SinkName;
  message: string;
}

/** Failures per event id; an id with no entry reached every sink (or every sink queue). */
export type DeliveryReport = Map<string, SinkFailure[]>;

/** How accepted events leave the ingest function: written inline (sync) or queued per sink (async). */
export interface Delivery {
  /** `budgetMs` bounds how long the caller may wait for any one sink. */
  deliver(
    sinks: readonly SinkName[],
    events: readonly Envelope[],
    budgetMs?: number,
  ): Promise<DeliveryReport>;
}

export function recordFailure(report: DeliveryReport, id: string, failure: SinkFailure): void {
  const existing = report.get(id);
  if (existing) existing.push(failure);
  else report.set(id, [failure]);
}
