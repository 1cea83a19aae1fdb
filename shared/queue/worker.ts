import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  SQSClient,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseEnvelope, type Envelope } from '../envelope';
import { logger, startInvocation } from '../observability/logger';
import type { DeliveryOutcome, Sink, SinkName } from '../sinks/types';
import { chunkBy } from '../batching/chunk';
import { sendBatchLimits, SQS_MAX_BATCH_ENTRIES } from './publisher';
import { retryDelaySeconds } from './topology';
import { describeError } from '../errors/describe';

export interface RetryBackoff {
  /** Delay before the second attempt; each later attempt waits twice as long. */
  baseSeconds: number;
  maxSeconds: number;
}

export interface WorkerOptions {
  sinkName: SinkName;
  /** Resolved once and reused across invocations. */
  sink: () => Promise<Sink>;
  /** The queue the batch came from, to push failed messages' next attempt back; none: SQS's own timeout. */
  queueUrl?: string;
  /**
   * The sink's dead-letter queue. An event the sink refuses for good (`retryable: false`), or a
   * message that is not an envelope, is sent there at once with the reason as message attributes and
   * deleted from `queueUrl`; the batch goes on. None: such events wait out maxReceiveCount like the rest.
   */
  dlqUrl?: string;
  sqs?: SQSClient;
  backoff?: RetryBackoff;
  metrics?: Metrics;
  now?: () => number;
}

export type WorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

const DEFAULT_BACKOFF: RetryBackoff = { baseSeconds: 10, maxSeconds: 900 };

function backoffSeconds(receiveCount: number, backoff: RetryBackoff): number {
  return retryDelaySeconds(receiveCount, {
    retryBaseSeconds: backoff.baseSeconds,
    retryMaxSeconds: backoff.maxSeconds,
  });
}

/** Message attributes a parked message carries, next to the `topic` and `eventId` it was sent with. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'eventgate-failure-reason',
  sink: 'eventgate-failed-sink',
  at: 'eventgate-failed-at',
  attempt: 'eventgate-failed-attempt',
} as const;

/** SQS takes at most 10 attributes per message; ours use four. */
const MAX_KEPT_ATTRIBUTES = 10 - Object.keys(DEAD_LETTER_ATTRIBUTES).length;
/**
 * The reason is cut to this many bytes, so that with the other attributes (about 400 bytes) it stays
 * within the ATTRIBUTE_ALLOWANCE ingest keeps free in every message: a parked message always fits.
 */
const MAX_REASON_BYTES = 512;

/** The text cut to at most `maxBytes` of UTF-8, between characters, with an ellipsis when cut. */
function cutToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 3; // the ellipsis
  let end = 0;
  for (const character of text) {
    bytes += Buffer.byteLength(character);
    if (bytes > maxBytes) break;
    end += character.length;
  }
  return `${text.slice(0, end)}…`;
}

/** A message no retry will deliver, and why. */
interface Permanent {
  record: SQSRecord;
  reason: string;
}

function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount ?? '1');
  return Number.isFinite(count) && count > 0 ? count : 1;
}

/**
 * The worker for one sink: parses every message of the batch, writes all parseable envelopes with
 * ONE `sink.write`, and reports the messages that were not delivered as `batchItemFailures`, so only
 * those come back. A message that is not an envelope fails alone and ends in the DLQ.
 */
