import { ListObjectsV2Command, CreateBucketCommand } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { SQSEvent } from 'aws-lambda';
import { Kafka, logLevel, type KafkaConfig, type Producer } from 'kafkajs';
import { Client, Pool, type PoolConfig } from 'pg';
import { createEnvelope, type Envelope } from '../shared/envelope';
import { describeError } from '../shared/errors/describe';
import { createWorkerHandler } from '../shared/queue/worker';
import { EventBridgeSink, MAX_ENTRIES_PER_CALL } from '../shared/sinks/eventbridge/sink';
import { KafkaSink } from '../shared/sinks/kafka/sink';
import {
  insertStatement,
  PostgresSink,
  rowValues,
  type PostgresPool,
  type PostgresPoolClient,
} from '../shared/sinks/postgres/sink';
import { defaultTableName, qualifiedName } from '../shared/sinks/postgres/tables';
import { deliveredAll } from '../shared/sinks/types';
import { S3ArchiveSink } from '../shared/sinks/s3/sink';
import type { Sink, SinkName } from '../shared/sinks/types';
import { fauxqsS3Client } from '../test/peers/fauxqs';
import { queryOnce } from '../test/peers/postgres';
import { ASYNC_SUBJECT, ASYNC_TOPIC, asyncTopicEvent } from './events';
import { BENCH_CREDENTIALS, BENCH_REGION } from './fake-sqs';
import { createDatabase, type BenchPeers } from './peers';
import type { Figure } from './report';
import { median, round } from './stats';

export interface DrainBenchOptions {
  batchSizes: number[];
  /** Handler time per measured run; runs are repeated and the median taken. */
  runMs: number;
  runs: number;
}

export const DEFAULT_DRAIN_OPTIONS: DrainBenchOptions = { batchSizes: [10, 100], runMs: 1_000, runs: 3 };

const SECTION = 'Worker drain, one worker instance, against the real peer';
const POSTGRES_TARGET_EVENTS_PER_SECOND = 10_000;
const EVENT_BUS_ARN = 'arn:aws:events:us-east-1:000000000000:event-bus/eventgate-bench';
const ARCHIVE_BUCKET = 'eventgate-bench-archive';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:eventgate-bench';

/** What the peer was asked to do, counted at the client's edge. */
interface Counter {
  /** The figure the goal of "one per batch" applies to. */
  roundTrips: number;
  /** Secondary count where one call fans out (Kafka: Produce requests, one per leader broker). */
  requests: number;
}

interface SinkUnderTest {
  /** Database of the Postgres scenario, for the statement diagnostics. */
  databaseUrl?: string;
  name: SinkName;
  sink: Sink;
  counter: Counter;
  roundTripUnit: string;
  requestUnit?: string;
  /** The fewest round trips a batch of `size` can take. */
  minimumRoundTrips(size: number): number;
  /** Events the peer holds, read back after the runs. */
  stored(): Promise<number>;
}

let sequence = 0;

function envelopes(count: number): Envelope[] {
  return Array.from({ length: count }, () =>
    createEnvelope({
      topic: ASYNC_TOPIC,
      payload: asyncTopicEvent(`drain-${(sequence += 1)}`),
      subject: ASYNC_SUBJECT,
      correlationId: 'eventgate-bench',
    }),
  );
}

/** The SQS event Lambda would hand the worker for these messages. */
function sqsEvent(batch: readonly Envelope[]): SQSEvent {
  const now = String(Date.now());
  return {
    Records: batch.map((envelope, index) => ({
      messageId: `message-${envelope.id}`,
      receiptHandle: `receipt-${index}`,
      body: JSON.stringify(envelope),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: now,
        SenderId: 'eventgate-bench',
        ApproximateFirstReceiveTimestamp: now,
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: QUEUE_ARN,
      awsRegion: BENCH_REGION,
    })),
  };
}

