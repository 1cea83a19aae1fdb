import topologyFile from './topology.json';
import type { SinkName } from '../sinks/types';

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
  /** Per-sink changes to the defaults; a sink with none needs no entry. */
  sinks: Partial<Record<SinkName, Overrides>>;
};

export const SERVICE_NAME = file.service;

export function sinkQueueSettings(sink: SinkName): SinkQueueSettings {
  const merged = { ...file.defaults, ...file.sinks[sink] };
  return { sink, ...merged, visibilityTimeoutSeconds: 6 * merged.workerTimeoutSeconds };
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