export function createWorkerHandler(options: WorkerOptions): WorkerHandler {
  const metrics =
    options.metrics ??
    new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'EventGate',
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'eventgate',
      defaultDimensions: { sink: options.sinkName },
    });
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const now = options.now ?? Date.now;
  let sinkPromise: Promise<Sink> | undefined;
  const sink = (): Promise<Sink> => {
    sinkPromise ??= options.sink().catch((error: unknown) => {
      sinkPromise = undefined;
      throw error;
    });
    return sinkPromise;
  };

  return async (event, context) => {
    startInvocation(context);
    const envelopes = new Map<string, Envelope>();
    const malformed = new Map<string, string>();
    for (const record of event.Records) {
      try {
        envelopes.set(record.messageId, parseEnvelope(record.body));
      } catch (error) {
        malformed.set(record.messageId, describeError(error));
      }
    }

    const outcomes = new Map<string, DeliveryOutcome>();
    const batch = [...envelopes.values()];
    if (batch.length > 0) {
      try {
        const written = await (await sink()).write(batch);
        for (const outcome of written) outcomes.set(outcome.id, outcome);
      } catch (error) {
        // A sink that throws instead of reporting per event fails the whole batch; it is retried.
        logger.error('sink write threw', { sink: options.sinkName, error });
      }
    }

    // Events no retry can deliver: parked in the DLQ now instead of failing maxReceiveCount times.
    const permanent: Permanent[] = [];
    for (const record of event.Records) {
      const reason = malformed.get(record.messageId);
      if (reason !== undefined) {
        permanent.push({ record, reason: `message is not an envelope: ${reason}` });
        continue;
      }
      const outcome = outcomes.get((envelopes.get(record.messageId) as Envelope).id);
      if (outcome && !outcome.ok && !outcome.error.retryable)
        permanent.push({ record, reason: outcome.error.message });
    }
    const parked = await parkInDlq(options, permanent, now());

    const failedRecords: SQSRecord[] = [];
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      if (parked.has(record.messageId)) return;
      const reason = malformed.get(record.messageId);
      if (reason !== undefined) {
        logger.error('message is not an envelope', {
          sink: options.sinkName,
          messageId: record.messageId,
          reason,
        });
        failedRecords.push(record);
        throw new Error(reason);
      }
      const envelope = envelopes.get(record.messageId) as Envelope;
      const outcome = outcomes.get(envelope.id);
      if (outcome?.ok) return;
      failedRecords.push(record);
      const message = outcome ? outcome.error.message : 'the sink did not report this event';
      logger.warn('delivery failed', {
        sink: options.sinkName,
        eventId: envelope.id,
        topic: envelope.topic,
        correlationId: envelope.correlationId,
        attempt: receiveCountOf(record),
        retryable: outcome ? outcome.error.retryable : true,
        reason: message,
      });
      throw new Error(message);
    };

    const response = await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    });

    recordMetrics(metrics, envelopes, outcomes, malformed.size, parked.size, now());
    await pushBackRetries(options, failedRecords, backoff);
    return response;
  };
}

/** A record's attributes as SendMessage takes them (the Lambda event spells them differently). */
function keptAttributes(record: SQSRecord): Record<string, MessageAttributeValue> {
  const kept: Record<string, MessageAttributeValue> = {};
  const ours = new Set<string>(Object.values(DEAD_LETTER_ATTRIBUTES));
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (ours.has(name) || Object.keys(kept).length >= MAX_KEPT_ATTRIBUTES) continue;
    const dataType = value.dataType ?? 'String';
    if (value.stringValue !== undefined) kept[name] = { DataType: dataType, StringValue: value.stringValue };
    else if (value.binaryValue !== undefined)
      kept[name] = { DataType: dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') };
  }
  return kept;
}

function deadLetterAttributes(
  sink: SinkName,
  record: SQSRecord,
  reason: string,
  at: number,
): Record<string, MessageAttributeValue> {
  const text = cutToBytes(reason, MAX_REASON_BYTES);
  return {
    ...keptAttributes(record),
    [DEAD_LETTER_ATTRIBUTES.reason]: { DataType: 'String', StringValue: text || 'unknown' },
    [DEAD_LETTER_ATTRIBUTES.sink]: { DataType: 'String', StringValue: sink },
    [DEAD_LETTER_ATTRIBUTES.at]: { DataType: 'String', StringValue: new Date(at).toISOString() },
    [DEAD_LETTER_ATTRIBUTES.attempt]: { DataType: 'Number', StringValue: String(receiveCountOf(record)) },
  };
}

/**
 * Sends each permanent failure to the DLQ, unchanged and with the reason as attributes, then deletes
 * it from its queue. Returns the message ids that are safely in the DLQ: the batch treats those as
 * done. One that could not be sent stays a failure and is retried like any other (and reaches the
 * DLQ through the redrive policy at the latest), so nothing is lost either way.
 */
