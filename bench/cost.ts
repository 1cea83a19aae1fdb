import { MAX_ENTRIES_PER_CALL } from '../shared/sinks/eventbridge/sink';
import type { Figure } from './report';
import { round } from './stats';

/**
 * What a million events cost in AWS, from the calls each path makes (counted by the bench) and the
 * CPU it spends (measured by the bench), priced with AWS's public list prices.
 *
 * Prices: us-east-1, on-demand list prices, first pricing tier, no free tier, as published by AWS in
 * January 2025 (API Gateway HTTP APIs, Lambda x86, SQS standard queues, EventBridge custom events,
 * S3 Standard PUT). Check them before quoting a figure: they are constants, not a lookup.
 */
export const PRICES_AS_OF = '2025-01';
export const PRICE = {
  /** HTTP API: per million requests (each 512 KB of a request counts as one). */
  apiGatewayRequest: 1.0 / 1e6,
  /** Lambda: per million invocations. */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda x86: per GB-second of billed duration. */
  lambdaGbSecond: 0.0000166667,
  /** SQS standard: per million requests (each 64 KB of payload counts as one). */
  sqsRequest: 0.4 / 1e6,
  /** EventBridge: per million custom events put (each 64 KB counts as one). */
  eventBridgeEvent: 1.0 / 1e6,
  /** S3 Standard: per 1,000 PUT requests. */
  s3Put: 0.005 / 1e3,
} as const;

/** Lambda gives a function one full vCPU at this memory size, and a proportional share below it. */
export const LAMBDA_FULL_VCPU_MB = 1769;
/** The memory size `serverless.yml` deploys every function with (parameter `memorySize`). */
export const DEPLOYED_MEMORY_MB = 512;

/**
 * The Python EventGate on the same work (1 KB events, token seen before, schema validation, sinks
 * that answer at once), measured by this project's bench when it was first written: 1,145 events/s
 * on one core, one event per request. Its design writes every event synchronously to each sink.
 */
export const PYTHON_EVENTS_PER_CORE_SECOND = 1_145;

/**
 * GB-seconds Lambda bills for `cpuSeconds` of one core's CPU at `memoryMb`: below a full vCPU the
 * function gets memory/1769 of one, so the same work takes proportionally longer.
 */
export function gbSecondsForCpu(cpuSeconds: number, memoryMb = DEPLOYED_MEMORY_MB): number {
  const share = Math.min(1, memoryMb / LAMBDA_FULL_VCPU_MB);
  return (cpuSeconds / share) * (memoryMb / 1024);
}

export type CostSink = 'postgres' | 'kafka' | 'eventbridge' | 's3';

/** ReceiveMessage hands out, and DeleteMessageBatch takes, at most this many messages per call. */
const SQS_MESSAGES_PER_CALL = 10;

/** How a worker batch of `size` events reaches its sink: calls of the sink's API per batch. */
export function sinkCallsPerBatch(sink: CostSink, size: number): number {
  // PutEvents takes a few entries per call; the others write a batch in one call.
  return sink === 'eventbridge' ? Math.ceil(size / MAX_ENTRIES_PER_CALL) : 1;
}

/** What one sink's worker costs per event: its batch size as deployed and its measured duration. */
export interface WorkerProfile {
  sink: CostSink;
  /** Events per worker invocation, as deployed (shared/queue/topology.json). */
  batchSize: number;
  /** Billed duration per event in milliseconds (measured batch time / batch size); NaN when not measured. */
  durationMsPerEvent: number;
}

export interface IngestProfile {
  /** Events per HTTP request. */
  batch: number;
  /** The ingest function's CPU per event, in microseconds. */
  cpuMicrosPerEvent: number;
  /** SendMessageBatch calls per event (all sinks together); 0 on the sync path. */
  sendCallsPerEvent: number;
}

/** Per event: each API call and billed quantity, and what they add up to. */
export interface CostBreakdown {
  apiGatewayRequests: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  /** SendMessageBatch calls (counted at the transport). */
  sqsSends: number;
  /** ReceiveMessage calls of the event-source mapping. */
  sqsReceives: number;
  /** DeleteMessageBatch calls of the event-source mapping for the messages a batch delivered. */
  sqsDeletes: number;
  /**
   * ChangeMessageVisibilityBatch calls: a worker makes them only to back off messages its sink
   * refused, so the delivering path these figures price makes none.
   */
  sqsVisibilityChanges: number;
  eventBridgeEvents: number;
  s3Puts: number;
  /** Kafka `sendBatch` calls: MSK is priced by capacity, not per call. */
  kafkaProduces: number;
  /** Postgres statements: RDS is priced by capacity, not per call. */
  postgresStatements: number;
  dollarsPerMillion: number;
}

type Quantities = Omit<CostBreakdown, 'dollarsPerMillion'>;

const NO_CALLS: Quantities = {
  apiGatewayRequests: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  sqsSends: 0,
  sqsReceives: 0,
  sqsDeletes: 0,
  sqsVisibilityChanges: 0,
  eventBridgeEvents: 0,
  s3Puts: 0,
  kafkaProduces: 0,
  postgresStatements: 0,
};

