import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
import { deliveredAll, type Sink } from '../shared/sinks/types';
import {
  ASYNC_SUBJECT,
  ASYNC_TOPIC,
  asyncTopicEvent,
  SYNC_SUBJECT,
  SYNC_TOPIC,
  syncTopicEvent,
} from './events';
import { BENCH_QUEUE_URL, createFakeSqsTransport, fakeSqsClient, type FakeSqsTransport } from './fake-sqs';
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
const WHAT_IF = `${SECTION} — with the SDK default client setting (not what ships)`;
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

/** Requests one after another, as one Lambda container serves them, for `durationMs`. */
async function sequentialRun(scenario: Scenario, durationMs: number): Promise<ScenarioRun> {
  const latenciesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let requests = 0;
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
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    units: requests * scenario.eventsPerRequest,
    elapsedMs,
    latenciesMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** `inFlight` requests at a time, as the local runtime's HTTP server lets them overlap. */
async function concurrentRun(scenario: Scenario, durationMs: number, inFlight: number): Promise<ScenarioRun> {
  const latenciesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let requests = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() - started < durationMs) {
        const request = nextRequest(scenario);
        requests += 1;
        const sent = performance.now();
        const response = await scenario.app(request);
        latenciesMs.push(performance.now() - sent);
        if (response.statusCode !== 202) throw new Error(`${scenario.name}: got ${response.statusCode}`);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    units: requests * scenario.eventsPerRequest,
    elapsedMs,
    latenciesMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

interface Measured {
  set: RunSet;
  cpuMicrosPerEvent: number;
}

async function measure(
  scenario: Scenario,
  options: IngestBenchOptions,
  run: (durationMs: number) => Promise<ScenarioRun>,
): Promise<Measured> {
  await run(options.warmupMs);
  const runs: ScenarioRun[] = [];
  for (let index = 0; index < options.runs; index++) runs.push(await run(options.runMs));
  return {
    set: reduceRuns(runs),
    cpuMicrosPerEvent: median(runs.map((entry) => (entry.cpuMs * 1000) / entry.units)),
  };
}

/** Median time of one call of `work`, in microseconds, over `durationMs` after a warm-up. */
async function microsPerCall(work: () => Promise<unknown>, durationMs: number): Promise<number> {
  const runOnce = async (ms: number): Promise<number> => {
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < ms) {
      await work();
      calls += 1;
    }
    return ((performance.now() - started) * 1000) / calls;
  };
  await runOnce(durationMs / 2);
  const samples: number[] = [];
  for (let index = 0; index < 3; index++) samples.push(await runOnce(durationMs / 3));
  return median(samples);
}

function sendBatchOf(sqs: SQSClient, entries: number): () => Promise<unknown> {
  const envelope = createEnvelope({
    topic: ASYNC_TOPIC,
    payload: asyncTopicEvent('bench-sdk'),
    subject: ASYNC_SUBJECT,
    correlationId: 'bench',
  });
  const body = JSON.stringify(envelope);
  return () =>
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: BENCH_QUEUE_URL,
        Entries: Array.from({ length: entries }, (_, index) => ({
          Id: String(index),
          MessageBody: body,
          MessageAttributes: {
            topic: { DataType: 'String', StringValue: envelope.topic },
            eventId: { DataType: 'String', StringValue: envelope.id },
          },
        })),
      }),
    );
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

function rateNote(measured: Measured, options: IngestBenchOptions): string {
  const { perSecond } = measured.set;
  return (
    `median of ${options.runs} × ${options.runMs / 1000} s runs (range ${round(perSecond.min).toLocaleString('en-US')}–` +
    `${round(perSecond.max).toLocaleString('en-US')}); ${round(measured.cpuMicrosPerEvent, 1)} µs CPU per event`
  );
}

