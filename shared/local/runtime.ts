import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ensureDevSigningKey, mintToken, writePublicJwks } from '../auth/dev-key';
import { availableSinks, loadConfig } from '../config/load';
import { confDir as defaultConfDir } from '../config/settings';
import { GatewayStateLoader } from '../gateway/state';
import { createIngestHandler } from '../ingest/handler';
import { sinkQueueSettings, type SinkQueueSettings } from '../queue/topology';
import { createSinkWorker } from '../queue/sink-worker';
import { sinkCatalog } from '../sinks/catalog';
import { postgresSink } from '../sinks/postgres';
import type { PostgresConfigKeys } from '../sinks/postgres/settings';
import { SinkRegistry } from '../sinks/registry';
import { createReadHandler, withReadRoutes } from '../read/handler';
import type { Sink, SinkName } from '../sinks/types';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { startEmbeddedSqs, type EmbeddedSqs } from './embedded-sqs';
import { startLocalHttpServer, type LocalHttpServer } from './http-server';
import { EventSourcePoller } from './poller';
import { directBatchSender, routeDirectCalls } from './sqs-direct-client';
import { createSinkQueues, type SinkQueues } from './queues';
import { withRuntimeHealth, type RuntimeDependency } from './runtime-health';
import { resolveStateDir, runtimeInfoFile } from './state-folder';
import { acquireStateLock } from './state-lock';
import { createQuarantineQueue, QUARANTINE_QUEUE_URL_VARIABLE } from '../quarantine/queue';

export const LOCAL_STAGE = 'local';
const LOCAL_REGION = 'us-east-1';
/**
 * Batches each sink's poller keeps in flight (at most the queue's `maxConcurrency`): enough to keep
 * receiving while a batch is written, few enough to leave the machine to ingest.
 */
const LOCAL_BATCHES_IN_FLIGHT = 3;

/** The gateway's port when none is given (`eventgate dev` takes it from --port or PORT). */
export const DEFAULT_LOCAL_PORT = 3000;

export interface LocalRuntimeOptions {
  /** HTTP port on 127.0.0.1; 0 picks a free one. Default DEFAULT_LOCAL_PORT. */
  port?: number;
  confDir?: string;
  /** Keys, the embedded database and runtime.json live here. Default: see ./state-folder.ts. */
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Changes to the shared topology for this run (tests shorten retries and batching windows). */
  topology?: Partial<Omit<SinkQueueSettings, 'sink'>>;
  /** Keep the embedded database in memory instead of under stateDir. */
  ephemeralDatabase?: boolean;
  /** Keep the queues in memory instead of under stateDir (their messages end with the runtime). */
  ephemeralQueues?: boolean;
  /**
   * Flush each queue change to the disk before answering (survives a power cut, not only a crash).
   * Default: EVENTGATE_FSYNC=true in the environment, else off.
   */
  fsync?: boolean;
  /** How long a stop waits for batches the workers already hold. Default 15 000 ms. */
  drainTimeoutMs?: number;
  /** Wraps each sink once it is built: for embedding (metrics, tracing) and for fault-injection tests. */
  decorateSink?: (sink: Sink) => Sink;
}

/** What `runtime.json` records, so `eventgate backlog --local` and `replay --local` find the queues. */
export interface LocalRuntimeInfo {
  url: string;
  region: string;
  sqsEndpoint: string;
  databaseUrl: string | null;
  queues: Record<SinkName, { queueUrl: string; dlqUrl: string }>;
}