/** Counts every statement: one statement is one round trip (pg pipelines parse, bind and execute). */
function countingPool(config: PoolConfig, counter: Counter): PostgresPool {
  const pool = new Pool(config);
  const countingClient = (client: PostgresPoolClient): PostgresPoolClient => ({
    query: (text, values) => {
      counter.roundTrips += 1;
      return client.query(text, values);
    },
    release: (destroy) => client.release(destroy),
    on: (event, listener) => client.on(event, listener),
    off: (event, listener) => client.off(event, listener),
  });
  return {
    query: (text, values) => {
      counter.roundTrips += 1;
      return pool.query(text, values);
    },
    connect: async () => countingClient(await pool.connect()),
    end: () => pool.end(),
    on: (event, listener) => pool.on(event, listener),
  };
}

async function postgresUnderTest(peers: BenchPeers): Promise<SinkUnderTest> {
  if (!peers.postgres.ok) throw new Error(peers.postgres.reason);
  const url = await createDatabase(peers.postgres.peer, 'eventgate_bench_drain');
  const counter: Counter = { roundTrips: 0, requests: 0 };
  const table = defaultTableName(ASYNC_TOPIC);
  return {
    name: 'postgres',
    databaseUrl: url,
    sink: new PostgresSink({ connectionString: url, createPool: (config) => countingPool(config, counter) }),
    counter,
    roundTripUnit: 'statements',
    minimumRoundTrips: () => 1,
    stored: async () =>
      Number(
        (await queryOnce<{ count: string }>(url, `SELECT count(*) AS count FROM "${table}"`))[0]?.count ?? 0,
      ),
  };
}

/** Counts sendBatch calls and the Produce requests kafkajs sends for them. */
function countingKafka(config: KafkaConfig, counter: Counter): Kafka {
  const kafka = new Kafka(config);
  const makeProducer = kafka.producer.bind(kafka);
  kafka.producer = (options) => {
    const producer: Producer = makeProducer(options);
    producer.on(producer.events.REQUEST, (event) => {
      if (event.payload.apiName === 'Produce') counter.requests += 1;
    });
    const sendBatch = producer.sendBatch.bind(producer);
    producer.sendBatch = (batch) => {
      counter.roundTrips += 1;
      return sendBatch(batch);
    };
    return producer;
  };
  return kafka;
}

/**
 * Messages the broker has taken on `topic`: the sum of its partitions' high offsets (0 before the topic
 * exists). Not high minus low: the mock cluster keeps only its latest segments, and low moves up.
 */