/** A new token on every request: the verifier's first sight of each, with its CPU per event. */
function newTokenFigures(
  label: string,
  measured: Measured,
  options: IngestBenchOptions,
  target?: number,
): Figure[] {
  return [
    {
      section: SECTION,
      label: `${label}: events/s`,
      value: measured.set.perSecond.median,
      unit: 'events/s',
      ...(target === undefined ? {} : { target: { op: '>=' as const, value: target } }),
      note: rateNote(measured, options),
    },
    {
      section: SECTION,
      label: `${label}: CPU per event`,
      value: measured.cpuMicrosPerEvent,
      unit: 'µs',
      digits: 1,
    },
    {
      section: SECTION,
      label: `${label}: request p99`,
      value: measured.set.p99Ms,
      unit: 'ms',
      digits: 3,
    },
  ];
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

function scenarioFigures(
  label: string,
  measured: Measured,
  options: IngestBenchOptions,
  batch: boolean,
): Figure[] {
  return [
    {
      section: SECTION,
      label: `${label}: events/s`,
      value: measured.set.perSecond.median,
      unit: 'events/s',
      target: { op: '>=', value: batch ? 100_000 : 20_000 },
      note: rateNote(measured, options),
    },
    { section: SECTION, label: `${label}: request p50`, value: measured.set.p50Ms, unit: 'ms', digits: 3 },
    {
      section: SECTION,
      label: `${label}: request p99`,
      value: measured.set.p99Ms,
      unit: 'ms',
      digits: 3,
      ...(batch ? {} : { target: { op: '<=' as const, value: 2 } }),
    },
  ];
}

/**
 * Figure 1: the ingest handler's own CPU per event. Async topics go through a real SQSClient whose
 * transport answers at once; sync topics go to a sink that takes every event at once.
 */
export async function benchIngest(
  options: IngestBenchOptions = DEFAULT_INGEST_OPTIONS,
): Promise<IngestBenchResult> {
  const conf = await createTestConf();
  try {
    useSyncTopic(conf);
    const signers = await benchSigners(conf);
    const env: NodeJS.ProcessEnv = { ...process.env, EVENTGATE_SINKS: 'postgres' };
    const transport: FakeSqsTransport = createFakeSqsTransport();
    // As the ingest handler builds its client (shared/ingest/handler.ts).
    const sqs = fakeSqsClient(transport, { cacheMiddleware: true });
    const queueUrls = { postgres: BENCH_QUEUE_URL };
    const app = createIngestHandler({ confDir: conf.dir, env, sqs, queueUrls, sinks: instantSinks });
    // The same handler over an SQSClient with the SDK's default, which resolves its middleware stack
    // on every send: what caching it saves.
    const cachedTransport = createFakeSqsTransport();
    const cachedSqs = fakeSqsClient(cachedTransport);
    const cachedApp = createIngestHandler({
      confDir: conf.dir,
      env,
      sqs: cachedSqs,
      queueUrls,
      sinks: instantSinks,
    });
    const bare = createIngestApp({
      state: new GatewayStateLoader({ confDir: conf.dir, env }),
      deliveries: { sync: noDelivery, async: noDelivery },
    });

    const asyncToken = await conf.token(ASYNC_SUBJECT);
    const syncToken = await conf.token(SYNC_SUBJECT);
    const asyncSingles = requestPool(ASYNC_TOPIC, asyncToken, 1, asyncTopicEvent);
    const asyncBatches = requestPool(ASYNC_TOPIC, asyncToken, BATCH_SIZE, asyncTopicEvent);
    const syncSingles = requestPool(SYNC_TOPIC, syncToken, 1, syncTopicEvent);
    const syncBatches = requestPool(SYNC_TOPIC, syncToken, BATCH_SIZE, syncTopicEvent);
    // Signed before anything is timed: signing is the issuer's cost, not the gateway's.
    const newTokens: Record<BenchAlgorithm, string[]> = {
      RS256: await mintTokens(signers.RS256, SYNC_SUBJECT, NEW_TOKEN_POOL),
      ES256: await mintTokens(signers.ES256, SYNC_SUBJECT, NEW_TOKEN_POOL),
    };

    const scenarios = {
      asyncSingle: { name: 'async single', mode: 'async', app, requests: asyncSingles, eventsPerRequest: 1 },
      asyncBatch: {
        name: 'async batch',
        mode: 'async',
        app,
        requests: asyncBatches,
        eventsPerRequest: BATCH_SIZE,
      },
      syncSingle: { name: 'sync single', mode: 'sync', app, requests: syncSingles, eventsPerRequest: 1 },
      syncBatch: {
        name: 'sync batch',
        mode: 'sync',
        app,
        requests: syncBatches,
        eventsPerRequest: BATCH_SIZE,
      },
      syncNewToken: {
        name: 'sync single, new RS256 token per request',
        mode: 'sync',
        app,
        requests: newTokenRequests(SYNC_TOPIC, newTokens.RS256),
        eventsPerRequest: 1,
      },
      syncNewEcToken: {
        name: 'sync single, new ES256 token per request',
        mode: 'sync',
        app,
        requests: newTokenRequests(SYNC_TOPIC, newTokens.ES256),
        eventsPerRequest: 1,
      },
      cachedSingle: {
        name: 'async single, cached middleware',
        mode: 'async',
        app: cachedApp,
        requests: asyncSingles,
        eventsPerRequest: 1,
      },
      cachedBatch: {
        name: 'async batch, cached middleware',
        mode: 'async',
        app: cachedApp,
        requests: asyncBatches,
        eventsPerRequest: BATCH_SIZE,
      },
      bareSingle: {
        name: 'no delivery single',
        mode: 'async',
        app: bare,
        requests: asyncSingles,
        eventsPerRequest: 1,
      },
    } satisfies Record<string, Scenario>;

    // Every scenario is checked once before it is timed: a benchmark of 4xx answers would be fast and useless.
    for (const scenario of Object.values(scenarios)) {
      await expectAccepted(scenario.app, nextRequest(scenario), scenario.name, scenario.mode);
    }
    const entriesBefore = transport.stats.entries;
    await expectAccepted(app, asyncBatches[0] as ApiGatewayEvent, 'async batch', 'async');
    if (transport.stats.entries - entriesBefore !== BATCH_SIZE) {
      throw new Error(
        `async batch: ${transport.stats.entries - entriesBefore} messages enqueued, expected ${BATCH_SIZE}`,
      );
    }

    const measuredRuns: Record<string, Measured> = {};
    for (const [key, scenario] of Object.entries(scenarios)) {
      measuredRuns[key] = await measure(scenario, options, (ms) => sequentialRun(scenario, ms));
    }
    const inFlight = 8;
    const concurrent = await measure(scenarios.asyncSingle, options, (ms) =>
      concurrentRun(scenarios.asyncSingle, ms, inFlight),
    );

    const callsBefore = transport.stats.calls;
    const selfBefore = transport.stats.selfMs;
    const sdkSingle = await microsPerCall(sendBatchOf(sqs, 1), options.runMs * 2);
    const sdkTen = await microsPerCall(sendBatchOf(sqs, 10), options.runMs * 2);
    const fakeMicrosPerCall =
      ((transport.stats.selfMs - selfBefore) * 1000) / Math.max(1, transport.stats.calls - callsBefore);
    const state = await new GatewayStateLoader({ confDir: conf.dir, env }).current();
    const verifier = state.verifier;
    const verifyMicros = verifier
      ? await microsPerCall(() => verifier.verify(asyncToken), options.runMs)
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
    sqs.destroy();
    cachedSqs.destroy();

    const m = measuredRuns as Record<keyof typeof scenarios, Measured>;
    const bareMicros = 1e6 / m.bareSingle.set.perSecond.median;
    const figures: Figure[] = [
      ...scenarioFigures('async topic, one 1 KB event per request', m.asyncSingle, options, false),
      ...scenarioFigures(`async topic, batches of ${BATCH_SIZE}`, m.asyncBatch, options, true),
      ...scenarioFigures('sync topic (instant sink), one event per request', m.syncSingle, options, false),
      ...scenarioFigures(`sync topic (instant sink), batches of ${BATCH_SIZE}`, m.syncBatch, options, true),
      ...newTokenFigures(
        'sync topic (instant sink), one event per request, a new RS256 token on every request',
        m.syncNewToken,
        options,
        25_000,
      ),
      ...newTokenFigures(
        'sync topic (instant sink), one event per request, a new ES256 token on every request',
        m.syncNewEcToken,
        options,
      ),
      {
        section: SECTION,
        label: `async topic, one event per request, ${inFlight} in flight: events/s`,
        value: concurrent.set.perSecond.median,
        unit: 'events/s',
        note: `what one process gives when requests overlap (the local runtime); p99 ${round(concurrent.set.p99Ms, 2)} ms`,
      },
      {
        section: WHAT_IF,
        label: 'async topic, one event per request, SQSClient without cacheMiddleware: events/s',
        value: m.cachedSingle.set.perSecond.median,
        unit: 'events/s',
        note: `${round(m.cachedSingle.set.perSecond.median / m.asyncSingle.set.perSecond.median, 2)}× shipped; p99 ${round(m.cachedSingle.set.p99Ms, 3)} ms; ${round(m.cachedSingle.cpuMicrosPerEvent, 1)} µs CPU per event`,
      },
      {
        section: WHAT_IF,
        label: `async topic, batches of ${BATCH_SIZE}, SQSClient without cacheMiddleware: events/s`,
        value: m.cachedBatch.set.perSecond.median,
        unit: 'events/s',
        note: `${round(m.cachedBatch.set.perSecond.median / m.asyncBatch.set.perSecond.median, 2)}× shipped; ${round(m.cachedBatch.cpuMicrosPerEvent, 1)} µs CPU per event`,
      },
      {
        section: `${SECTION} — where the time goes (one async event)`,
        label: 'handler without its delivery step (auth, parse, validate, envelope)',
        value: bareMicros,
        unit: 'µs/request',
        digits: 1,
      },
      {
        section: `${SECTION} — where the time goes (one async event)`,
        label: 'of which RS256 token verification',
        value: verifyMicros,
        unit: 'µs/request',
        digits: 1,
      },
      {
        section: `${SECTION} — where the time goes (one async event)`,
        label: 'one SendMessageBatch (1 entry) through the SDK',
        value: sdkSingle,
        unit: 'µs/call',
        digits: 1,
        note: `includes the fake transport's own ${round(fakeMicrosPerCall, 1)} µs/call (JSON parse + MD5s the SDK checks)`,
      },
      {
        section: `${SECTION} — where the time goes (one async event)`,
        label: 'one SendMessageBatch (10 entries) through the SDK',
        value: sdkTen,
        unit: 'µs/call',
        digits: 1,
      },
      ...firstSightFigures('RS256', firstSight.RS256),
      ...firstSightFigures('ES256', firstSight.ES256),
    ];
    return {
      figures,
      details: {
        options,
        scenarios: Object.fromEntries(Object.entries(measuredRuns).map(([key, value]) => [key, value])),
        concurrent: { inFlight, ...concurrent },
        sdkMicrosPerCall: { oneEntry: sdkSingle, tenEntries: sdkTen },
        fakeTransportMicrosPerCall: fakeMicrosPerCall,
        tokenVerifyMicros: verifyMicros,
        firstSight,
        handlerWithoutDeliveryMicros: bareMicros,
        fakeTransport: transport.stats,
      },
    };
  } finally {
    conf.cleanup();
  }
}
