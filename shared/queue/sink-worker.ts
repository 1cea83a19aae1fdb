import { SQSClient } from '@aws-sdk/client-sqs';
import { loadConfig } from '../config/load';
import { confDir, type GatewayConfig } from '../config/settings';
import type { Sink, SinkName } from '../sinks/types';
import { dlqUrlVariable, queueUrlVariable, sinkQueueSettings } from './topology';
import { createWorkerHandler, type WorkerHandler } from './worker';

export type SinkFactory = (config: GatewayConfig, env: NodeJS.ProcessEnv) => Promise<Sink> | Sink;

/**
 * A worker Lambda for one sink, wired from the environment: config from CONF_DIR, its own queue
 * from QUEUE_URL_<SINK> (for retry back-off), its DLQ from DLQ_URL_<SINK> (where events the sink
 * refuses for good are parked at once) and the retry timing from the shared topology.
 */
export function createSinkWorker(sinkName: SinkName, factory: SinkFactory, env = process.env): WorkerHandler {
  const settings = sinkQueueSettings(sinkName);
  return createWorkerHandler({
    sinkName,
    sink: async () => factory(await loadConfig(confDir(env), env), env),
    queueUrl: env[queueUrlVariable(sinkName)],
    dlqUrl: env[dlqUrlVariable(sinkName)],
    sqs: new SQSClient({}),
    backoff: { baseSeconds: settings.retryBaseSeconds, maxSeconds: settings.retryMaxSeconds },
  });
}
