import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile, type Plugin } from 'esbuild';
import type { SQSEvent } from 'aws-lambda';
import { createEnvelope } from '../shared/envelope';
import { createTestConf, v2Event } from '../test/helpers/gateway';
import { ASYNC_SUBJECT, ASYNC_TOPIC, asyncTopicEvent } from './events';
import { BENCH_CREDENTIALS, BENCH_REGION, startFakeSqsServer } from './fake-sqs';
import { createDatabase, type BenchPeers } from './peers';
import type { Figure } from './report';
import { median, round } from './stats';

const execFileAsync = promisify(execFile);

export interface ColdStartOptions {
  /** Fresh processes per measurement; the median is reported. */
  runs: number;
}

export const DEFAULT_COLD_START_OPTIONS: ColdStartOptions = { runs: 5 };

const SECTION = 'Cold start: esbuild bundles (minified, cjs, node22) in a fresh node process';
const ROOT = path.join(__dirname, '..');
const INGEST_BUNDLE_TARGET_KB = 500;
const FIRST_REQUEST_TARGET_MS = 150;
/** Packages the ingest function must not carry: it only enqueues for these sinks. */
const INGEST_FORBIDDEN = ['kafkajs', 'pg'];

/** The plugins serverless.yml bundles with (a module exporting a list, or a function of serverless). */
function deployPlugins(): Plugin[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(path.join(ROOT, 'shared', 'deploy', 'esbuild-plugins.js')) as
    Plugin[] | ((serverless: unknown) => Plugin[]);
  return typeof exported === 'function' ? exported(undefined) : exported;
}

interface Bundle {
  name: string;
  entry: string;
  file: string;
  bytes: number;
  /** Bytes in the output per package (own code under "eventgate"). */
  packages: Array<{ name: string; bytes: number }>;
  externals: string[];
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? 'eventgate';
}

function packageSizes(metafile: Metafile, output: string): Array<{ name: string; bytes: number }> {
  const sizes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[output]?.inputs ?? {})) {
    const name = packageOf(input);
    sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
  }
  return [...sizes].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

async function bundle(
  entry: string,
  outDir: string,
  plugins: Plugin[],
  // As serverless.yml's custom.esbuild.mainFields.
  mainFields: string[] = ['module', 'main'],
): Promise<Bundle> {
  const name = path.relative(path.join(ROOT, 'functions'), entry).replace(/\.ts$/, '');
  const file = path.join(outDir, `${name.replace(/\//g, '-')}.js`);
  const result = await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    minify: true,
    format: 'cjs',
    sourcemap: false,
    external: ['pg-native'],
    plugins,
    mainFields,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const output = Object.keys(result.metafile.outputs).find((key) => key.endsWith('.js')) as string;
  return {
    name,
    entry,
    file,
    bytes: statSync(file).size,
    packages: packageSizes(result.metafile, output),
    externals: (result.metafile.outputs[output]?.imports ?? [])
      .filter((item) => item.external && !item.path.startsWith('node:'))
      .map((item) => item.path),
  };
}

/**
 * Runs in a fresh node process: require the bundle, call its handler with the given event, then once
 * more warm. Times come from the child's own clock; `bootMs` is Node's start-up before our code.
 */
