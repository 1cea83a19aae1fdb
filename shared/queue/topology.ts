import topologyFile from './topology.json';
import { SINK_NAMES, type SinkName } from '../sinks/types';

/**
 * One sink's queue, DLQ and worker settings. The same numbers create the local queues and the
 * CloudFormation resources, so what runs on a laptop is what runs in AWS.
 */
export interface SinkQueueSettings {
  sink: SinkName;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maxReceiveCount: number;
  workerTimeoutSeconds: number;
  /** Six worker timeouts, as AWS advises, so a slow batch is not handed to a second worker. */
  visibilityTimeoutSeconds: number;
  maxConcurrency: number;
  /** A failed message's next attempt waits retryBaseSeconds × 2^(attempt-1), at most retryMaxSeconds. */
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  queueRetentionSeconds: number;
  /** Longer than the queue's: a standard DLQ keeps each message's original enqueue time. */
  dlqRetentionSeconds: number;
}

type Overrides = Partial<Omit<SinkQueueSettings, 'sink' | 'visibilityTimeoutSeconds'>>;

const file = topologyFile as {
  service: string;
  defaults: Required<Overrides>;
  sinks: Record<SinkName, Overrides>;
};

export const SERVICE_NAME = file.service;

export function sinkQueueSettings(sink: SinkName): SinkQueueSettings {
  const merged = { ...file.defaults, ...file.sinks[sink] };
  return { sink, ...merged, visibilityTimeoutSeconds: 6 * merged.workerTimeoutSeconds };
}

/** One failed attempt's wait before the next, and the time spent waiting since the first attempt. */
export interface RetryStep {
  /** 1-based number of the attempt that failed. */
  attempt: number;
  delaySeconds: number;
  totalSeconds: number;
}

/**
 * The wait after each failed attempt: retryBaseSeconds × 2^(attempt−1), at most retryMaxSeconds.
 * After attempt `maxReceiveCount` fails, the next receive moves the message to the DLQ instead; the
 * last step's total is how long a sink may be down before events reach the DLQ.
 */
export function retrySchedule(
  settings: Pick<SinkQueueSettings, 'retryBaseSeconds' | 'retryMaxSeconds' | 'maxReceiveCount'>,
): RetryStep[] {
  const steps: RetryStep[] = [];
  let totalSeconds = 0;
  for (let attempt = 1; attempt <= settings.maxReceiveCount; attempt++) {
    const delaySeconds = retryDelaySeconds(attempt, settings);
    totalSeconds += delaySeconds;
    steps.push({ attempt, delaySeconds, totalSeconds });
  }
  return steps;
}

/** The wait after failed attempt `receiveCount` (1-based). */
export function retryDelaySeconds(
  receiveCount: number,
  backoff: Pick<SinkQueueSettings, 'retryBaseSeconds' | 'retryMaxSeconds'>,
): number {
  const exponent = Math.max(0, receiveCount - 1);
  return Math.min(backoff.retryMaxSeconds, backoff.retryBaseSeconds * 2 ** exponent);
}

export function topology(): SinkQueueSettings[] {
  return SINK_NAMES.map(sinkQueueSettings);
}

export function queueName(sink: SinkName, stage: string, service = SERVICE_NAME): string {
  return `${service}-${stage}-${sink}`;
}

export function dlqName(sink: SinkName, stage: string, service = SERVICE_NAME): string {
  return `${queueName(sink, stage, service)}-dlq`;
}

/** Environment variable through which the ingest function learns a sink queue's URL. */
export function queueUrlVariable(sink: SinkName): string {
  return `QUEUE_URL_${sink.toUpperCase()}`;
}

export function dlqUrlVariable(sink: SinkName): string {
  return `DLQ_URL_${sink.toUpperCase()}`;
}
