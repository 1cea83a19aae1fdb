import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestConf, v2Event, type TestConf } from '../test/helpers/gateway';
import type { GatewayConfig } from '../shared/config/settings';
import type { Delivery, DeliveryReport } from '../shared/delivery/types';
import type { SinkProvider } from '../shared/delivery/sync';
import { createEnvelope } from '../shared/envelope';
import { GatewayStateLoader } from '../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../shared/ingest/app';
import { createIngestHandler } from '../shared/ingest/handler';
import type { ApiGatewayEvent } from '../shared/http/request';
import { SendMessageBatchSender } from '../shared/queue/send-message-batch';
import { deliveredAll, type Sink } from '../shared/sinks/types';
import {
  ASYNC_SUBJECT,
  ASYNC_TOPIC,
  asyncTopicEvent,
  SYNC_SUBJECT,
  SYNC_TOPIC,
  syncTopicEvent,
} from './events';
import {
  BENCH_CREDENTIALS,
  BENCH_QUEUE_URL,
  BENCH_REGION,
  createFakeSqsTransport,
  fakeSqsClient,
  type FakeSqsTransport,
} from './fake-sqs';
import { rawPost, startLoopbackSqs } from './loopback';
import {
  benchSigners,
  checkCost,
  joseCheck,
  mintTokens,
  NEW_TOKEN_POOL,
  nodeCryptoCheck,
  type BenchAlgorithm,
  type CheckCost,
} from './new-tokens';
import type { Figure } from './report';
import { median, reduceRuns, round, type Run, type RunSet } from './stats';

export interface IngestBenchOptions {
  warmupMs: number;
  runMs: number;
  runs: number;
}

export const DEFAULT_INGEST_OPTIONS: IngestBenchOptions = { warmupMs: 1_000, runMs: 600, runs: 5 };

const SECTION = 'Ingest handler in-process, one core, one request at a time';
const BATCH_SIZE = 100;
const REQUEST_POOL = 32;

/** A sink that takes every event at once: the sync path's own cost, without a peer. */
const instantSink: Sink = {
  name: 'postgres',
  write: async (events) => deliveredAll(events),
  health: async () => ({ status: 'ok' }),
  close: async () => undefined,
};
const instantSinks: SinkProvider = async () => instantSink;

/** Takes every event and does nothing: what the handler costs before its delivery step. */
const noDelivery: Delivery = {
  deliver: async (): Promise<DeliveryReport> => new Map(),
  health: async () => new Map(),
};

interface ScenarioRun extends Run {
  cpuMs: number;
}

interface Scenario {
  name: string;
  mode: 'sync' | 'async';
  app: IngestApp;
  requests: ApiGatewayEvent[];
  eventsPerRequest: number;
  /** The fake SQS transport the scenario's handler sends through: its own CPU is not ours. */
  transport?: FakeSqsTransport;
}

