import type { SinkName } from '../sinks/types';
import { dlqUrlVariable, queueUrlVariable, type SinkQueueSettings } from '../queue/topology';
import { getAtt, ref, type Json } from './cloudformation';
import { archiveBucketName } from './archive';
import { eventBusArn } from './iam';
import {
  dlqLogicalId,
  functionName,
  INGEST_FUNCTION_KEY,
  METRICS_NAMESPACE,
  metricsServiceName,
  queueLogicalId,
  roleLogicalId,
  workerFunctionKey,
} from './names';
import type { DeployParameters } from './parameters';

/** One entry under serverless.yml's `functions:`. */
export interface ServerlessFunction {
  handler: string;
  name: string;
  description: string;
  /** Logical id of the function's own role in `resources`. */
  role: string;
  timeout: number;
  memorySize: number;
  environment: Record<string, Json>;
  events: Json[];
  tracing?: 'Active';
  /** Files packaged with this function on top of its bundle and conf/. */
  package?: { patterns: string[] };
}

/** The HTTP contract's routes, plus a default route so unknown paths get EventGate's own 404 body. */
const INGEST_ROUTES: ReadonlyArray<readonly [method: string, path: string]> = [
  ['GET', '/api'],
  ['GET', '/docs'],
  ['GET', '/token'],
  ['GET', '/health'],
  ['GET', '/topics'],
  ['GET', '/topics/{topic}'],
  ['POST', '/topics/{topic}'],
  ['POST', '/terminate'],
];

/**
 * /docs serves Swagger UI's assets from the swagger-ui-dist package, found with require.resolve at
 * run time, so those files travel with the ingest bundle.
 */
const SWAGGER_UI_FILES = ['package.json', 'swagger-ui.css', 'swagger-ui-bundle.js'].map(
  (file) => `node_modules/swagger-ui-dist/${file}`,
);

/** Where Lambda unpacks the function: conf/ is packaged next to the bundle. */
const PACKAGED_CONF_DIR = '/var/task/conf';

/** Settings every function reads, set once under `provider.environment`. */
export function commonEnvironment(params: DeployParameters): Record<string, string> {
  return {
    EVENTGATE_STAGE: params.stage,
    EVENTGATE_SINKS: params.sinks.join(','),
    // The sinks sync topics may use: the gateway refuses, at load, a sync topic routed elsewhere.
    EVENTGATE_SYNC_SINKS: params.syncSinks.join(','),
    CONF_DIR: PACKAGED_CONF_DIR,
    POWERTOOLS_SERVICE_NAME: metricsServiceName(params.service, params.stage),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: params.logLevel,
  };
}

/**
 * What a sink needs to find its destination, under the names the config loader reads as overrides
 * of config.json; unset parameters leave the variable out.
 */
export function sinkEnvironment(sink: SinkName, params: DeployParameters): Record<string, Json> {
  switch (sink) {
    case 'kafka':
      return params.kafkaBrokers === undefined ? {} : { KAFKA_BOOTSTRAP_SERVER: params.kafkaBrokers };
    case 'eventbridge':
      return { EVENT_BUS_ARN: eventBusArn(params) };
    case 'postgres':
      if (params.postgresSecretName === undefined) return {};
      return {
        POSTGRES_SECRET_NAME: params.postgresSecretName,
        POSTGRES_SECRET_REGION: params.postgresSecretRegion ?? ref('AWS::Region'),
      };
    case 's3':
      return { ARCHIVE_BUCKET: archiveBucketName(params), ARCHIVE_PREFIX: params.archivePrefix };
  }
}

function ingestEnvironment(params: DeployParameters): Record<string, Json> {
  const environment: Record<string, Json> = {};
  for (const sink of params.sinks) {
    environment[queueUrlVariable(sink)] = ref(queueLogicalId(sink));
    environment[dlqUrlVariable(sink)] = ref(dlqLogicalId(sink));
    Object.assign(environment, sinkEnvironment(sink, params));
  }
  return environment;
}

function tracing(params: DeployParameters): { tracing?: 'Active' } {
  return params.tracing ? { tracing: 'Active' } : {};
}

export function ingestFunction(params: DeployParameters): ServerlessFunction {
  return {
    handler: 'functions/ingest.handler',
    name: functionName(params.service, params.stage, INGEST_FUNCTION_KEY),
    description: 'EventGate HTTP API: validates, authorises and enqueues events',
    role: roleLogicalId(INGEST_FUNCTION_KEY),
    timeout: params.ingestTimeoutSeconds,
    memorySize: params.memorySize,
    environment: ingestEnvironment(params),
    events: [...INGEST_ROUTES.map(([method, path]) => ({ httpApi: { method, path } })), { httpApi: '*' }],
    package: { patterns: SWAGGER_UI_FILES },
    ...tracing(params),
  };
}

export function workerFunction(settings: SinkQueueSettings, params: DeployParameters): ServerlessFunction {
  const { sink } = settings;
  const key = workerFunctionKey(sink);
  return {
    handler: `functions/workers/${sink}.handler`,
    name: functionName(params.service, params.stage, key),
    description: `EventGate ${sink} worker: delivers queued events to ${sink}`,
    role: roleLogicalId(key),
    timeout: settings.workerTimeoutSeconds,
    memorySize: params.memorySize,
    // Its own queue's URL: the worker shortens the visibility timeout of failed messages (back-off).
    // Its DLQ's URL: events the sink refuses for good are parked there at once.
    environment: {
      [queueUrlVariable(sink)]: ref(queueLogicalId(sink)),
      [dlqUrlVariable(sink)]: ref(dlqLogicalId(sink)),
      ...sinkEnvironment(sink, params),
    },
    events: [
      {
        sqs: {
          arn: getAtt(queueLogicalId(sink), 'Arn'),
          batchSize: settings.batchSize,
          maximumBatchingWindow: settings.maximumBatchingWindowSeconds,
          functionResponseType: 'ReportBatchItemFailures',
          maximumConcurrency: settings.maxConcurrency,
        },
      },
    ],
    ...tracing(params),
  };
}