async function kafkaMessages(brokers: string[], topic: string): Promise<number> {
  const admin = new Kafka({
    brokers,
    clientId: 'eventgate-bench-read-back',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function kafkaUnderTest(peers: BenchPeers): Promise<SinkUnderTest> {
  if (!peers.kafka.ok) throw new Error(peers.kafka.reason);
  const brokers = peers.kafka.peer.brokers;
  const counter: Counter = { roundTrips: 0, requests: 0 };
  // The bench's events keep their topic's name in Kafka (no topicMap).
  const before = await kafkaMessages(brokers, ASYNC_TOPIC);
  const sink = new KafkaSink({
    brokers,
    clientId: 'eventgate-bench',
    createClient: (config) => countingKafka(config, counter),
  });
  return {
    name: 'kafka',
    sink,
    counter,
    roundTripUnit: 'sendBatch calls',
    requestUnit: 'Produce requests (one per leader broker, concurrent)',
    minimumRoundTrips: () => 1,
    stored: async () => (await kafkaMessages(brokers, ASYNC_TOPIC)) - before,
  };
}

async function eventBridgeUnderTest(peers: BenchPeers): Promise<SinkUnderTest> {
  if (!peers.eventBridge.ok) throw new Error(peers.eventBridge.reason);
  const server = peers.eventBridge.peer;
  const counter: Counter = { roundTrips: 0, requests: 0 };
  let callsSeen = server.calls.length;
  const sink = new EventBridgeSink({
    eventBusArn: EVENT_BUS_ARN,
    clientConfig: { endpoint: server.endpoint, region: BENCH_REGION, credentials: BENCH_CREDENTIALS },
  });
  const counted: Sink = {
    name: sink.name,
    write: async (events) => {
      const outcomes = await sink.write(events);
      counter.roundTrips += server.calls.length - callsSeen;
      callsSeen = server.calls.length;
      return outcomes;
    },
    health: () => sink.health(),
    close: () => sink.close(),
  };
  return {
    name: 'eventbridge',
    sink: counted,
    counter,
    roundTripUnit: `PutEvents calls (${MAX_ENTRIES_PER_CALL} entries max each, concurrent)`,
    minimumRoundTrips: (size) => Math.ceil(size / MAX_ENTRIES_PER_CALL),
    stored: async () => server.entries.length,
  };
}

/** The SDK's Node transport, counting the object uploads it carries. */
class CountingHttpHandler extends NodeHttpHandler {
  constructor(private readonly counter: Counter) {
    super();
  }

  override handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const [request, options] = args;
    if (request.method === 'PUT') this.counter.roundTrips += 1;
    return super.handle(request, options);
  }
}

async function s3UnderTest(peers: BenchPeers): Promise<SinkUnderTest> {
  if (!peers.fauxqs.ok) throw new Error(peers.fauxqs.reason);
  const fauxqs = peers.fauxqs.peer;
  const admin = fauxqsS3Client(fauxqs.endpoint);
  await admin.send(new CreateBucketCommand({ Bucket: ARCHIVE_BUCKET }));
  const counter: Counter = { roundTrips: 0, requests: 0 };
  const sink = new S3ArchiveSink({
    bucket: ARCHIVE_BUCKET,
    clientConfig: {
      ...fauxqs.clientConfig,
      forcePathStyle: true,
      requestHandler: new CountingHttpHandler(counter),
    },
  });
  return {
    name: 's3',
    sink,
    counter,
    roundTripUnit: 'PutObject calls',
    minimumRoundTrips: () => 1,
    stored: async () => {
      let objects = 0;
      let token: string | undefined;
      do {
        const page = await admin.send(
          new ListObjectsV2Command({ Bucket: ARCHIVE_BUCKET, ContinuationToken: token }),
        );
        objects += page.KeyCount ?? 0;
        token = page.NextContinuationToken;
      } while (token);
      return objects;
    },
  };
}

export interface DrainMeasurement {
  sink: SinkName;
  batchSize: number;
  eventsPerSecond: number;
  runRates: number[];
  batches: number;
  events: number;
  roundTripsPerBatch: number;
  requestsPerBatch: number;
  batchP50Ms: number;
}

async function measureSink(
  subject: SinkUnderTest,
  batchSize: number,
  options: DrainBenchOptions,
): Promise<DrainMeasurement> {
  const worker = createWorkerHandler({ sinkName: subject.name, sink: async () => subject.sink });
  const invoke = async (): Promise<number> => {
    const event = sqsEvent(envelopes(batchSize));
    const started = performance.now();
    const response = await worker(event);
    const elapsed = performance.now() - started;
    if (response.batchItemFailures.length > 0) {
      throw new Error(
        `${subject.name}: ${response.batchItemFailures.length} of ${batchSize} messages failed`,
      );
    }
    return elapsed;
  };
  // The first batch connects, creates the table or topic: a cold cost of its own, not the drain rate.
  await invoke();
  await invoke();
  const before = { ...subject.counter };
  const runRates: number[] = [];
  const batchTimes: number[] = [];
  let batches = 0;
  for (let run = 0; run < options.runs; run++) {
    let handlerMs = 0;
    let runBatches = 0;
    while (handlerMs < options.runMs) {
      const elapsed = await invoke();
      handlerMs += elapsed;
      batchTimes.push(elapsed);
      runBatches += 1;
    }
    batches += runBatches;
    runRates.push((runBatches * batchSize * 1000) / handlerMs);
  }
  return {
    sink: subject.name,
    batchSize,
    eventsPerSecond: median(runRates),
    runRates,
    batches,
    events: batches * batchSize,
    roundTripsPerBatch: (subject.counter.roundTrips - before.roundTrips) / batches,
    requestsPerBatch: (subject.counter.requests - before.requests) / batches,
    batchP50Ms: median(batchTimes),
  };
}

/** The batch's rows as the sink binds them, in INSERT_COLUMNS order. */
/** The bind values of a batch INSERT, as the sink builds them. */
function batchValues(batch: readonly Envelope[]): unknown[] {
  return batch.flatMap((event) => rowValues(event));
}

interface InsertDiagnostics {
  rows: number;
  unnamedP50Ms: number;
  preparedP50Ms: number;
}

/**
 * The sink's multi-row INSERT on its own, sent as today (an unnamed statement the server parses and
 * plans again for every batch) and as a named prepared statement (planned once per connection),
 * alternating so both see the same load.
 */
async function insertDiagnostics(url: string, rows: number, rounds: number): Promise<InsertDiagnostics> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const text = insertStatement(qualifiedName('public', defaultTableName(ASYNC_TOPIC)), rows);
    const unnamed: number[] = [];
    const prepared: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let started = performance.now();
      await client.query(text, batchValues(envelopes(rows)));
      unnamed.push(performance.now() - started);
      started = performance.now();
      await client.query({
        name: `eventgate_bench_insert_${rows}`,
        text,
        values: batchValues(envelopes(rows)),
      });
      prepared.push(performance.now() - started);
    }
    // The first rounds warm caches and plan the prepared statement.
    return { rows, unnamedP50Ms: median(unnamed.slice(3)), preparedP50Ms: median(prepared.slice(3)) };
  } finally {
    await client.end();
  }
}