function postRequest(topic: string, token: string, body: unknown): ApiGatewayEvent {
  return v2Event({
    method: 'POST',
    path: `/topics/${topic}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function requestPool(
  topic: string,
  token: string,
  eventsPerRequest: number,
  build: (id: string) => Record<string, unknown>,
): ApiGatewayEvent[] {
  return Array.from({ length: REQUEST_POOL }, (_, request) => {
    const events = Array.from({ length: eventsPerRequest }, (__, index) =>
      build(`bench-${request}-${index}`),
    );
    return postRequest(topic, token, eventsPerRequest === 1 ? events[0] : events);
  });
}

/** One request per token, each with its own event. */
function newTokenRequests(topic: string, tokens: readonly string[]): ApiGatewayEvent[] {
  return tokens.map((token, index) => postRequest(topic, token, syncTopicEvent(`bench-new-token-${index}`)));
}

/**
 * Where each scenario's next request is. A run goes on where the previous one stopped, so a
 * scenario whose every request carries its own token never repeats one the verifier still holds.
 */
const positions = new WeakMap<Scenario, number>();

function nextRequest(scenario: Scenario): ApiGatewayEvent {
  const position = positions.get(scenario) ?? 0;
  positions.set(scenario, position + 1);
  return scenario.requests[position % scenario.requests.length] as ApiGatewayEvent;
}

async function expectAccepted(
  app: IngestApp,
  request: ApiGatewayEvent,
  scenario: string,
  mode: 'sync' | 'async',
): Promise<void> {
  const response = await app(request);
  const body = JSON.parse(response.body) as { mode?: string };
  if (response.statusCode !== 202 || body.mode !== mode) {
    throw new Error(
      `${scenario}: expected 202 from a ${mode} topic, got ${response.statusCode}: ${response.body.slice(0, 500)}`,
    );
  }
}

/**
 * Requests for `durationMs`, `inFlight` at a time: one after another (1) as one Lambda container
 * serves them, or overlapping as the local runtime's HTTP server lets them.
 */
async function timedRun(scenario: Scenario, durationMs: number, inFlight = 1): Promise<ScenarioRun> {
  const latenciesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const transportBefore = scenario.transport?.stats.selfMs ?? 0;
  const started = performance.now();
  let requests = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() - started < durationMs) {
        const request = nextRequest(scenario);
        const sent = performance.now();
        const response = await scenario.app(request);
        latenciesMs.push(performance.now() - sent);
        if (response.statusCode !== 202) {
          throw new Error(`${scenario.name}: got ${response.statusCode}: ${response.body.slice(0, 500)}`);
        }
        requests += 1;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    units: requests * scenario.eventsPerRequest,
    elapsedMs,
    latenciesMs,
    cpuMs: (cpu.user + cpu.system) / 1000 - ((scenario.transport?.stats.selfMs ?? 0) - transportBefore),
  };
}

interface Measured {
  set: RunSet;
  cpuMicrosPerEvent: number;
}

function reduceMeasured(runs: readonly ScenarioRun[]): Measured {
  return {
    set: reduceRuns(runs),
    cpuMicrosPerEvent: median(runs.map((entry) => (entry.cpuMs * 1000) / entry.units)),
  };
}

async function measure(
  scenario: Scenario,
  options: IngestBenchOptions,
  run: (durationMs: number) => Promise<ScenarioRun>,
): Promise<Measured> {
  await run(options.warmupMs);
  const runs: ScenarioRun[] = [];
  for (let index = 0; index < options.runs; index++) runs.push(await run(options.runMs));
  return reduceMeasured(runs);
}

/**
 * Every scenario warmed up, then run round-robin: run 1 of each, run 2 of each… so that the JIT's
 * warm-up and the machine's changing load fall on all scenarios alike rather than on the first ones.
 */
async function measureInterleaved(
  scenarios: readonly Scenario[],
  options: IngestBenchOptions,
): Promise<Measured[]> {
  for (const scenario of scenarios) await timedRun(scenario, options.warmupMs);
  const runs = scenarios.map((): ScenarioRun[] => []);
  for (let round = 0; round < options.runs; round++) {
    for (const [index, scenario] of scenarios.entries()) {
      runs[index]?.push(await timedRun(scenario, options.runMs));
    }
  }
  return runs.map(reduceMeasured);
}

/** The shipped example topics are all async; the benchmark makes its sync topic sync. */
function useSyncTopic(conf: TestConf): void {
  const config = JSON.parse(readFileSync(path.join(conf.dir, 'config.json'), 'utf8')) as GatewayConfig;
  const topics = config.topics ?? {};
  conf.setConfig({ topics: { ...topics, [SYNC_TOPIC]: { ...topics[SYNC_TOPIC], mode: 'sync' } } });
}

export interface IngestBenchResult {
  figures: Figure[];
  details: Record<string, unknown>;
}

/** Events per request the scenarios are measured at (the cost model prices each). */
export const BATCH_SIZES = [1, 10, BATCH_SIZE] as const;
export type BatchSize = (typeof BATCH_SIZES)[number];

/** The four sinks an async topic can fan out to: one SendMessageBatch per sink queue. */
const FOUR_SINKS = ['postgres', 'kafka', 'eventbridge', 's3'] as const;

/** What the cost model needs from one scenario: measured, not assumed. */
export interface PathMeasurement {
  cpuMicrosPerEvent: number;
  /** SendMessageBatch calls per event, counted at the transport (0 on the sync path). */
  sendCallsPerEvent: number;
}

export type PathName = 'async, 1 sink' | 'async, 4 sinks' | 'sync, 1 sink';
export type IngestMeasurements = Record<PathName, Record<BatchSize, PathMeasurement>>;

interface PathSpec {
  path: PathName;
  mode: 'sync' | 'async';
  app: IngestApp;
  transport?: FakeSqsTransport;
  topic: string;
  token: string;
  build: (id: string) => Record<string, unknown>;
  /** Targets per batch size, in events per CPU-second. */
  targets: Partial<Record<BatchSize, number>>;
}

function rateNote(measured: Measured, options: IngestBenchOptions): string {
  const { perSecond } = measured.set;
  return (
    `median of ${options.runs} × ${options.runMs / 1000} s runs; ${round(measured.cpuMicrosPerEvent, 1)} µs CPU per event; ` +
    `wall clock ${round(perSecond.median).toLocaleString('en-US')} events/s (range ${round(perSecond.min).toLocaleString('en-US')}–` +
    `${round(perSecond.max).toLocaleString('en-US')}); request p50 ${round(measured.set.p50Ms, 3)} ms, p99 ${round(measured.set.p99Ms, 3)} ms`
  );
}

const FIRST_SIGHT = `${SECTION} — a token's first sight (CPU time per call, ${NEW_TOKEN_POOL.toLocaleString('en-US')} distinct tokens)`;

/** What one check of a new token costs: the raw signature, jose, and the gateway's verifier. */
function firstSightFigures(
  alg: BenchAlgorithm,
  costs: Record<'crypto' | 'jose' | 'verifier', CheckCost>,
): Figure[] {
  const row = (label: string, cost: CheckCost, note: string): Figure => ({
    section: FIRST_SIGHT,
    label: `${alg} ${label}`,
    value: cost.perSecond,
    unit: 'ops/s',
    note: `${round(cost.cpuMicrosPerCall, 1)} µs CPU per call; ${note}`,
  });
  return [
    row('verify on a cached KeyObject (node:crypto)', costs.crypto, 'the signature alone'),
    row(
      'jose.jwtVerify on the same KeyObject',
      costs.jose,
      'signature and claims; what the gateway used before',
    ),
    row(
      'TokenVerifier.verify of a new token',
      costs.verifier,
      `header, key choice, signature, claims, remembering it; ${round(costs.verifier.perSecond / costs.jose.perSecond, 2)}× jose.jwtVerify`,
    ),
  ];
}

/** Events per second of one core's CPU time: what the path costs, whatever else shares the machine. */
function perCoreRate(measured: Measured): number {
  return 1e6 / measured.cpuMicrosPerEvent;
}

function scenarioFigures(
  label: string,
  measured: Measured,
  options: IngestBenchOptions,
  target: number | undefined,
  single: boolean,
): Figure[] {
  const figures: Figure[] = [
    {
      section: SECTION,
      label: `${label}: events per core-second`,
      value: perCoreRate(measured),
      unit: 'events/s',
      ...(target === undefined ? {} : { target: { op: '>=' as const, value: target } }),
      note: rateNote(measured, options),
    },
  ];
  if (single) {
    figures.push({
      section: SECTION,
      label: `${label}: request p99`,
      value: measured.set.p99Ms,
      unit: 'ms',
      digits: 3,
      target: { op: '<=', value: 2 },
    });
  }
  return figures;
}

/** Median CPU per call of `work` in microseconds, over `durationMs` after a warm-up. */
async function cpuMicrosPerCall(
  work: () => Promise<unknown>,
  durationMs: number,
  transport?: FakeSqsTransport,
): Promise<number> {
  const runOnce = async (ms: number): Promise<number> => {
    const cpuBefore = process.cpuUsage();
    const transportBefore = transport?.stats.selfMs ?? 0;
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < ms) {
      await work();
      calls += 1;
    }
    const cpu = process.cpuUsage(cpuBefore);
    const transportMicros = ((transport?.stats.selfMs ?? 0) - transportBefore) * 1000;
    return (cpu.user + cpu.system - transportMicros) / calls;
  };
  // The JIT needs about two seconds to settle on a path as long as a signed HTTP call; a shorter
  // warm-up measured the loopback calls at three times their settled cost.
  await runOnce(Math.max(durationMs / 2, 2_000));
  const samples: number[] = [];
  for (let index = 0; index < 3; index++) samples.push(await runOnce(durationMs / 3));
  return median(samples);
}

function batchEntries(entries: number): { QueueUrl: string; Entries: SendMessageBatchRequestEntry[] } {
  const envelope = createEnvelope({
    topic: ASYNC_TOPIC,
    payload: asyncTopicEvent('bench-sdk'),
    subject: ASYNC_SUBJECT,
    correlationId: 'bench',
  });
  const body = JSON.stringify(envelope);
  return {
    QueueUrl: BENCH_QUEUE_URL,
    Entries: Array.from({ length: entries }, (_, index) => ({
      Id: String(index),
      MessageBody: body,
      MessageAttributes: {
        topic: { DataType: 'String', StringValue: envelope.topic },
        eventId: { DataType: 'String', StringValue: envelope.id },
      },
    })),
  };
}

function queueUrlsFor(sinks: readonly string[]): Record<string, string> {
  return Object.fromEntries(sinks.map((sink) => [sink, BENCH_QUEUE_URL.replace(/postgres$/, sink)]));
}

/**
 * The ingest handler's CPU per event on each path and batch size. Async topics go through a real
 * SQSClient whose transport answers at once; sync topics go to a sink that takes every event at once.
 */
export async function benchIngest(
  options: IngestBenchOptions = DEFAULT_INGEST_OPTIONS,
): Promise<IngestBenchResult> {
  const conf = await createTestConf();
  try {
    useSyncTopic(conf);
    const signers = await benchSigners(conf);
    const handlerFor = (sinks: readonly string[]) => {
      const env: NodeJS.ProcessEnv = { ...process.env, EVENTGATE_SINKS: sinks.join(',') };
      const transport = createFakeSqsTransport();
      // As the ingest handler builds its client (shared/ingest/handler.ts).
      const sqs = fakeSqsClient(transport, { cacheMiddleware: true });
      const app = createIngestHandler({
        confDir: conf.dir,
        env,
        sqs,
        queueUrls: queueUrlsFor(sinks),
        sinks: instantSinks,
      });
      return { env, transport, sqs, app };
    };
    const oneSink = handlerFor(['postgres']);
    const fourSinks = handlerFor(FOUR_SINKS);
    const bare = createIngestApp({
      state: new GatewayStateLoader({ confDir: conf.dir, env: oneSink.env }),
      deliveries: { sync: noDelivery, async: noDelivery },
    });

    const asyncToken = await conf.token(ASYNC_SUBJECT);
    const syncToken = await conf.token(SYNC_SUBJECT);
    const paths: PathSpec[] = [
      {
        path: 'async, 1 sink',
        mode: 'async',
        app: oneSink.app,
        transport: oneSink.transport,
        topic: ASYNC_TOPIC,
        token: asyncToken,
        build: asyncTopicEvent,
        targets: { 1: 12_000, [BATCH_SIZE]: 60_000 },
      },
      {
        path: 'async, 4 sinks',
        mode: 'async',
        app: fourSinks.app,
        transport: fourSinks.transport,
        topic: ASYNC_TOPIC,
        token: asyncToken,
        build: asyncTopicEvent,
        targets: {},
      },
      {
        path: 'sync, 1 sink',
        mode: 'sync',
        app: oneSink.app,
        topic: SYNC_TOPIC,
        token: syncToken,
        build: syncTopicEvent,
        targets: { 1: 20_000, [BATCH_SIZE]: 100_000 },
      },
    ];

    const figures: Figure[] = [];
    const measurements: Partial<Record<PathName, Partial<Record<BatchSize, PathMeasurement>>>> = {};
    const measuredRuns: Record<string, Measured> = {};
    const planned: Array<{ spec: PathSpec; batch: BatchSize; scenario: Scenario; sendCalls: number }> = [];
    for (const spec of paths) {
      for (const batch of BATCH_SIZES) {
        const scenario: Scenario = {
          name: `${spec.path}, batch ${batch}`,
          mode: spec.mode,
          app: spec.app,
          requests: requestPool(spec.topic, spec.token, batch, spec.build),
          eventsPerRequest: batch,
          ...(spec.transport ? { transport: spec.transport } : {}),
        };
        // Checked once before it is timed: a benchmark of 4xx answers would be fast and useless.
        const callsBefore = spec.transport?.stats.calls ?? 0;
        await expectAccepted(scenario.app, scenario.requests[0] as ApiGatewayEvent, scenario.name, spec.mode);
        planned.push({ spec, batch, scenario, sendCalls: (spec.transport?.stats.calls ?? 0) - callsBefore });
      }
    }
    // Signed before anything is timed: signing is the issuer's cost, not the gateway's.
    const newTokens: Record<BenchAlgorithm, string[]> = {
      RS256: await mintTokens(signers.RS256, SYNC_SUBJECT, NEW_TOKEN_POOL),
      ES256: await mintTokens(signers.ES256, SYNC_SUBJECT, NEW_TOKEN_POOL),
    };
    const newTokenScenarios = (['RS256', 'ES256'] as const).map((alg): Scenario => ({
      name: `sync single, new ${alg} token per request`,
      mode: 'sync',
      app: oneSink.app,
      requests: newTokenRequests(SYNC_TOPIC, newTokens[alg]),
      eventsPerRequest: 1,
    }));
    for (const scenario of newTokenScenarios)
      await expectAccepted(scenario.app, nextRequest(scenario), scenario.name, scenario.mode);
    const measuredAll = await measureInterleaved(
      [...planned.map((entry) => entry.scenario), ...newTokenScenarios],
      options,
    );
    for (const [index, scenario] of newTokenScenarios.entries()) {
      const measured = measuredAll[planned.length + index] as Measured;
      measuredRuns[scenario.name] = measured;
      const alg = index === 0 ? 'RS256' : 'ES256';
      figures.push(
        ...scenarioFigures(
          `sync topic (instant sink), one event per request, a new ${alg} token on every request`,
          measured,
          options,
          alg === 'RS256' ? 25_000 : undefined,
          false,
        ),
      );
    }
    for (const [index, { spec, batch, scenario, sendCalls }] of planned.entries()) {
      const measured = measuredAll[index] as Measured;
      measuredRuns[scenario.name] = measured;
      (measurements[spec.path] ??= {})[batch] = {
        cpuMicrosPerEvent: measured.cpuMicrosPerEvent,
        sendCallsPerEvent: sendCalls / batch,
      };
      const label = `${spec.mode === 'sync' ? 'sync topic (instant sink)' : `async topic, ${spec.path.slice('async, '.length)}`}, ${batch === 1 ? 'one 1 KB event per request' : `batches of ${batch}`}`;
      figures.push(...scenarioFigures(label, measured, options, spec.targets[batch], batch === 1));
    }

    const asyncSingle: Scenario = {
      name: 'async single, 8 in flight',
      mode: 'async',
      app: oneSink.app,
      requests: requestPool(ASYNC_TOPIC, asyncToken, 1, asyncTopicEvent),
      eventsPerRequest: 1,
      transport: oneSink.transport,
    };
    const inFlight = 8;
    const concurrent = await measure(asyncSingle, options, (ms) => timedRun(asyncSingle, ms, inFlight));
    const bareMeasured = await measure({ ...asyncSingle, name: 'no delivery', app: bare }, options, (ms) =>
      timedRun({ ...asyncSingle, name: 'no delivery', app: bare }, ms),
    );

    const transport = oneSink.transport;
    const callsBefore = transport.stats.calls;
    const selfBefore = transport.stats.selfMs;
    const sender = new SendMessageBatchSender(oneSink.sqs);
    const leanSingle = await cpuMicrosPerCall(
      () => sender.send(batchEntries(1)),
      options.runMs * 2,
      transport,
    );
    const leanTen = await cpuMicrosPerCall(() => sender.send(batchEntries(10)), options.runMs * 2, transport);
    const sdkSingle = await cpuMicrosPerCall(
      () => oneSink.sqs.send(new SendMessageBatchCommand(batchEntries(1))),
      options.runMs * 2,
      transport,
    );
    const sdkTen = await cpuMicrosPerCall(
      () => oneSink.sqs.send(new SendMessageBatchCommand(batchEntries(10))),
      options.runMs * 2,
      transport,
    );
    const fakeMicrosPerCall =
      ((transport.stats.selfMs - selfBefore) * 1000) / Math.max(1, transport.stats.calls - callsBefore);
    // The same calls over a real socket to a server in another process: the client's whole cost,
    // next to the floor of one keep-alive POST with node:http.
    const loopback = await startLoopbackSqs();
    const loopbackClient = new SQSClient({
      endpoint: loopback.endpoint,
      region: BENCH_REGION,
      credentials: BENCH_CREDENTIALS,
      cacheMiddleware: true,
    });
    let loopbackFigures: { shipped: number; sdk: number; floor: number };
    try {
      const loopbackSender = new SendMessageBatchSender(loopbackClient);
      const oneEntry = { ...batchEntries(1), QueueUrl: `${loopback.endpoint}/000000000000/bench` };
      loopbackFigures = {
        shipped: await cpuMicrosPerCall(() => loopbackSender.send(oneEntry), options.runMs * 2),
        sdk: await cpuMicrosPerCall(
          () => loopbackClient.send(new SendMessageBatchCommand(oneEntry)),
          options.runMs * 2,
        ),
        floor: await cpuMicrosPerCall(
          rawPost(loopback.endpoint, JSON.stringify(oneEntry)),
          options.runMs * 2,
        ),
      };
    } finally {
      loopbackClient.destroy();
      await loopback.stop();
    }
    const state = await new GatewayStateLoader({ confDir: conf.dir, env: oneSink.env }).current();
    const verifier = state.verifier;
    const verifyMicros = verifier
      ? await cpuMicrosPerCall(() => verifier.verify(asyncToken), options.runMs)
      : Number.NaN;
    if (!verifier) throw new Error('the bench conf has no token verifier');
    const firstSight = {} as Record<BenchAlgorithm, Record<'crypto' | 'jose' | 'verifier', CheckCost>>;
    for (const alg of ['RS256', 'ES256'] as const) {
      firstSight[alg] = {
        crypto: await checkCost(newTokens[alg], nodeCryptoCheck(signers[alg]), options.runMs),
        jose: await checkCost(newTokens[alg], joseCheck(signers[alg]), options.runMs),
        verifier: await checkCost(newTokens[alg], (token) => verifier.verify(token), options.runMs),
      };
    }
    oneSink.sqs.destroy();
    fourSinks.sqs.destroy();

    const whereSection = `${SECTION} — where the time goes (one async event)`;
    figures.push(
      {
        section: SECTION,
        label: `async topic, 1 sink, one event per request, ${inFlight} in flight: events/s`,
        value: concurrent.set.perSecond.median,
        unit: 'events/s',
        note: `wall clock, what one process gives when requests overlap (the local runtime); p99 ${round(concurrent.set.p99Ms, 2)} ms`,
      },
      {
        section: whereSection,
        label: 'handler without its delivery step (auth, parse, validate, envelope)',
        value: bareMeasured.cpuMicrosPerEvent,
        unit: 'µs CPU/request',
        digits: 1,
      },
      {
        section: whereSection,
        label: 'of which token verification (a token seen before)',
        value: verifyMicros,
        unit: 'µs CPU/request',
        digits: 1,
      },
      {
        section: whereSection,
        label: 'one SendMessageBatch (1 entry), as shipped (SendMessageBatchSender)',
        value: leanSingle,
        unit: 'µs CPU/call',
        digits: 1,
        note: `without the fake transport's own ${round(fakeMicrosPerCall, 1)} µs/call (the server's side: JSON parse, an MD5 per entry), which no figure here counts as ours`,
      },
      {
        section: whereSection,
        label: 'one SendMessageBatch (1 entry), through the SDK command (SQSClient.send)',
        value: sdkSingle,
        unit: 'µs CPU/call',
        digits: 1,
        note: `${round(sdkSingle / leanSingle, 1)}× the shipped sender`,
      },
      {
        section: whereSection,
        label: 'one SendMessageBatch (10 entries): shipped / SDK command',
        value: leanTen,
        unit: 'µs CPU/call',
        digits: 1,
        note: `SDK command ${round(sdkTen, 1)} µs CPU/call (${round(sdkTen / leanTen, 1)}×)`,
      },
      {
        section: whereSection,
        label: 'over loopback HTTP to another process: one SendMessageBatch (1 entry), as shipped',
        value: loopbackFigures.shipped,
        unit: 'µs CPU/call',
        digits: 1,
        note: `the floor, one keep-alive POST of the same body with node:http: ${round(loopbackFigures.floor, 1)} µs CPU (${round(loopbackFigures.shipped / loopbackFigures.floor, 2)}× the floor); the SDK command: ${round(loopbackFigures.sdk, 1)} µs CPU (${round(loopbackFigures.sdk / loopbackFigures.floor, 2)}×)`,
      },
    );
    figures.push(
      ...firstSightFigures('RS256', firstSight.RS256),
      ...firstSightFigures('ES256', firstSight.ES256),
    );
    return {
      figures,
      details: {
        firstSight,
        loopbackCpuMicrosPerCall: loopbackFigures,
        options,
        measurements,
        scenarios: measuredRuns,
        concurrent: { inFlight, ...concurrent },
        sendMessageBatchCpuMicros: {
          shipped: { 1: leanSingle, 10: leanTen },
          sdk: { 1: sdkSingle, 10: sdkTen },
        },
        fakeTransportMicrosPerCall: fakeMicrosPerCall,
        tokenVerifyMicros: verifyMicros,
        handlerWithoutDeliveryMicros: bareMeasured.cpuMicrosPerEvent,
      },
    };
  } finally {
    conf.cleanup();
  }
}