export interface LocalRuntime extends LocalRuntimeInfo {
  /** Where the queues, the embedded database and the dev signing key are kept. */
  stateDir: string;
  topics: Array<{ name: string; mode: string; sinks: SinkName[] }>;
  /** The embedded servers this runtime started (absent when an outside one is used). */
  processes: { sqs: EmbeddedSqs; database?: EmbeddedPostgres };
  token(subject: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The whole system on one machine: the embedded SQS server with every sink's queue and DLQ, kept on
 * disk under the state folder, a poller per sink playing the Lambda event-source mapping, the real
 * worker and ingest handlers, and Postgres (embedded unless DATABASE_URL is set). One runtime per
 * state folder. `stop()` stops accepting, lets the workers settle the batches they hold, then stops
 * everything it started.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const stateDir = resolveStateDir({ explicit: options.stateDir, env: options.env });
  const confDir = path.resolve(options.confDir ?? defaultConfDir(options.env));
  await mkdir(stateDir, { recursive: true });
  // Before anything in the folder is opened: a second runtime must not touch the first one's files.
  const lock = await acquireStateLock(stateDir);
  const stops: Array<() => Promise<void>> = [() => lock.release()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };

  try {
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
    const baseConfig = await loadConfig(confDir, env);

    const signingKey = await ensureDevSigningKey(stateDir);
    if (!baseConfig.token_public_keys_url)
      env.TOKEN_PUBLIC_KEYS_URL = await writePublicJwks(stateDir, signingKey);

    // The embedded database and the SQS server take seconds each to start: start them together.
    const needsDatabase = !postgresSink.isConfigured(baseConfig, env);
    const [databaseResult, sqsResult] = await Promise.allSettled([
      needsDatabase
        ? startEmbeddedPostgres({
            dataDir: options.ephemeralDatabase ? undefined : path.join(stateDir, 'pgdata'),
          })
        : Promise.resolve(undefined),
      startEmbeddedSqs({
        dataDir: options.ephemeralQueues ? undefined : path.join(stateDir, 'sqs'),
        // This runtime holds the folder: what the last one had in flight is nobody's now.
        releaseInFlight: true,
        fsync: options.fsync ?? env.EVENTGATE_FSYNC === 'true',
      }),
    ]);
    if (databaseResult.status === 'fulfilled' && databaseResult.value) {
      const started = databaseResult.value;
      stops.push(() => started.stop());
    }
    if (sqsResult.status === 'fulfilled') {
      const started = sqsResult.value;
      stops.push(() => started.stop());
    }
    if (databaseResult.status === 'rejected') throw databaseResult.reason;
    if (sqsResult.status === 'rejected') throw sqsResult.reason;
    const database: EmbeddedPostgres | undefined = databaseResult.value;
    const sqsServer: EmbeddedSqs = sqsResult.value;
    if (database) env.DATABASE_URL = database.url;
    await lock.update({
      children: [sqsServer.pid(), database?.pid()].filter((pid): pid is number => pid !== undefined),
    });

    const sqs = new SQSClient({
      cacheMiddleware: true,
      endpoint: sqsServer.endpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Sends, receives and deletes skip HTTP and the SDK's per-call work (sqs-direct-client.ts).
    routeDirectCalls(sqs, sqsServer.directCalls);
    stops.push(async () => sqs.destroy());

    const sinks = availableSinks(baseConfig, env);
    env.EVENTGATE_SINKS = sinks.join(',');
    const queues = new Map<SinkName, SinkQueues>();
    for (const sink of sinks) {
      const settings = { ...sinkQueueSettings(sink), ...options.topology, sink };
      queues.set(sink, await createSinkQueues(sqs, settings, LOCAL_STAGE));
    }
    env[QUARANTINE_QUEUE_URL_VARIABLE] = await createQuarantineQueue(sqs, LOCAL_STAGE);

    // One set of sink clients for the sync path and the workers. The embedded database runs one
    // statement at a time on a session all its connections share: one connection, and no named
    // statements (a replacement connection would prepare the same names again).
    const workerConfig = database
      ? {
          ...baseConfig,
          postgres: {
            ...(baseConfig as PostgresConfigKeys).postgres,
            pool_max: 1,
            prepared_statements: false,
          },
        }
      : baseConfig;
    const registry = new SinkRegistry(workerConfig, env);
    stops.push(() => registry.closeAll());
    const decorated = new Map<SinkName, Promise<Sink>>();
    const sinkFor = (name: SinkName): Promise<Sink> => {
      let sink = decorated.get(name);
      if (!sink) {
        sink = registry.get(name).then((built) => options.decorateSink?.(built) ?? built);
        sink.catch(() => decorated.delete(name));
        decorated.set(name, sink);
      }
      return sink;
    };

    for (const [sink, queue] of queues) {
      // The factory every Lambda worker is built with, handed the runtime's own queue and sinks.
      const worker = createSinkWorker(sinkCatalog.get(sink), {
        env,
        dlqUrl: queue.dlqUrl,
        sqs,
        queueUrl: queue.queueUrl,
        settings: queue.settings,
        sink: () => sinkFor(sink),
      });
      const poller = new EventSourcePoller({
        sqs,
        queueUrl: queue.queueUrl,
        queueArn: queue.queueArn,
        region: LOCAL_REGION,
        batchSize: queue.settings.batchSize,
        batchWindowMs: queue.settings.maximumBatchingWindowSeconds * 1000,
        concurrency: Math.min(queue.settings.maxConcurrency, LOCAL_BATCHES_IN_FLIGHT),
        handler: (event) => worker(event),
      });
      poller.start();
      stops.push(() => poller.stop(options.drainTimeoutMs));
    }

    const queueUrls = Object.fromEntries([...queues].map(([sink, queue]) => [sink, queue.queueUrl]));
    const processes: RuntimeDependency[] = [{ name: 'embedded_sqs', status: sqsServer.status }];
    if (database) processes.push({ name: 'embedded_postgres', status: database.status });
    // Read routes go to the read function's handler, as the deployed HTTP API routes them.
    const app = withRuntimeHealth(
      withReadRoutes(
        createIngestHandler({
          confDir,
          env,
          sqs,
          queueUrls,
          sinks: sinkFor,
          queueSender: directBatchSender(sqsServer.directCalls),
        }),
        createReadHandler({ confDir, env, store: database ? { poolMax: 1 } : {} }),
      ),
      processes,
    );
    const http: LocalHttpServer = await startLocalHttpServer(app, options.port ?? DEFAULT_LOCAL_PORT);
    stops.push(() => http.close());

    // Loading the gateway's state here also refuses a broken configuration at start, not at the
    // first request.
    const { topics: loaded } = await new GatewayStateLoader({ confDir, env }).current();
    const topics = loaded.names().map((name) => {
      const topic = loaded.get(name);
      return { name, mode: topic?.mode ?? 'async', sinks: topic?.sinks ?? [] };
    });

    const info: LocalRuntimeInfo = {
      url: http.url,
      region: LOCAL_REGION,
      sqsEndpoint: sqsServer.endpoint,
      databaseUrl: env.DATABASE_URL ?? null,
      queues: Object.fromEntries(
        [...queues].map(([sink, queue]) => [sink, { queueUrl: queue.queueUrl, dlqUrl: queue.dlqUrl }]),
      ),
    };
    const infoFile = runtimeInfoFile(stateDir);
    await writeFile(infoFile, `${JSON.stringify(info, null, 2)}\n`);
    stops.push(() => rm(infoFile, { force: true }));
    await lock.update({ url: http.url });

    return {
      ...info,
      topics,
      stateDir,
      processes: { sqs: sqsServer, database },
      token: (subject) => mintToken(signingKey, { subject }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