/** The worker's own cost per event, around a sink that takes every event at once. */
async function workerOverheadMicros(batchSize: number, durationMs: number): Promise<number> {
  const worker = createWorkerHandler({
    sinkName: 'postgres',
    sink: async () => ({
      name: 'postgres',
      write: async (events) => deliveredAll(events),
      health: async () => ({ status: 'ok' }),
      close: async () => undefined,
    }),
  });
  const batches = Array.from({ length: 8 }, () => sqsEvent(envelopes(batchSize)));
  const pass = async (ms: number): Promise<number> => {
    let handled = 0;
    const started = performance.now();
    while (performance.now() - started < ms) {
      await worker(batches[handled % batches.length] as SQSEvent);
      handled += 1;
    }
    return ((performance.now() - started) * 1000) / (handled * batchSize);
  };
  await pass(durationMs / 2);
  return median([await pass(durationMs / 2), await pass(durationMs / 2), await pass(durationMs / 2)]);
}

export interface DrainBenchResult {
  figures: Figure[];
  details: Record<string, unknown>;
}

const BUILDERS: Array<[SinkName, (peers: BenchPeers) => Promise<SinkUnderTest>]> = [
  ['postgres', postgresUnderTest],
  ['kafka', kafkaUnderTest],
  ['eventbridge', eventBridgeUnderTest],
  ['s3', s3UnderTest],
];

/**
 * Each sink's worker (the real createWorkerHandler and sink) fed synthetic SQS batches of
 * ~1 KB events, timed around the handler call, with the peer's round trips counted at the client.
 */