const DRIVER = `
const bootMs = performance.now();
const [bundlePath, eventFile] = process.argv.slice(2);
const event = require(eventFile);
const started = performance.now();
const { handler } = require(bundlePath);
const imported = performance.now();
(async () => {
  const result = event ? await handler(event) : undefined;
  const first = performance.now();
  const again = event ? await handler(event) : undefined;
  const second = performance.now();
  const statusOf = (answer) => answer && (answer.statusCode ?? (answer.batchItemFailures ? 'batch failures ' + answer.batchItemFailures.length : 'ok'));
  process.stdout.write(JSON.stringify({
    bootMs,
    importMs: imported - started,
    firstMs: event ? first - imported : null,
    secondMs: event ? second - first : null,
    status: statusOf(result),
    secondStatus: statusOf(again),
  }) + '\\n');
  process.exit(0);
})().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

interface DriverResult {
  bootMs: number;
  importMs: number;
  firstMs: number | null;
  secondMs: number | null;
  status: number | string | undefined;
  secondStatus: number | string | undefined;
}

interface ColdRun {
  processMs: number;
  result: DriverResult;
}

async function coldRun(
  driver: string,
  bundleFile: string,
  eventFile: string,
  env: NodeJS.ProcessEnv,
): Promise<ColdRun> {
  const started = performance.now();
  const { stdout } = await execFileAsync(process.execPath, [driver, bundleFile, eventFile], {
    env,
    cwd: os.tmpdir(),
    timeout: 30_000,
  });
  return {
    processMs: performance.now() - started,
    result: JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as DriverResult,
  };
}

interface ColdSummary {
  importMs: number;
  firstMs: number;
  secondMs: number;
  bootMs: number;
  processMs: number;
  statuses: Array<DriverResult['status']>;
}

async function coldRuns(
  runs: number,
  driver: string,
  bundleFile: string,
  eventFile: string,
  env: NodeJS.ProcessEnv,
): Promise<ColdSummary> {
  const results: ColdRun[] = [];
  for (let index = 0; index < runs; index++) results.push(await coldRun(driver, bundleFile, eventFile, env));
  return {
    importMs: median(results.map((run) => run.result.importMs)),
    firstMs: median(results.map((run) => run.result.firstMs ?? Number.NaN)),
    secondMs: median(results.map((run) => run.result.secondMs ?? Number.NaN)),
    bootMs: median(results.map((run) => run.result.bootMs)),
    processMs: median(results.map((run) => run.processMs)),
    statuses: [...new Set(results.flatMap((run) => [run.result.status, run.result.secondStatus]))],
  };
}

function kilobytes(bytes: number): number {
  return bytes / 1000;
}

function topPackages(bundled: Bundle, count = 4): string {
  return bundled.packages
    .slice(0, count)
    .map(
      (entry) =>
        `${entry.name} ${round(kilobytes(entry.bytes))} kB (${round((entry.bytes / bundled.bytes) * 100)}%)`,
    )
    .join(', ');
}

function workerEvent(count: number): SQSEvent {
  return {
    Records: Array.from({ length: count }, (_, index) => {
      const envelope = createEnvelope({
        topic: ASYNC_TOPIC,
        payload: asyncTopicEvent(`cold-${index}`),
        subject: ASYNC_SUBJECT,
        correlationId: 'eventgate-bench',
      });
      return {
        messageId: `message-${envelope.id}`,
        receiptHandle: `receipt-${index}`,
        body: JSON.stringify(envelope),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'eventgate-bench',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:eventgate-bench-postgres',
        awsRegion: BENCH_REGION,
      };
    }),
  };
}

export interface ColdStartResult {
  figures: Figure[];
  details: Record<string, unknown>;
}

/**
 * Figure 4: each function bundled as serverless.yml bundles it, its size and what fills it, and
 * the time a fresh process takes to load it and answer a first request.
 */
export async function benchColdStart(
  peers: BenchPeers | undefined,
  options: ColdStartOptions = DEFAULT_COLD_START_OPTIONS,
): Promise<ColdStartResult> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'eventgate-bench-cold-'));
  const conf = await createTestConf();
  const sqs = await startFakeSqsServer();
  try {
    const plugins = deployPlugins();
    const entries = [
      path.join(ROOT, 'functions', 'ingest.ts'),
      ...readdirSync(path.join(ROOT, 'functions', 'workers'))
        .filter((file) => file.endsWith('.ts'))
        .sort()
        .map((file) => path.join(ROOT, 'functions', 'workers', file)),
    ];
    const bundles: Bundle[] = [];
    for (const entry of entries) bundles.push(await bundle(entry, workDir, plugins));
    // The same ingest bundle without the deploy plugin: what leaving the clients out saves.
    const unfiltered = await bundle(entries[0] as string, path.join(workDir, 'unfiltered'), []);
    // The same with the packages' CommonJS builds (esbuild's default for node), for comparison.
    const moduleFirst = await bundle(entries[0] as string, path.join(workDir, 'main-first'), plugins, [
      'main',
      'module',
    ]);

    const driver = path.join(workDir, 'driver.js');
    writeFileSync(driver, DRIVER);
    const baseEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: BENCH_REGION,
      AWS_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      CONF_DIR: conf.dir,
      EVENTGATE_SINKS: 'postgres',
      QUEUE_URL_POSTGRES: `${sqs.endpoint}/000000000000/eventgate-bench-postgres`,
    };
    const token = await conf.token(ASYNC_SUBJECT);
    const events = {
      none: path.join(workDir, 'none.json'),
      getTopics: path.join(workDir, 'get-topics.json'),
      post: path.join(workDir, 'post.json'),
      batch: path.join(workDir, 'sqs-batch.json'),
    };
    writeFileSync(events.none, 'null');
    writeFileSync(events.getTopics, JSON.stringify(v2Event({ method: 'GET', path: '/topics' })));
    writeFileSync(
      events.post,
      JSON.stringify(
        v2Event({
          method: 'POST',
          path: `/topics/${ASYNC_TOPIC}`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(asyncTopicEvent('cold-start')),
        }),
      ),
    );
    writeFileSync(events.batch, JSON.stringify(workerEvent(10)));

    const ingest = bundles[0] as Bundle;
    const getTopics = await coldRuns(options.runs, driver, ingest.file, events.getTopics, baseEnv);
    const post = await coldRuns(options.runs, driver, ingest.file, events.post, baseEnv);
    const moduleFirstPost = await coldRuns(options.runs, driver, moduleFirst.file, events.post, baseEnv);

    const workers: Record<string, ColdSummary> = {};
    for (const worker of bundles.slice(1)) {
      workers[worker.name] = await coldRuns(options.runs, driver, worker.file, events.none, baseEnv);
    }
    let postgresFirstBatch: ColdSummary | undefined;
    let postgresError: string | undefined;
    const postgresWorker = bundles.find((entry) => entry.name === 'workers/postgres');
    if (peers?.postgres.ok && postgresWorker) {
      const databaseUrl = await createDatabase(peers.postgres.peer, 'eventgate_bench_cold');
      postgresFirstBatch = await coldRuns(options.runs, driver, postgresWorker.file, events.batch, {
        ...baseEnv,
        DATABASE_URL: databaseUrl,
      }).catch((error: unknown) => {
        postgresError = (error as Error).message;
        return undefined;
      });
    } else {
      postgresError = peers?.postgres.ok === false ? peers.postgres.reason : 'no Postgres peer';
    }

    const forbidden = INGEST_FORBIDDEN.filter((name) => ingest.packages.some((entry) => entry.name === name));
    const figures: Figure[] = [
      {
        section: SECTION,
        label: 'ingest bundle size',
        value: kilobytes(ingest.bytes),
        unit: 'kB',
        target: { op: '<=', value: INGEST_BUNDLE_TARGET_KB },
        note: `largest: ${topPackages(ingest)}; without the deploy plugin ${round(kilobytes(unfiltered.bytes))} kB`,
      },
      {
        section: SECTION,
        label: `ingest bundle carries ${INGEST_FORBIDDEN.join(' or ')}`,
        value: forbidden.length,
        unit: 'packages',
        target: { op: '<=', value: 0 },
        note:
          forbidden.length > 0
            ? `bundled: ${forbidden.join(', ')}`
            : `left external: ${ingest.externals.join(', ') || 'none referenced'}`,
      },
      {
        section: SECTION,
        label: 'ingest: require the bundle',
        value: getTopics.importMs,
        unit: 'ms',
        digits: 1,
        note: `median of ${options.runs} processes; Node itself starts in ${round(getTopics.bootMs)} ms; spawn to exit ${round(post.processMs)} ms`,
      },
      {
        section: SECTION,
        label: 'ingest: first request, GET /topics (loads config and schemas)',
        value: getTopics.firstMs,
        unit: 'ms',
        digits: 1,
        target: { op: '<=', value: FIRST_REQUEST_TARGET_MS },
        note: `second request ${round(getTopics.secondMs, 1)} ms; status ${getTopics.statuses.join('/')}`,
      },
      {
        section: SECTION,
        label: 'ingest: first request, POST one event with a token (async, SQS on 127.0.0.1)',
        value: post.firstMs,
        unit: 'ms',
        digits: 1,
        target: { op: '<=', value: FIRST_REQUEST_TARGET_MS },
        note: `second request ${round(post.secondMs, 1)} ms; status ${post.statuses.join('/')}; keys read from a local JWKS file`,
      },
    ];
    for (const worker of bundles.slice(1)) {
      const timing = workers[worker.name] as ColdSummary;
      figures.push({
        section: SECTION,
        label: `${worker.name}: bundle size`,
        value: kilobytes(worker.bytes),
        unit: 'kB',
        note: `largest: ${topPackages(worker)}; require ${round(timing.importMs, 1)} ms`,
      });
    }
    figures.push({
      section: SECTION,
      label: 'workers/postgres: first batch of 10 (connect, check table, insert)',
      value: postgresFirstBatch?.firstMs ?? null,
      unit: 'ms',
      digits: 1,
      note: postgresFirstBatch
        ? `second batch ${round(postgresFirstBatch.secondMs, 1)} ms; ${postgresFirstBatch.statuses.join('/')}`
        : `not measured: ${postgresError}`,
    });

    const whatIf = `${SECTION} — with CommonJS builds preferred (esbuild's default; not what ships)`;
    figures.push(
      {
        section: whatIf,
        label: "ingest bundle with mainFields ['main', 'module']: size",
        value: kilobytes(moduleFirst.bytes),
        unit: 'kB',
        note: `largest: ${topPackages(moduleFirst)}`,
      },
      {
        section: whatIf,
        label: "ingest bundle with mainFields ['main', 'module']: require, first POST",
        value: moduleFirstPost.importMs,
        unit: 'ms',
        digits: 1,
        note: `first POST ${round(moduleFirstPost.firstMs, 1)} ms; status ${moduleFirstPost.statuses.join('/')}`,
      },
    );

    return {
      figures,
      details: {
        options,
        bundles: [
          ...bundles,
          { ...unfiltered, name: 'ingest without deploy plugin' },
          { ...moduleFirst, name: 'ingest with CommonJS-first main fields' },
        ].map((entry) => ({
          name: entry.name,
          bytes: entry.bytes,
          externals: entry.externals,
          packages: entry.packages.slice(0, 12),
        })),
        ingest: { getTopics, post, moduleFirstPost },
        workers,
        postgresFirstBatch,
        fakeSqsCalls: sqs.calls(),
      },
    };
  } finally {
    await sqs.stop();
    conf.cleanup();
    rmSync(workDir, { recursive: true, force: true });
  }
}
