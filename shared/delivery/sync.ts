import type { Envelope } from '../envelope';
import type { Sink, SinkName } from '../sinks/types';
import { checkEach, recordFailure, type Delivery, type DeliveryHealth, type DeliveryReport } from './types';
import { withTimeout } from '../timeout';
import { describeError } from '../errors/describe';

export type SinkProvider = (name: SinkName) => Promise<Sink>;

export interface SyncDeliveryOptions {
  sinks: SinkProvider;
  /** Default budget for each sink's write; a sink that takes longer counts as failed for this request. */
  timeoutMs: number;
}

/**
 * The sync path: every sink of the topic written inline and in parallel, so the answer can say
 * exactly which sinks took the event.
 */
export class SyncDelivery implements Delivery {
  constructor(private readonly options: SyncDeliveryOptions) {}

  /** Each sink's own health check: the sync path writes to the sink itself. */
  health(sinks: readonly SinkName[], timeoutMs: number): Promise<DeliveryHealth> {
    return checkEach(sinks, timeoutMs, async (name) => {
      const result = await (await this.options.sinks(name)).health();
      return result.status === 'down' ? result.message : result.status;
    });
  }

  async deliver(
    sinks: readonly SinkName[],
    events: readonly Envelope[],
    budgetMs?: number,
  ): Promise<DeliveryReport> {
    const report: DeliveryReport = new Map();
    const timeoutMs = budgetMs ?? this.options.timeoutMs;
    // Most topics have one sink: written without gathering one promise into Promise.all.
    if (sinks.length === 1) await this.writeTo(sinks[0] as SinkName, events, timeoutMs, report);
    else await Promise.all(sinks.map((name) => this.writeTo(name, events, timeoutMs, report)));
    return report;
  }

  /** One sink's write, its failures recorded in `report`; never rejects. */
  private async writeTo(
    name: SinkName,
    events: readonly Envelope[],
    timeoutMs: number,
    report: DeliveryReport,
  ): Promise<void> {
    try {
      const sink = await this.options.sinks(name);
      const outcomes = await withTimeout(sink.write(events), timeoutMs, `${name} sink`);
      for (const outcome of outcomes) {
        if (!outcome.ok) recordFailure(report, outcome.id, { type: name, message: outcome.error.message });
      }
    } catch (error) {
      for (const event of events)
        recordFailure(report, event.id, { type: name, message: describeError(error) });
    }
  }
}
