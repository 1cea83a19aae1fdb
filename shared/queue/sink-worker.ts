import { SQSClient } from '@aws-sdk/client-sqs';
import { loadConfig } from '../config/load';
import { confDir } from '../config/settings';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { SinkDefinition } from '../sinks/definition';
import type { Sink } from '../sinks/types';
import { dlqUrlVariable, queueUrlVariable, sinkQueueSettings, type SinkQueueSettings } from './topology';
import { createWorkerHandler, type WorkerHandler } from './worker';

export interface SinkWorkerOptions {
  /** Where CONF_DIR, QUEUE_URL_<SINK> and the sink's own variables are read. Default process.env. */
  env?: NodeJS.ProcessEnv;
  sqs?: SQSClient;
  /** The queue the worker consumes; default QUEUE_URL_<SINK> from `env`. */
  queueUrl?: string;
  /** Its dead-letter queue, where permanent failures go at once; default DLQ_URL_<SINK> from `env`. */
  dlqUrl?: string;
  /** Retry timing; default the sink's entry in the shared topology. */
  settings?: Pick<SinkQueueSettings, 'retryBaseSeconds' | 'retryMaxSeconds'>;
  /** The sink to write to; default built by the definition from the configuration. */
  sink?: () => Promise<Sink>;
  /** Definitions the configuration is checked against. */
  catalog?: SinkCatalog;
}

/**
 * The worker Lambda of one sink, as every function/workers/<sink>.ts exports it and as the local
 * runtime runs it: config from CONF_DIR, its own queue from QUEUE_URL_<SINK> (for retry back-off),
 * its DLQ from DLQ_URL_<SINK> (where events the sink refuses for good are parked at once) and the
 * retry timing from the shared topology.
 */
export function createSinkWorker(definition: SinkDefinition, options: SinkWorkerOptions = {}): WorkerHandler {
  const env = options.env ?? process.env;
  const catalog = options.catalog ?? sinkCatalog;
  const settings = options.settings ?? sinkQueueSettings(definition.name);
  return createWorkerHandler({
    sinkName: definition.name,
    sink: options.sink ?? (async () => definition.create(await loadConfig(confDir(env), env, catalog), env)),
    queueUrl: options.queueUrl ?? env[queueUrlVariable(definition.name)],
    sqs: options.sqs ?? new SQSClient({}),
    dlqUrl: options.dlqUrl ?? env[dlqUrlVariable(definition.name)],
    backoff: { baseSeconds: settings.retryBaseSeconds, maxSeconds: settings.retryMaxSeconds },
  });
}