async function parkInDlq(options: WorkerOptions, permanent: Permanent[], at: number): Promise<Set<string>> {
  const parked = new Set<string>();
  if (!options.dlqUrl || !options.sqs || permanent.length === 0) return parked;
  const sqs = options.sqs;
  const limits = sendBatchLimits((item: Permanent) => Buffer.byteLength(item.record.body));
  for (const chunk of chunkBy(permanent, limits)) {
    try {
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.dlqUrl,
          Entries: chunk.map((item, index) => ({
            Id: String(index),
            MessageBody: item.record.body,
            MessageAttributes: deadLetterAttributes(options.sinkName, item.record, item.reason, at),
          })),
        }),
      );
      for (const entry of result.Successful ?? []) {
        const item = chunk[Number(entry.Id)];
        if (item) parked.add(item.record.messageId);
      }
      for (const entry of result.Failed ?? []) {
        logger.warn('could not park a message in the DLQ; it will be retried', {
          sink: options.sinkName,
          messageId: chunk[Number(entry.Id)]?.record.messageId,
          reason: `${entry.Code ?? 'error'}: ${entry.Message ?? ''}`,
        });
      }
    } catch (error) {
      logger.warn('could not park messages in the DLQ; they will be retried', {
        sink: options.sinkName,
        error,
      });
    }
  }
  for (const item of permanent) {
    if (!parked.has(item.record.messageId)) continue;
    const envelope = item.record.body;
    logger.error('event parked in the DLQ: the sink refuses it for good', {
      sink: options.sinkName,
      messageId: item.record.messageId,
      eventId: item.record.messageAttributes?.eventId?.stringValue,
      topic: item.record.messageAttributes?.topic?.stringValue,
      bytes: Buffer.byteLength(envelope),
      attempt: receiveCountOf(item.record),
      reason: item.reason,
    });
  }
  await deleteParked(
    options,
    permanent.filter((item) => parked.has(item.record.messageId)),
  );
  return parked;
}

/**
 * Deletes parked messages from their queue at once, rather than leaving it to the event-source
 * mapping after the whole batch: a later crash of this invocation cannot then park them twice.
 * A delete that fails is harmless: they are reported as done, so the mapping deletes them too.
 */
async function deleteParked(options: WorkerOptions, parked: Permanent[]): Promise<void> {
  if (!options.queueUrl || !options.sqs || parked.length === 0) return;
  for (const chunk of chunkBy(parked, { maxCount: SQS_MAX_BATCH_ENTRIES })) {
    try {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((item, index) => ({
            Id: String(index),
            ReceiptHandle: item.record.receiptHandle,
          })),
        }),
      );
    } catch (error) {
      logger.warn('could not delete parked messages; the event-source mapping will', {
        sink: options.sinkName,
        error,
      });
    }
  }
}

function recordMetrics(
  metrics: Metrics,
  envelopes: Map<string, Envelope>,
  outcomes: Map<string, DeliveryOutcome>,
  malformed: number,
  parked: number,
  now: number,
): void {
  const perTopic = new Map<string, { delivered: number; failed: number }>();
  for (const envelope of envelopes.values()) {
    const counts = perTopic.get(envelope.topic) ?? { delivered: 0, failed: 0 };
    if (outcomes.get(envelope.id)?.ok) {
      counts.delivered += 1;
      metrics.addMetric(
        'DeliveryLag',
        MetricUnit.Milliseconds,
        Math.max(0, now - Date.parse(envelope.receivedAt)),
      );
    } else {
      counts.failed += 1;
    }
    perTopic.set(envelope.topic, counts);
  }
  // A single metric is flushed on its first addMetric, so each per-topic figure needs its own.
  for (const [topic, counts] of perTopic) {
    for (const [name, value] of [
      ['Delivered', counts.delivered],
      ['Failed', counts.failed],
    ] as const) {
      const single = metrics.singleMetric();
      single.addDimension('topic', topic);
      single.addMetric(name, MetricUnit.Count, value);
    }
  }
  if (malformed > 0) metrics.addMetric('Malformed', MetricUnit.Count, malformed);
  if (parked > 0) metrics.addMetric('DeadLettered', MetricUnit.Count, parked);
  // The per-sink total, without the topic dimension: what the deployed FailedEvents alarm watches.
  const failed = [...perTopic.values()].reduce((sum, counts) => sum + counts.failed, 0) + malformed;
  if (failed > 0) metrics.addMetric('FailedEvents', MetricUnit.Count, failed);
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/** Failed messages come back after an exponential delay instead of the full visibility timeout. */
async function pushBackRetries(
  options: WorkerOptions,
  failed: SQSRecord[],
  backoff: RetryBackoff,
): Promise<void> {
  if (!options.queueUrl || !options.sqs || failed.length === 0) return;
  for (const chunk of chunkBy(failed, { maxCount: SQS_MAX_BATCH_ENTRIES })) {
    try {
      await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: backoffSeconds(receiveCountOf(record), backoff),
          })),
        }),
      );
    } catch (error) {
      // Without the push-back the message still returns, after the queue's own visibility timeout.
      logger.warn('could not set retry delay', { sink: options.sinkName, error });
    }
  }
}
