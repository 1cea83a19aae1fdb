import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { lambdaPlugins } from '../shared/deploy/bundling';
import { LAMBDA_NODE_OPTIONS } from '../shared/deploy/functions';
import {
  buildLikeServerless,
  serverlessBuildSettings,
  type BuiltFunction,
} from '../shared/deploy/bundling/serverless-build';
import { createEnvelope } from '../shared/envelope';
import { fauxqsS3Client } from '../test/peers/fauxqs';
import { createTestConf, v2Event, type TestConf } from '../test/helpers/gateway';
import { coldProcessRunner, type ColdScenario, type ColdSummary } from './cold-process';
import { ASYNC_SUBJECT, ASYNC_TOPIC, asyncTopicEvent } from './events';
import { BENCH_CREDENTIALS, BENCH_REGION } from './fake-sqs';
import { startLoopbackSqs } from './loopback';
import { createDatabase, type BenchPeers } from './peers';
import type { Figure } from './report';
import { round } from './stats';

export interface ColdStartOptions {
  /** Fresh processes per measurement; the median is reported. */
  runs: number;
}

export const DEFAULT_COLD_START_OPTIONS: ColdStartOptions = { runs: 5 };

const SECTION = 'Cold start: each function bundled as serverless.yml bundles it, in fresh node processes';
const WHAT_IF = `${SECTION} — alternatives not shipped, for comparison`;
const ROOT = path.join(__dirname, '..');
const INGEST_BUNDLE_TARGET_KB = 500;
const FIRST_REQUEST_TARGET_MS = 150;
/** Packages the ingest function must not carry: it only enqueues for these sinks. */
const INGEST_FORBIDDEN = ['kafkajs', 'pg'];
const WORKER_BATCH = 10;
const CONFIG_BUCKET = 'eventgate-bench-config';
const ARCHIVE_BUCKET = 'eventgate-bench-cold-archive';
const EVENT_BUS_ARN = 'arn:aws:events:us-east-1:000000000000:event-bus/eventgate-bench';

interface Measured {
  name: string;
  built: BuiltFunction;
  /** What the first request is, for the figure's label. */
  firstRequest: string;
  summary?: ColdSummary;
  /** Why it was not measured (a peer that did not start, a process that failed). */
  missing?: string;
}

const kilobytes = (bytes: number): number => bytes / 1000;

function topPackages(file: BuiltFunction['main'], count = 4): string {
  return file.packages
    .slice(0, count)
    .map(
      (entry) =>
        `${entry.name} ${round(kilobytes(entry.bytes))} kB (${round((entry.bytes / file.bytes) * 100)}%)`,
    )
    .join(', ');
}

function lazyNote(built: BuiltFunction): string {
  if (built.lazy.length === 0) return 'nothing loaded on first use';
  const files = built.lazy.map(
    (file) => `${path.posix.basename(file.name)} ${round(kilobytes(file.bytes))} kB`,
  );
  return `loaded on first use only: ${files.join(', ')}`;
}

function sqsEventOf(sink: string, count: number): SQSEvent {
  return {
    Records: Array.from({ length: count }, (_, index) => {
      const envelope = createEnvelope({
        topic: ASYNC_TOPIC,
        payload: asyncTopicEvent(`cold-${sink}-${index}`),
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
        eventSourceARN: `arn:aws:sqs:${BENCH_REGION}:000000000000:eventgate-bench-${sink}`,
        awsRegion: BENCH_REGION,
      };
    }),
  };
}

/** The gateway's access map and topic schemas copied to S3, as `accessConfig`/`topicSchemas` deploys them. */
async function configInS3(peers: BenchPeers, conf: TestConf): Promise<NodeJS.ProcessEnv> {
  if (!peers.fauxqs.ok) throw new Error(peers.fauxqs.reason);
  const s3 = fauxqsS3Client(peers.fauxqs.peer.endpoint);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: CONFIG_BUCKET }));
    const files = [
      'access.json',
      ...readdirSync(path.join(conf.dir, 'topics')).map((file) => `topics/${file}`),
    ];
    for (const file of files) {
      const Body = readFileSync(path.join(conf.dir, file), 'utf8');
      await s3.send(new PutObjectCommand({ Bucket: CONFIG_BUCKET, Key: `conf/${file}`, Body }));
    }
  } finally {
    s3.destroy();
  }
  return {
    ACCESS_CONFIG: `s3://${CONFIG_BUCKET}/conf/access.json`,
    TOPIC_SCHEMAS: `s3://${CONFIG_BUCKET}/conf/topics/`,
    AWS_ENDPOINT_URL_S3: peers.fauxqs.peer.endpoint,
    AWS_S3_FORCE_PATH_STYLE: 'true',
  };
}

