import type { Envelope } from '../envelope';

/** A sink's name as config.json, the queues and the deployment spell it (see ./catalog.ts). */
export type SinkName = string;

/** Why one event did not reach a sink. `retryable: false` marks poison events that no retry will fix. */
export class SinkError extends Error {
  override readonly name = 'SinkError';
  constructor(
    readonly sink: SinkName,
    message: string,
    readonly retryable = true,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type DeliveryOutcome = { id: string; ok: true } | { id: string; ok: false; error: SinkError };

export type SinkHealth =
  { status: 'ok' } | { status: 'not configured' } | { status: 'down'; message: string };

/**
 * Every destination an event can go to. Batch-first: the sync path writes a list of one, the queue
 * workers a whole batch. `write` never throws for a per-event problem; it returns one outcome per
 * input envelope, in input order.
 */
export interface Sink {
  readonly name: SinkName;
  write(events: readonly Envelope[]): Promise<DeliveryOutcome[]>;
  health(): Promise<SinkHealth>;
  close(): Promise<void>;
}

/** Every event of the batch failed for the same reason (peer down, call rejected). */
export function failAll(events: readonly Envelope[], error: SinkError): DeliveryOutcome[] {
  return events.map((event) => ({ id: event.id, ok: false, error }));
}

export function deliveredAll(events: readonly Envelope[]): DeliveryOutcome[] {
  return events.map((event) => ({ id: event.id, ok: true }));
}