export async function benchDrain(
  peers: BenchPeers,
  options: DrainBenchOptions = DEFAULT_DRAIN_OPTIONS,
): Promise<DrainBenchResult> {
  const figures: Figure[] = [];
  const measurements: DrainMeasurement[] = [];
  const failures: Record<string, string> = {};
  let postgresDatabase: string | undefined;
  for (const [name, build] of BUILDERS) {
    let subject: SinkUnderTest | undefined;
    const sinkMeasurements: DrainMeasurement[] = [];
    try {
      subject = await build(peers);
      postgresDatabase ??= subject.databaseUrl;
      for (const batchSize of options.batchSizes) {
        sinkMeasurements.push(await measureSink(subject, batchSize, options));
      }
      const events =
        2 * options.batchSizes.reduce((sum, size) => sum + size, 0) +
        sinkMeasurements.reduce((sum, entry) => sum + entry.events, 0);
      const stored = await subject.stored();
      const expected =
        name === 's3'
          ? sinkMeasurements.reduce((sum, entry) => sum + entry.batches, 0) + 2 * options.batchSizes.length
          : events;
      if (stored !== expected) failures[`${name} read-back`] = `peer holds ${stored}, expected ${expected}`;
    } catch (error) {
      failures[name] = (error as Error).message;
    } finally {
      await subject?.sink.close().catch(() => undefined);
    }
    measurements.push(...sinkMeasurements);
    for (const batchSize of options.batchSizes) {
      const measured = sinkMeasurements.find((entry) => entry.batchSize === batchSize);
      const reason = failures[name];
      const missing = reason ? `not measured: ${reason}` : undefined;
      figures.push({
        section: SECTION,
        label: `${name}, batch ${batchSize}: events/s`,
        value: measured?.eventsPerSecond ?? null,
        unit: 'events/s',
        ...(name === 'postgres' && batchSize === 100
          ? { target: { op: '>=' as const, value: POSTGRES_TARGET_EVENTS_PER_SECOND } }
          : {}),
        note: measured
          ? `median of ${options.runs} runs (${measured.runRates.map((rate) => round(rate).toLocaleString('en-US')).join(', ')}); batch p50 ${round(measured.batchP50Ms, 2)} ms`
          : missing,
      });
      if (measured && subject) {
        figures.push({
          section: SECTION,
          label: `${name}, batch ${batchSize}: ${subject.roundTripUnit}`,
          value: measured.roundTripsPerBatch,
          unit: 'per batch',
          digits: 2,
          target: { op: '<=', value: subject.minimumRoundTrips(batchSize) },
        });
        if (subject.requestUnit) {
          figures.push({
            section: SECTION,
            label: `${name}, batch ${batchSize}: ${subject.requestUnit}`,
            value: measured.requestsPerBatch,
            unit: 'per batch',
            digits: 2,
          });
        }
      }
    }
    const readBack = failures[`${name} read-back`];
    if (readBack) {
      figures.push({
        section: SECTION,
        label: `${name}: read-back check`,
        value: null,
        unit: '',
        note: readBack,
      });
    }
  }
  const whereSection = `${SECTION} — where the time goes (postgres, batch 100)`;
  const postgresBatch = measurements.find((entry) => entry.sink === 'postgres' && entry.batchSize === 100);
  let diagnostics: InsertDiagnostics | undefined;
  let diagnosticsFailure: string | undefined;
  if (postgresBatch && postgresDatabase) {
    diagnostics = await insertDiagnostics(postgresDatabase, 100, 23).catch((error: unknown) => {
      diagnosticsFailure = describeError(error);
      return undefined;
    });
  }
  const overhead = await workerOverheadMicros(100, options.runMs);
  figures.push(
    {
      section: whereSection,
      label: 'worker code per event around an instant sink (parse, report, metrics)',
      value: overhead,
      unit: 'µs/event',
      digits: 1,
    },
    {
      section: whereSection,
      label: 'one worker batch of 100 into Postgres (p50)',
      value: postgresBatch?.batchP50Ms ?? null,
      unit: 'ms',
      digits: 2,
    },
    {
      section: whereSection,
      label: 'the INSERT alone, unnamed: parsed and planned for every batch (p50)',
      value: diagnostics?.unnamedP50Ms ?? null,
      unit: 'ms',
      digits: 2,
      ...(diagnosticsFailure ? { note: `not measured: ${diagnosticsFailure}` } : {}),
    },
    {
      section: whereSection,
      label: 'the same INSERT as a named prepared statement (p50)',
      value: diagnostics?.preparedP50Ms ?? null,
      unit: 'ms',
      digits: 2,
      note: diagnostics
        ? `${round(diagnostics.unnamedP50Ms - diagnostics.preparedP50Ms, 2)} ms per batch of server-side parse and plan`
        : undefined,
    },
  );
  return {
    figures,
    details: {
      options,
      measurements,
      failures,
      insertDiagnostics: diagnostics,
      workerOverheadMicros: overhead,
    },
  };
}