async function archiveBucket(peers: BenchPeers): Promise<NodeJS.ProcessEnv> {
  if (!peers.fauxqs.ok) throw new Error(peers.fauxqs.reason);
  const s3 = fauxqsS3Client(peers.fauxqs.peer.endpoint);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: ARCHIVE_BUCKET }));
  } finally {
    s3.destroy();
  }
  return {
    ARCHIVE_BUCKET,
    AWS_ENDPOINT_URL_S3: peers.fauxqs.peer.endpoint,
    AWS_S3_FORCE_PATH_STYLE: 'true',
  };
}

/** What each worker's sink needs to reach its peer; throws when the peer did not start. */
async function workerEnvironment(sink: string, peers: BenchPeers, databaseUrl: () => Promise<string>) {
  switch (sink) {
    case 'eventbridge':
      if (!peers.eventBridge.ok) throw new Error(peers.eventBridge.reason);
      return { EVENT_BUS_ARN, AWS_ENDPOINT_URL_EVENTBRIDGE: peers.eventBridge.peer.endpoint };
    case 'kafka':
      if (!peers.kafka.ok) throw new Error(peers.kafka.reason);
      return { KAFKA_BOOTSTRAP_SERVER: peers.kafka.peer.brokers.join(',') };
    case 'postgres':
      return { DATABASE_URL: await databaseUrl() };
    case 's3':
      return archiveBucket(peers);
    default:
      throw new Error(`no peer for the ${sink} worker`);
  }
}

export interface ColdStartResult {
  figures: Figure[];
  details: Record<string, unknown>;
}

/**
 * Each function bundled as serverless.yml bundles it: its size and what fills it, and the time a
 * fresh process takes to require it and to answer a first request (a first POST for the ingest
 * function, a first batch of 10 for each worker, a first page for the read function).
 */
