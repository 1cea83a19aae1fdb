import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseEnvelope, type Envelope } from '../envelope';
import { logger, startInvocation } from '../observability/logger';
import type { DeliveryOutcome, Sink, SinkName } from '../sinks/types';

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
  sqs?: SQSClient;
  backoff?: RetryBackoff;
  metrics?: Metrics;
  now?: () => number;
}

export type WorkerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

const DEFAULT_BACKOFF: RetryBackoff = { baseSeconds: 10, maxSeconds: 900 };

function backoffSeconds(receiveCount: number, backoff: RetryBackoff): number {
  const exponent = Math.max(0, receiveCount - 1);
  return Math.min(backoff.maxSeconds, backoff.baseSeconds * 2 ** exponent);
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
        malformed.set(record.messageId, (error as Error).message);
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

    const failedRecords: SQSRecord[] = [];
    const recordHandler = async (record: SQSRecord): Promise<void> => {
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

    recordMetrics(metrics, envelopes, outcomes, malformed.size, now());
    await pushBackRetries(options, failedRecords, backoff);
    return response;
  };
}

function recordMetrics(
  metrics: Metrics,
  envelopes: Map<string, Envelope>,
  outcomes: Map<string, DeliveryOutcome>,
  malformed: number,
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
  for (let start = 0; start < failed.length; start += 10) {
    const chunk = failed.slice(start, start + 10);
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
