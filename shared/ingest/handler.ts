import { SQSClient } from '@aws-sdk/client-sqs';
import { confDir as defaultConfDir, DEFAULTS, type GatewayConfig } from '../config/settings';
import { SyncDelivery, type SinkProvider } from '../delivery/sync';
import { GatewayStateLoader } from '../gateway/state';
import { QueuePublisher } from '../queue/publisher';
import type { MessageBatchSender } from '../queue/send-message-batch';
import { queueUrlVariable } from '../queue/topology';
import { SinkRegistry } from '../sinks/registry';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';
import { createIngestApp, type IngestApp } from './app';
import { quarantineFromEnv } from '../quarantine/keeper';

export interface IngestHandlerOptions {
  confDir?: string;
  env?: NodeJS.ProcessEnv;
  sqs?: SQSClient;
  /** Overrides QUEUE_URL_<SINK> from the environment. */
  queueUrls?: Partial<Record<SinkName, string>>;
  /** Overrides the sinks built from config (tests, benchmarks). */
  sinks?: SinkProvider;
  /** The sinks configuration may name; default every sink EventGate has. */
  catalog?: SinkCatalog;
  /** How async topics' batches reach their queues; default SQS through `sqs`. */
  queueSender?: MessageBatchSender;
}

export function queueUrlsFromEnv(
  env: NodeJS.ProcessEnv,
  catalog: SinkCatalog = sinkCatalog,
): Partial<Record<SinkName, string>> {
  const urls: Partial<Record<SinkName, string>> = {};
  for (const sink of catalog.names) {
    const url = env[queueUrlVariable(sink)];
    if (url) urls[sink] = url;
  }
  return urls;
}

/**
 * Sinks follow the loaded config. Every reload yields a new config object, so clients are rebuilt
 * (and the old ones closed) only when its content changed: an unchanged reload keeps connections.
 */
export function sinksFollowingConfig(
  state: GatewayStateLoader,
  env: NodeJS.ProcessEnv,
  catalog: SinkCatalog = sinkCatalog,
): SinkProvider {
  let current: { config: GatewayConfig; content: string; registry: SinkRegistry } | undefined;
  return async (name) => {
    const { config } = await state.current();
    if (current?.config !== config) {
      const content = JSON.stringify(config);
      if (current?.content === content) {
        current.config = config;
      } else {
        void current?.registry.closeAll();
        current = { config, content, registry: new SinkRegistry(config, env, catalog) };
      }
    }
    return current.registry.get(name);
  };
}

/** Wires the ingest app to its real collaborators: config from CONF_DIR, SQS, sinks from config. */
export function createIngestHandler(options: IngestHandlerOptions = {}): IngestApp {
  const env = options.env ?? process.env;
  const catalog = options.catalog ?? sinkCatalog;
  const state = new GatewayStateLoader({ confDir: options.confDir ?? defaultConfDir(env), env, catalog });
  // Enqueues bypass the client's middleware (shared/queue/send-message-batch.ts); its other calls
  // (health, quarantine) resolve the stack once instead of on every call.
  const sqs = options.sqs ?? new SQSClient({ cacheMiddleware: true });
  const queueUrls = options.queueUrls ?? queueUrlsFromEnv(env, catalog);
  const sinks = options.sinks ?? sinksFollowingConfig(state, env, catalog);
  return createIngestApp({
    state,
    catalog,
    quarantine: quarantineFromEnv(env, sqs),
    deliveries: {
      sync: new SyncDelivery({ sinks, timeoutMs: DEFAULTS.sync_timeout_ms }),
      async: new QueuePublisher({
        client: sqs,
        queueUrls,
        ...(options.queueSender ? { sender: options.queueSender } : {}),
      }),
    },
  });
}