export async function benchColdStart(
  peers: BenchPeers,
  options: ColdStartOptions = DEFAULT_COLD_START_OPTIONS,
): Promise<ColdStartResult> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'eventgate-bench-cold-'));
  const conf = await createTestConf();
  const sqs = await startLoopbackSqs();
  const run = coldProcessRunner(workDir);
  try {
    const settings = serverlessBuildSettings(ROOT);
    const bundled = async (
      entry: string,
      variant = 'shipped',
      how: Parameters<typeof buildLikeServerless>[2] = {},
    ): Promise<BuiltFunction> => buildLikeServerless(entry, path.join(workDir, variant), how);
    const workers = readdirSync(path.join(ROOT, 'functions', 'workers'))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.slice(0, -'.ts'.length))
      .sort();
    const ingest = await bundled('functions/ingest.ts');
    const read = await bundled('functions/read.ts');
    const workerBundles = new Map<string, BuiltFunction>();
    for (const sink of workers) workerBundles.set(sink, await bundled(`functions/workers/${sink}.ts`));
    // Alternatives, for comparison: without the deploy plugins, CommonJS builds preferred, and the
    // check of config.json compiled at build time in the ingest bundle too.
    const unfiltered = await bundled('functions/ingest.ts', 'unfiltered', { plugins: [] });
    const commonJsFirst = await bundled('functions/ingest.ts', 'main-first', {
      overrides: { mainFields: ['main', 'module'] },
    });
    const compiledCheck = await bundled('functions/ingest.ts', 'compiled-config-check', {
      plugins: lambdaPlugins({ syncSinks: settings.syncSinks, compileConfigCheckEverywhere: true }),
    });

    const baseEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: BENCH_REGION,
      AWS_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // As the template sets it for every function.
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      CONF_DIR: conf.dir,
      EVENTGATE_SINKS: 'postgres',
      QUEUE_URL_POSTGRES: `${sqs.endpoint}/000000000000/eventgate-bench-postgres`,
    };
    const token = await conf.token(ASYNC_SUBJECT);
    const eventFile = (name: string, event: unknown): string => {
      const file = path.join(workDir, `${name}.json`);
      writeFileSync(file, JSON.stringify(event));
      return file;
    };
    const authorization = { authorization: `Bearer ${token}` };
    const events = {
      getTopics: eventFile('get-topics', v2Event({ method: 'GET', path: '/topics' })),
      post: eventFile(
        'post',
        v2Event({
          method: 'POST',
          path: `/topics/${ASYNC_TOPIC}`,
          headers: { ...authorization, 'content-type': 'application/json' },
          body: JSON.stringify(asyncTopicEvent('cold-start')),
        }),
      ),
      readPage: eventFile('read-page', {
        ...v2Event({ method: 'GET', path: `/topics/${ASYNC_TOPIC}/events`, headers: authorization }),
        queryStringParameters: { limit: '50' },
      }),
    };
    const scenario = (built: BuiltFunction, event: string, env: NodeJS.ProcessEnv = {}): ColdScenario => ({
      bundleFile: built.file,
      eventFile: event,
      env: { ...baseEnv, ...env },
    });

    const getTopics = await run(scenario(ingest, events.getTopics), options.runs);
    const post = await run(scenario(ingest, events.post), options.runs);
    let postS3: ColdSummary | undefined;
    let postS3Missing: string | undefined;
    try {
      postS3 = await run(scenario(ingest, events.post, await configInS3(peers, conf)), options.runs);
    } catch (error) {
      postS3Missing = (error as Error).message.split('\n')[0];
    }

    let database: string | undefined;
    const databaseUrl = async (): Promise<string> => {
      if (!peers.postgres.ok) throw new Error(peers.postgres.reason);
      database ??= await createDatabase(peers.postgres.peer, 'eventgate_bench_cold');
      return database;
    };
    const measured: Measured[] = [];
    for (const sink of workers) {
      const built = workerBundles.get(sink) as BuiltFunction;
      const entry: Measured = {
        name: `workers/${sink}`,
        built,
        firstRequest: `first batch of ${WORKER_BATCH}`,
      };
      try {
        const batch = eventFile(`batch-${sink}`, sqsEventOf(sink, WORKER_BATCH));
        const env = {
          ...(await workerEnvironment(sink, peers, databaseUrl)),
          EVENTGATE_SINKS: sink,
          [`QUEUE_URL_${sink.toUpperCase()}`]: `${sqs.endpoint}/000000000000/eventgate-bench-${sink}`,
        };
        entry.summary = await run(scenario(built, batch, env), options.runs);
      } catch (error) {
        entry.missing = (error as Error).message.split('\n')[0];
      }
      measured.push(entry);
    }
    // After the postgres worker, so the page it reads holds that worker's events.
    const readEntry: Measured = { name: 'read', built: read, firstRequest: 'first page of 50 events' };
    try {
      readEntry.summary = await run(
        scenario(read, events.readPage, { DATABASE_URL: await databaseUrl() }),
        options.runs,
      );
    } catch (error) {
      readEntry.missing = (error as Error).message.split('\n')[0];
    }
    measured.push(readEntry);
    const commonJsFirstPost = await run(scenario(commonJsFirst, events.post), options.runs);
    const compiledCheckPost = await run(scenario(compiledCheck, events.post), options.runs);

    const forbidden = INGEST_FORBIDDEN.filter((name) =>
      ingest.main.packages.some((entry) => entry.name === name),
    );
    const requireNote = (summary: ColdSummary): string =>
      `median of ${summary.runs} processes (each: ${summary.samples.map((sample) => round(sample.importMs)).join(' / ')} ms)`;
    const firstNote = (summary: ColdSummary): string =>
      `second ${round(summary.secondMs, 1)} ms; ${summary.statuses.join('/')}; each: ${summary.samples
        .map((sample) => round(sample.firstMs ?? Number.NaN))
        .join(' / ')} ms`;
    const figures: Figure[] = [
      {
        section: SECTION,
        label: 'ingest: bundle size',
        value: kilobytes(ingest.main.bytes),
        unit: 'kB',
        target: { op: '<=', value: INGEST_BUNDLE_TARGET_KB },
        note: `largest: ${topPackages(ingest.main)}; ${lazyNote(ingest)}`,
      },
      {
        section: SECTION,
        label: `ingest bundle carries ${INGEST_FORBIDDEN.join(' or ')}`,
        value: forbidden.length,
        unit: 'packages',
        target: { op: '<=', value: 0 },
        note: forbidden.length > 0 ? `bundled: ${forbidden.join(', ')}` : 'neither bundled nor referenced',
      },
      {
        section: SECTION,
        label: 'ingest: require the bundle',
        value: post.importMs,
        unit: 'ms',
        digits: 1,
        note: `${requireNote(post)}; Node itself starts in ${round(post.bootMs)} ms; spawn to exit ${round(post.processMs)} ms`,
      },
      {
        section: SECTION,
        label: 'ingest: first request, GET /topics (loads config and schemas)',
        value: getTopics.firstMs,
        unit: 'ms',
        digits: 1,
        target: { op: '<=', value: FIRST_REQUEST_TARGET_MS },
        note: firstNote(getTopics),
      },
      {
        section: SECTION,
        label: 'ingest: first request, POST one event with a token (async, SQS on 127.0.0.1)',
        value: post.firstMs,
        unit: 'ms',
        digits: 1,
        target: { op: '<=', value: FIRST_REQUEST_TARGET_MS },
        note: `${firstNote(post)}; keys read from a local JWKS file`,
      },
      {
        section: SECTION,
        label: 'ingest, access map and topic schemas in S3: first POST (loads the S3 client file)',
        value: postS3?.firstMs ?? null,
        unit: 'ms',
        digits: 1,
        note: postS3
          ? `require ${round(postS3.importMs, 1)} ms; ${firstNote(postS3)}; S3 on 127.0.0.1 (fauxqs)`
          : `not measured: ${postS3Missing}`,
      },
    ];
    for (const entry of measured) {
      figures.push(
        {
          section: SECTION,
          label: `${entry.name}: bundle size`,
          value: kilobytes(entry.built.main.bytes),
          unit: 'kB',
          note: `largest: ${topPackages(entry.built.main)}; ${lazyNote(entry.built)}`,
        },
        {
          section: SECTION,
          label: `${entry.name}: require the bundle`,
          value: entry.summary?.importMs ?? null,
          unit: 'ms',
          digits: 1,
          note: entry.summary ? requireNote(entry.summary) : `not measured: ${entry.missing}`,
        },
        {
          section: SECTION,
          label: `${entry.name}: ${entry.firstRequest}`,
          value: entry.summary?.firstMs ?? null,
          unit: 'ms',
          digits: 1,
          note: entry.summary ? firstNote(entry.summary) : `not measured: ${entry.missing}`,
        },
      );
    }
    figures.push(
      {
        section: WHAT_IF,
        label: 'ingest bundle without the deploy plugins: size',
        value: kilobytes(unfiltered.main.bytes),
        unit: 'kB',
        note: `largest: ${topPackages(unfiltered.main)}`,
      },
      {
        section: WHAT_IF,
        label: "ingest bundle with mainFields ['main', 'module'] (CommonJS builds): size",
        value: kilobytes(commonJsFirst.main.bytes),
        unit: 'kB',
        note: `require ${round(commonJsFirstPost.importMs, 1)} ms, first POST ${round(commonJsFirstPost.firstMs, 1)} ms; ${commonJsFirstPost.statuses.join('/')}`,
      },
      {
        section: WHAT_IF,
        label: 'ingest bundle with the config.json check compiled at build time: size',
        value: kilobytes(compiledCheck.main.bytes),
        unit: 'kB',
        // Not shipped, so no verdict: the budget is in the note, for the trade-off it shows.
        note: `against the ${INGEST_BUNDLE_TARGET_KB} kB budget; require ${round(compiledCheckPost.importMs, 1)} ms, first POST ${round(compiledCheckPost.firstMs, 1)} ms (shipped: ${round(post.importMs, 1)} / ${round(post.firstMs, 1)} ms); ${compiledCheckPost.statuses.join('/')}`,
      },
    );

    const describe = (name: string, built: BuiltFunction) => ({
      name,
      bytes: built.main.bytes,
      externals: built.main.externals,
      packages: built.main.packages.slice(0, 12),
      lazy: built.lazy.map((file) => ({
        name: file.name,
        bytes: file.bytes,
        packages: file.packages.slice(0, 6),
      })),
    });
    return {
      figures,
      details: {
        options,
        bundles: [
          describe('ingest', ingest),
          ...measured.map((entry) => describe(entry.name, entry.built)),
          describe('ingest without deploy plugins', unfiltered),
          describe('ingest with CommonJS-first main fields', commonJsFirst),
          describe('ingest with the config.json check compiled at build time', compiledCheck),
        ],
        ingest: { getTopics, post, postS3, postS3Missing, commonJsFirstPost, compiledCheckPost },
        functions: Object.fromEntries(measured.map((entry) => [entry.name, entry.summary ?? entry.missing])),
      },
    };
  } finally {
    await sqs.stop();
    conf.cleanup();
    rmSync(workDir, { recursive: true, force: true });
  }
}
