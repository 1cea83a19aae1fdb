import { sinkQueueSettings, type SinkQueueSettings } from '../queue/topology';
import type { CfnOutput, CfnResources, Json } from './cloudformation';
import { sinkAlarms } from './alarms';
import { archiveBucketResources } from './archive';
import { dashboard, dashboardName } from './dashboard';
import { commonEnvironment, ingestFunction, workerFunction, type ServerlessFunction } from './functions';
import { functionRole, ingestStatements, workerStatements } from './iam';
import {
  DASHBOARD_LOGICAL_ID,
  HTTP_API_STAGE_LOGICAL_ID,
  INGEST_FUNCTION_KEY,
  roleLogicalId,
  workerFunctionKey,
} from './names';
import type { DeployParameters } from './parameters';
import { queueOutputs, queueResources } from './queues';
import {
  quarantineEnvironment,
  quarantineOutputs,
  quarantineResources,
  quarantineStatement,
} from '../quarantine/deploy';

export { parseDeployParameters, parseSinkList, DeployParameterError } from './parameters';
export type { DeployParameters, RawParameters } from './parameters';
export type { ServerlessFunction } from './functions';

/** What serverless.yml pulls in: the functions map, the stack's own resources and shared settings. */
export interface Deployment {
  functions: Record<string, ServerlessFunction>;
  resources: {
    Resources: CfnResources;
    Outputs: Record<string, CfnOutput>;
    /** Merged into resources Serverless generates itself. */
    extensions: Record<string, { Properties: Record<string, Json> }>;
  };
  environment: Record<string, string>;
  logRetentionInDays: number;
}

/** The per-sink settings of the enabled sinks, from shared/queue/topology.json. */
export function enabledTopology(params: DeployParameters): SinkQueueSettings[] {
  return params.sinks.map(sinkQueueSettings);
}

/**
 * Builds everything that depends on the enabled sinks from the queue topology: one place decides
 * what a sink gets, so switching a sink off removes its queue, worker, role, alarms and widgets.
 */
export function buildDeployment(params: DeployParameters): Deployment {
  const settings = enabledTopology(params);
  const built = ingestFunction(params);
  const ingest = { ...built, environment: { ...built.environment, ...quarantineEnvironment() } };
  const functions: Record<string, ServerlessFunction> = { [INGEST_FUNCTION_KEY]: ingest };
  const resources: CfnResources = {
    [roleLogicalId(INGEST_FUNCTION_KEY)]: functionRole(
      ingest.name,
      [...ingestStatements(params), quarantineStatement()],
      params,
    ),
    ...quarantineResources(params),
  };
  let outputs: Record<string, CfnOutput> = quarantineOutputs();

  for (const sinkSettings of settings) {
    const { sink } = sinkSettings;
    const worker = workerFunction(sinkSettings, params);
    functions[workerFunctionKey(sink)] = worker;
    Object.assign(
      resources,
      queueResources(sinkSettings, params),
      {
        [roleLogicalId(workerFunctionKey(sink))]: functionRole(
          worker.name,
          workerStatements(sink, params),
          params,
        ),
      },
      sinkAlarms(sinkSettings, params),
    );
    outputs = { ...outputs, ...queueOutputs(sinkSettings) };
  }

  Object.assign(resources, archiveBucketResources(params), {
    [DASHBOARD_LOGICAL_ID]: dashboard(settings, params),
  });
  outputs.DashboardName = { Description: 'CloudWatch dashboard of this stage', Value: dashboardName(params) };

  return {
    functions,
    resources: {
      Resources: resources,
      Outputs: outputs,
      extensions: {
        [HTTP_API_STAGE_LOGICAL_ID]: {
          Properties: {
            DefaultRouteSettings: {
              DetailedMetricsEnabled: false,
              ThrottlingBurstLimit: params.apiThrottleBurst,
              ThrottlingRateLimit: params.apiThrottleRate,
            },
          },
        },
      },
    },
    environment: commonEnvironment(params),
    logRetentionInDays: params.logRetentionDays,
  };
}
