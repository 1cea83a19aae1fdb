import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { logger } from '../observability/logger';
import { SQS_MAX_PAYLOAD_BYTES } from '../queue/publisher';
import { QUARANTINE_QUEUE_URL_VARIABLE } from './queue';
import type { QuarantineRecord } from './record';

/** Name of the metric counting quarantined events (per topic, and in total for the alarm). */
export const QUARANTINED_METRIC = 'Quarantined';

// Characters SQS refuses in a body, written as JSON escapes (as for sink messages).
const QUEUE_UNSAFE_CHARACTERS = /[\ufffe\uffff\ud800-\udfff]/g;

export function quarantineMessageBody(record: QuarantineRecord): string {
  return JSON.stringify(record).replace(
    QUEUE_UNSAFE_CHARACTERS,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Where refused events are kept. `keep` answers the ids it kept; it never throws. */
export interface QuarantineKeeper {
  keep(records: readonly QuarantineRecord[]): Promise<Set<string>>;
}

export interface SqsQuarantineOptions {
  client: SQSClient;
  queueUrl: string;
  metrics?: Metrics;
}

/**
 * Keeps refused events as messages of the stage's quarantine queue, with their topic and time as
 * message attributes for filtering. A record that cannot be kept (too large, queue unreachable) is
 * logged with its event and reported as not kept: the producer's answer does not depend on it.
 */
export class SqsQuarantine implements QuarantineKeeper {
  private readonly metrics: Metrics;

  constructor(private readonly options: SqsQuarantineOptions) {
    this.metrics =
      options.metrics ??
      new Metrics({
        namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'EventGate',
        serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'eventgate',
      });
  }

  async keep(records: readonly QuarantineRecord[]): Promise<Set<string>> {
    const kept = new Set<string>();
    await Promise.all(
      records.map(async (record) => {
        const body = quarantineMessageBody(record);
        if (Buffer.byteLength(body) > SQS_MAX_PAYLOAD_BYTES - 1024) {
          logger.error('refused event too large to quarantine', { eventId: record.id, topic: record.topic });
          return;
        }
        try {
          await this.options.client.send(
            new SendMessageCommand({
              QueueUrl: this.options.queueUrl,
              MessageBody: body,
              MessageAttributes: {
                topic: { DataType: 'String', StringValue: record.topic },
                eventId: { DataType: 'String', StringValue: record.id },
              },
            }),
          );
          kept.add(record.id);
        } catch (error) {
          logger.error('refused event could not be quarantined', {
            eventId: record.id,
            topic: record.topic,
            correlationId: record.correlationId,
            error,
          });
        }
      }),
    );
    this.count(records.filter((record) => kept.has(record.id)));
    return kept;
  }

  /** One figure per topic for the dashboard, and the total the alarm watches. */
  private count(records: readonly QuarantineRecord[]): void {
    if (records.length === 0) return;
    const perTopic = new Map<string, number>();
    for (const record of records) perTopic.set(record.topic, (perTopic.get(record.topic) ?? 0) + 1);
    for (const [topic, count] of perTopic) {
      const single = this.metrics.singleMetric();
      single.addDimension('topic', topic);
      single.addMetric(QUARANTINED_METRIC, MetricUnit.Count, count);
    }
    this.metrics.addMetric(QUARANTINED_METRIC, MetricUnit.Count, records.length);
    this.metrics.publishStoredMetrics();
  }
}

/** The stage's quarantine queue when the deployment has one (QUARANTINE_QUEUE_URL), else none. */
export function quarantineFromEnv(env: NodeJS.ProcessEnv, client: SQSClient): QuarantineKeeper | undefined {
  const queueUrl = env[QUARANTINE_QUEUE_URL_VARIABLE];
  return queueUrl ? new SqsQuarantine({ client, queueUrl }) : undefined;
}