/** Every SQS call is billed alike, per request. */
export function sqsRequests(cost: Quantities): number {
  return cost.sqsSends + cost.sqsReceives + cost.sqsDeletes + cost.sqsVisibilityChanges;
}

function priced(parts: Quantities): CostBreakdown {
  const perEvent =
    parts.apiGatewayRequests * PRICE.apiGatewayRequest +
    parts.lambdaInvocations * PRICE.lambdaRequest +
    parts.lambdaGbSeconds * PRICE.lambdaGbSecond +
    sqsRequests(parts) * PRICE.sqsRequest +
    parts.eventBridgeEvents * PRICE.eventBridgeEvent +
    parts.s3Puts * PRICE.s3Put;
  return { ...parts, dollarsPerMillion: perEvent * 1e6 };
}

/** The sink calls one event costs, for a sink written `size` events at a time. */
function sinkShare(sink: CostSink, size: number): Quantities {
  const calls = sinkCallsPerBatch(sink, size) / size;
  return {
    ...NO_CALLS,
    // EventBridge bills per entry, not per call; S3 per PUT; Kafka and Postgres are provisioned.
    eventBridgeEvents: sink === 'eventbridge' ? 1 : 0,
    s3Puts: sink === 's3' ? calls : 0,
    kafkaProduces: sink === 'kafka' ? calls : 0,
    postgresStatements: sink === 'postgres' ? calls : 0,
  };
}

function sum(parts: readonly Quantities[]): Quantities {
  const total = { ...NO_CALLS };
  for (const part of parts) {
    for (const key of Object.keys(total) as Array<keyof Quantities>) total[key] += part[key];
  }
  return total;
}

function ingestShare(ingest: IngestProfile): Quantities {
  return {
    ...NO_CALLS,
    apiGatewayRequests: 1 / ingest.batch,
    lambdaInvocations: 1 / ingest.batch,
    lambdaGbSeconds: gbSecondsForCpu(ingest.cpuMicrosPerEvent / 1e6),
    sqsSends: ingest.sendCallsPerEvent,
  };
}

/**
 * An async topic: ingest enqueues once per sink; each sink's worker is invoked by the SQS event
 * source mapping, which receives and deletes up to 10 messages per call, then writes its batch.
 */
export function asyncCost(ingest: IngestProfile, workers: readonly WorkerProfile[]): CostBreakdown {
  const workerParts = workers.map((worker): Quantities => ({
    ...sinkShare(worker.sink, worker.batchSize),
    lambdaInvocations: 1 / worker.batchSize,
    lambdaGbSeconds: (worker.durationMsPerEvent / 1000) * (DEPLOYED_MEMORY_MB / 1024),
    // ReceiveMessage and DeleteMessageBatch each take 10 messages at most.
    sqsReceives: 1 / SQS_MESSAGES_PER_CALL,
    sqsDeletes: 1 / SQS_MESSAGES_PER_CALL,
  }));
  return priced(sum([ingestShare(ingest), ...workerParts]));
}

/** A sync topic: the ingest function writes each request's events to every sink itself. */
export function syncCost(ingest: IngestProfile, sinks: readonly CostSink[]): CostBreakdown {
  const sinkParts = sinks.map((sink) => sinkShare(sink, ingest.batch));
  return priced(sum([ingestShare({ ...ingest, sendCallsPerEvent: 0 }), ...sinkParts]));
}

/** The Python EventGate: one event per request, written to Kafka, EventBridge and Postgres in turn. */
export function pythonCost(): CostBreakdown {
  return syncCost(
    { batch: 1, cpuMicrosPerEvent: 1e6 / PYTHON_EVENTS_PER_CORE_SECOND, sendCallsPerEvent: 0 },
    ['kafka', 'eventbridge', 'postgres'],
  );
}

export function describeBreakdown(cost: CostBreakdown): string {
  const perMillion = (value: number): string => round(value * 1e6).toLocaleString('en-US');
  return (
    `per million events: ${perMillion(cost.apiGatewayRequests)} HTTP requests, ${perMillion(cost.lambdaInvocations)} Lambda invocations, ` +
    `${round(cost.lambdaGbSeconds * 1e6, 1).toLocaleString('en-US')} GB-s; ${perMillion(sqsRequests(cost))} SQS requests ` +
    `(send ${perMillion(cost.sqsSends)}, receive ${perMillion(cost.sqsReceives)}, delete ${perMillion(cost.sqsDeletes)}, ` +
    `visibility ${perMillion(cost.sqsVisibilityChanges)}); ${perMillion(cost.eventBridgeEvents)} PutEvents entries, ` +
    `${perMillion(cost.s3Puts)} S3 PUTs; ${perMillion(cost.kafkaProduces)} Kafka produce calls and ` +
    `${perMillion(cost.postgresStatements)} Postgres statements (provisioned, not priced per call)`
  );
}

export const COST_SECTION = `Cost per million 1 KB events (AWS list prices of ${PRICES_AS_OF}, us-east-1, ${DEPLOYED_MEMORY_MB} MB functions)`;

export function costFigure(label: string, cost: CostBreakdown, note?: string): Figure {
  return {
    section: COST_SECTION,
    label,
    value: cost.dollarsPerMillion,
    unit: '$',
    digits: 2,
    note: `${describeBreakdown(cost)}${note ? `; ${note}` : ''}`,
  };
}
