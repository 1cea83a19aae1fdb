import {
  EventBridgeClient,
  PutEventsCommand,
  type EventBridgeClientConfig,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { Envelope } from '../../envelope';
import type { EventBridgeConfigKeys } from './settings';
import { SinkError, failAll, type DeliveryOutcome, type Sink, type SinkHealth } from '../types';
import { sdkRequestTimeouts, sleep } from '../../timeout';
import { probeHealth } from '../health';
import { fillEventBridgeTemplate } from '../cloudevents';
import { EVENTBRIDGE_MAX_ENTRY_BYTES, EVENTBRIDGE_TIME_FIELD_BYTES } from '../limits';
import { describeError } from '../../errors/describe';
import { chunkBy, type ChunkLimits } from '../../batching/chunk';

export interface EventBridgeSinkOptions {
  /** ARN (or name) of the event bus. */
  eventBusArn: string;
  /** `Source` of each entry; `{topic}` is replaced by the EventGate topic. Default `{topic}`. */
  source?: string;
  /** `DetailType` of each entry. Default `JSON`. */
  detailType?: string;
  /** Passed to the SDK client (region, endpoint, credentials, maxAttempts, …). */
  clientConfig?: EventBridgeClientConfig;
  /** Rounds of PutEvents for entries EventBridge throttles or fails internally. Default 3. */
  maxAttempts?: number;
  /** First backoff between those rounds; it doubles each round (with jitter). Default 100. */
  baseBackoffMs?: number;
  /** Budget for one PutEvents HTTP request. Default 10 000. */
  timeoutMs?: number;
  /** Budget for the health check. Default 3 000. */
  healthTimeoutMs?: number;
}

/** PutEvents takes at most 10 entries and 256 KiB per call; a single entry has the same size cap. */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_CALL_BYTES = EVENTBRIDGE_MAX_ENTRY_BYTES;

// Per-entry codes that describe EventBridge's state, not the entry: worth another round.
const TRANSIENT_ENTRY_ERRORS = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);

const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_BASE_BACKOFF_MS = 100;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 3_000;
const TIME_FIELD_BYTES = EVENTBRIDGE_TIME_FIELD_BYTES;

/** Size of an entry as EventBridge counts it against its limits. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? TIME_FIELD_BYTES : 0;
  for (const field of [entry.Source, entry.DetailType, entry.Detail]) {
    if (field) size += Buffer.byteLength(field, 'utf8');
  }
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

interface PendingEntry {
  index: number;
  entry: PutEventsRequestEntry;
  size: number;
}

/** How entries are split into PutEvents calls: both the count and the size limit. */
export const PUT_EVENTS_LIMITS: ChunkLimits<{ size: number }> = {
  maxCount: MAX_ENTRIES_PER_CALL,
  maxBytes: MAX_CALL_BYTES,
  sizeOf: (entry) => entry.size,
};

/**
 * Sends events to an EventBridge bus with PutEvents. `Detail` is the event exactly as the client
 * sent it (as the Python EventGate did), `Time` is when the gateway received it. PutEvents has no
 * field for the gateway's event id, so EventBridge consumers deduplicate on the event's own fields.
 */
export class EventBridgeSink implements Sink {
  readonly name = 'eventbridge' as const;
  private client: EventBridgeClient | undefined;
  private readonly maxAttempts: number;
  private readonly baseBackoffMs: number;

