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

/**
 * What AWS would refuse, or what would lose events, in one sink's settings: checked before a deploy
 * so the mistake is named here rather than by a failed stack update.
 */
export function topologyProblems(settings: SinkQueueSettings): string[] {
  const problems: string[] = [];
  const within = (name: keyof SinkQueueSettings, min: number, max: number): void => {
    const value = settings[name] as number;
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  };
  within('batchSize', 1, 10_000);
  within('maximumBatchingWindowSeconds', 0, 300);
  within('maxConcurrency', 2, 1_000);
  within('maxReceiveCount', 1, 1_000);
  within('workerTimeoutSeconds', 1, 900);
  within('queueRetentionSeconds', 60, 1_209_600);
  within('dlqRetentionSeconds', 60, 1_209_600);
  if (settings.batchSize > 10 && settings.maximumBatchingWindowSeconds < 1)
    problems.push(
      `batchSize ${settings.batchSize} needs maximumBatchingWindowSeconds of at least 1 (SQS hands out 10 at a time)`,
    );
  if (settings.visibilityTimeoutSeconds > 43_200)
    problems.push(
      `workerTimeoutSeconds × 6 (the visibility timeout) must be at most 43200 s, got ${settings.visibilityTimeoutSeconds}`,
    );
  if (settings.dlqRetentionSeconds <= settings.queueRetentionSeconds)
    problems.push(
      "dlqRetentionSeconds must be longer than queueRetentionSeconds: a DLQ keeps each message's first enqueue time",
    );
  return problems.map((problem) => `${settings.sink}: ${problem}`);
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
