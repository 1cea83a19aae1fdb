import type { SinkDeployContribution } from '../sinks/definition';
import type { SinkName } from '../sinks/types';
import { dlqUrlVariable, queueUrlVariable, type SinkQueueSettings } from '../queue/topology';
import { getAtt, ref, type Json } from './cloudformation';
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
  /** Subnets and security groups, for a function that must reach private endpoints. */
  vpc?: { subnetIds: string[]; securityGroupIds: string[] };
  /** Files packaged with this function on top of its bundle and conf/. */
  package?: { patterns: string[] };
}

/** The HTTP contract's routes, plus a default route so unknown paths get EventGate's own 404 body. */
const INGEST_ROUTES: ReadonlyArray<readonly [method: string, path: string]> = [
  ['GET', '/api'],
  ['GET', '/docs'],
  ['GET', '/token'],
  ['POST', '/token'],
  ['GET', '/.well-known/jwks.json'],
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

/**
 * Node.js options for every function: a 32 MB young generation instead of V8's default. A batch
 * keeps its events' objects alive until it is answered, so with the default semi-space many of them
 * outlive a scavenge and are copied to the old generation; measured on the ingest handler, batches
 * of 100 cost 10 % less CPU per event (19.2 → 17.4 µs), a new token per request 3 % less. The bench
 * runs the ingest handler with the same option (package.json `bench`; a test holds them equal).
 */
export const LAMBDA_NODE_OPTIONS = '--max-semi-space-size=32';

/** Settings every function reads, set once under `provider.environment`. */
export function commonEnvironment(params: DeployParameters): Record<string, string> {
  return {
    NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
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

/** Deploy parameters that replace settings of the packaged config.json (see shared/config/load.ts). */
const GATEWAY_CONFIG_VARIABLES: ReadonlyArray<[keyof DeployParameters['gatewayConfig'], string]> = [
  ['tokenPublicKeysUrl', 'TOKEN_PUBLIC_KEYS_URL'],
  ['tokenIssuer', 'TOKEN_ISSUER'],
  ['tokenAudience', 'TOKEN_AUDIENCE'],
  ['accessConfig', 'ACCESS_CONFIG'],
  ['topicSchemas', 'TOPIC_SCHEMAS'],
];

function ingestEnvironment(
  params: DeployParameters,
  contributions: ReadonlyMap<SinkName, SinkDeployContribution>,
): Record<string, Json> {
  const environment: Record<string, Json> = {};
  for (const [parameter, variable] of GATEWAY_CONFIG_VARIABLES) {
    const value = params.gatewayConfig[parameter];
    if (value !== undefined) environment[variable] = value;
  }
  for (const sink of params.sinks) {
    environment[queueUrlVariable(sink)] = ref(queueLogicalId(sink));
    environment[dlqUrlVariable(sink)] = ref(dlqLogicalId(sink));
    Object.assign(environment, contributions.get(sink)?.environment);
  }
  return environment;
}

function tracing(params: DeployParameters): { tracing?: 'Active' } {
  return params.tracing ? { tracing: 'Active' } : {};
}

/** Whether a function writing to these sinks must run inside the deployment's VPC. */
export function needsVpc(
  params: DeployParameters,
  sinks: readonly SinkName[],
  contributions: ReadonlyMap<SinkName, SinkDeployContribution>,
): boolean {
  return params.vpc !== undefined && sinks.some((sink) => contributions.get(sink)?.vpcAccess === true);
}

function inVpc(
  params: DeployParameters,
  sinks: readonly SinkName[],
  contributions: ReadonlyMap<SinkName, SinkDeployContribution>,
): { vpc?: ServerlessFunction['vpc'] } {
  return params.vpc !== undefined && needsVpc(params, sinks, contributions) ? { vpc: params.vpc } : {};
}

export function ingestFunction(
  params: DeployParameters,
  contributions: ReadonlyMap<SinkName, SinkDeployContribution>,
): ServerlessFunction {
  return {
    handler: 'functions/ingest.handler',
    name: functionName(params.service, params.stage, INGEST_FUNCTION_KEY),
    description: 'EventGate HTTP API: validates, authorises and enqueues events',
    role: roleLogicalId(INGEST_FUNCTION_KEY),
    timeout: params.ingestTimeoutSeconds,
    memorySize: params.memorySize,
    environment: ingestEnvironment(params, contributions),
    events: [...INGEST_ROUTES.map(([method, path]) => ({ httpApi: { method, path } })), { httpApi: '*' }],
    package: { patterns: SWAGGER_UI_FILES },
    ...tracing(params),
    // Only when a sync topic writes to a sink behind the VPC: otherwise the front door stays out of it.
    ...inVpc(params, params.syncSinks, contributions),
  };
}

export function workerFunction(
  settings: SinkQueueSettings,
  contribution: SinkDeployContribution,
  params: DeployParameters,
): ServerlessFunction {
  const { sink } = settings;
  const key = workerFunctionKey(sink);
  return {
    handler: `functions/workers/${sink}.handler`,
    name: functionName(params.service, params.stage, key),
    description: `EventGate ${sink} worker: delivers queued events to ${sink}`,
    role: roleLogicalId(key),
    timeout: settings.workerTimeoutSeconds,
    memorySize: params.memorySize,
    // Its own queue's URL: the worker shortens the visibility timeout of failed messages (back-off);
    // its DLQ's: events the sink refuses for good are parked there at once.
    environment: {
      [queueUrlVariable(sink)]: ref(queueLogicalId(sink)),
      [dlqUrlVariable(sink)]: ref(dlqLogicalId(sink)),
      ...contribution.environment,
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
    ...inVpc(params, [sink], new Map([[sink, contribution]])),
  };
}