  constructor(private readonly options: EventBridgeSinkOptions) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.baseBackoffMs = options.baseBackoffMs ?? DEFAULT_BASE_BACKOFF_MS;
  }

  async write(events: readonly Envelope[]): Promise<DeliveryOutcome[]> {
    if (events.length === 0) return [];
    if (!this.options.eventBusArn) {
      return failAll(events, new SinkError('eventbridge', 'EventBridge is not configured (no event bus)'));
    }
    const outcomes: DeliveryOutcome[] = [];
    let pending: PendingEntry[] = [];
    events.forEach((event, index) => {
      const entry = this.toEntry(event);
      const size = entrySize(entry);
      if (size > MAX_CALL_BYTES) {
        const message = `event ${event.id} is ${size} bytes as an EventBridge entry, over the ${MAX_CALL_BYTES}-byte limit`;
        outcomes[index] = { id: event.id, ok: false, error: new SinkError('eventbridge', message, false) };
      } else {
        pending.push({ index, entry, size });
      }
    });

    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > 1) await sleep(this.backoffMs(attempt - 1));
      const lastAttempt = attempt >= this.maxAttempts;
      const rounds = await Promise.all(
        chunkBy(pending, PUT_EVENTS_LIMITS).map((chunk) => this.putChunk(chunk)),
      );
      const retry: PendingEntry[] = [];
      for (const results of rounds) {
        for (const { pending: item, result } of results) {
          const id = (events[item.index] as Envelope).id;
          if (result === 'delivered') {
            outcomes[item.index] = { id, ok: true };
          } else if (result.transient && !lastAttempt) {
            retry.push(item);
          } else {
            outcomes[item.index] = { id, ok: false, error: result.error };
          }
        }
      }
      pending = retry;
    }
    return outcomes;
  }

  async health(): Promise<SinkHealth> {
    if (!this.options.eventBusArn) return { status: 'not configured' };
    // A configuration check: PutEvents cannot be probed without publishing, and DescribeEventBus
    // needs a permission the gateway otherwise has no use for. Region and credentials must resolve.
    return probeHealth(
      () => {
        const { config } = this.eventBridge();
        return Promise.all([config.region(), config.credentials()]);
      },
      this.options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
      'resolving EventBridge region and credentials',
    );
  }

  async close(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
  }

  private toEntry(event: Envelope): PutEventsRequestEntry {
    return {
      Source: fillEventBridgeTemplate(this.options.source ?? '{topic}', event),
      DetailType: fillEventBridgeTemplate(this.options.detailType ?? 'JSON', event),
      Detail: JSON.stringify(event.payload),
      EventBusName: this.options.eventBusArn,
      Time: new Date(event.receivedAt),
    };
  }

  /** One PutEvents call; maps each result back to its entry by position, as the API defines. */
  private async putChunk(
    chunk: PendingEntry[],
  ): Promise<{ pending: PendingEntry; result: 'delivered' | { transient: boolean; error: SinkError } }[]> {
    let resultEntries: PutEventsResultEntry[];
    try {
      const response = await this.eventBridge().send(
        new PutEventsCommand({ Entries: chunk.map((item) => item.entry) }),
      );
      resultEntries = response.Entries ?? [];
    } catch (error) {
      // The SDK has already retried what it considers retryable; the queue retries the rest later.
      const sinkError = new SinkError(
        'eventbridge',
        `EventBridge PutEvents failed: ${describeError(error, { withName: true })}`,
        true,
        {
          cause: error,
        },
      );
      return chunk.map((pending) => ({ pending, result: { transient: false, error: sinkError } }));
    }
    return chunk.map((pending, position) => {
      const result = resultEntries[position];
      if (result?.EventId && !result.ErrorCode) return { pending, result: 'delivered' as const };
      if (!result) {
        const error = new SinkError('eventbridge', 'EventBridge returned no result for the entry');
        return { pending, result: { transient: false, error } };
      }
      const code = result.ErrorCode ?? 'UnknownError';
      const transient = TRANSIENT_ENTRY_ERRORS.has(code);
      // A throttled entry that ran out of rounds is still fine to retry later; any other
      // rejection is about the entry itself, and no retry will change EventBridge's mind.
      const error = new SinkError(
        'eventbridge',
        `EventBridge rejected the entry: ${code}${result.ErrorMessage ? `: ${result.ErrorMessage}` : ''}`,
        transient,
      );
      return { pending, result: { transient, error } };
    });
  }

  private backoffMs(round: number): number {
    const ceiling = this.baseBackoffMs * 2 ** (round - 1);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private eventBridge(): EventBridgeClient {
    if (!this.client) {
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      this.client = new EventBridgeClient({
        requestHandler: sdkRequestTimeouts(timeoutMs),
        ...this.options.clientConfig,
      });
    }
    return this.client;
  }
}

function regionOfArn(arn: string): string | undefined {
  const match = /^arn:[^:]+:events:([^:]+):/.exec(arn);
  return match?.[1] || undefined;
}

/** The EventBridge sink's options from config.json, or undefined when no event bus is set. */
export function eventBridgeSinkOptionsFromConfig(
  config: EventBridgeConfigKeys,
): EventBridgeSinkOptions | undefined {
  const eventBusArn = config.event_bus_arn?.trim();
  if (!eventBusArn) return undefined;
  const settings = config.eventbridge ?? {};
  const options: EventBridgeSinkOptions = { eventBusArn };
  if (settings.source) options.source = settings.source;
  if (settings.detail_type) options.detailType = settings.detail_type;
  // A bus lives in one region: its ARN names it, unless the config says otherwise.
  const region = settings.region ?? regionOfArn(eventBusArn);
  if (region) options.clientConfig = { region };
  return options;
}
