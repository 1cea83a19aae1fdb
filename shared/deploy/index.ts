import { sinkQueueSettings, type SinkQueueSettings } from '../queue/topology';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { SinkDashboardWidget, SinkDeployContribution } from '../sinks/definition';
import type { SinkName } from '../sinks/types';
import type { CfnOutput, CfnResources, Json } from './cloudformation';
import { sinkAlarms } from './alarms';
import { dashboard, dashboardName } from './dashboard';
import { DeployParameterError } from './errors';
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
import { READ_FUNCTION_KEY, readFunction, readStatements } from './read-function';

export {
  parseDeployParameters,
  parseSinkList,
  deployParameterNames,
  DeployParameterError,
} from './parameters';
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

/** What each enabled sink's definition adds, refused when the sink cannot be deployed as asked. */
function sinkContributions(
  params: DeployParameters,
  catalog: SinkCatalog,
): Map<SinkName, SinkDeployContribution> {
  const contributions = new Map<SinkName, SinkDeployContribution>();
  for (const sink of params.sinks) {
    const contribution = catalog.get(sink).deploy.contribute({
      params,
      parameter: (name) => params.sinkParameters[name],
    });
    for (const { parameter, reason } of contribution.requiredParameters ?? []) {
      if (params.sinkParameters[parameter] === undefined) {
        throw new DeployParameterError(`the ${sink} sink needs param "${parameter}": ${reason}`);
      }
    }
    if (contribution.vpcAccess) {
      // The functions run outside any VPC today; deploying such a sink would leave it unreachable.
      throw new DeployParameterError(
        `the ${sink} sink needs VPC access, which this deployment does not set up`,
      );
    }
    contributions.set(sink, contribution);
  }
  return contributions;
}

/**
 * Builds everything that depends on the enabled sinks from the queue topology and the sinks'
 * definitions: one place decides what a sink gets, so switching a sink off removes its queue,
 * worker, role, alarms, widgets and whatever its definition contributes.
 */
export function buildDeployment(params: DeployParameters, catalog: SinkCatalog = sinkCatalog): Deployment {
  const settings = enabledTopology(params);
  const contributions = sinkContributions(params, catalog);
  const ingest = ingestFunction(params, contributions);
  const functions: Record<string, ServerlessFunction> = { [INGEST_FUNCTION_KEY]: ingest };
  const resources: CfnResources = {
    [roleLogicalId(INGEST_FUNCTION_KEY)]: functionRole(
      ingest.name,
      ingestStatements(params, contributions),
      params,
    ),
  };
  let outputs: Record<string, CfnOutput> = {};
  const widgets = new Map<SinkName, readonly SinkDashboardWidget[]>();

  for (const sinkSettings of settings) {
    const { sink } = sinkSettings;
    const contribution = contributions.get(sink) as SinkDeployContribution;
    const worker = workerFunction(sinkSettings, contribution, params);
    functions[workerFunctionKey(sink)] = worker;
    Object.assign(
      resources,
      queueResources(sinkSettings, params),
      {
        [roleLogicalId(workerFunctionKey(sink))]: functionRole(
          worker.name,
          workerStatements(sink, contribution),
          params,
        ),
      },
      sinkAlarms(sinkSettings, params),
      contribution.alarms,
    );
    outputs = { ...outputs, ...queueOutputs(sinkSettings) };
    widgets.set(sink, contribution.widgets ?? []);
  }

  // The read API reads what the Postgres sink wrote, so it is deployed with that sink.
  const postgres = contributions.get('postgres');
  if (postgres) {
    const read = readFunction(params, postgres);
    functions[READ_FUNCTION_KEY] = read;
    resources[roleLogicalId(READ_FUNCTION_KEY)] = functionRole(
      read.name,
      readStatements(params, postgres),
      params,
    );
  }

  for (const contribution of contributions.values()) Object.assign(resources, contribution.resources);
  resources[DASHBOARD_LOGICAL_ID] = dashboard(settings, params, widgets);
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
