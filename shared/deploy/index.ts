import { sinkQueueSettings, topologyProblems, type SinkQueueSettings } from '../queue/topology';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { SinkDashboardWidget, SinkDeployContribution } from '../sinks/definition';
import type { SinkName } from '../sinks/types';
import type { CfnOutput, CfnResources, Json } from './cloudformation';
import { deliveryAlarms, ingestAlarms, sinkAlarms } from './alarms';
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
import { applyOverrides, parseOverrides, type ResourceOverrides } from './overrides';
import { queueOutputs, queueResources } from './queues';
import { READ_FUNCTION_KEY, readFunction, readStatements } from './read-function';
import {
  quarantineEnvironment,
  quarantineOutputs,
  quarantineResources,
  quarantineStatement,
} from '../quarantine/deploy';

export {
  parseDeployParameters,
  parseSinkList,
  deployParameterNames,
  DeployParameterError,
} from './parameters';
export type { DeployParameters, RawParameters } from './parameters';
export { parseOverrides };
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
export function enabledTopology(
  params: DeployParameters,
  settingsOf: (sink: SinkName) => SinkQueueSettings = sinkQueueSettings,
): SinkQueueSettings[] {
  const settings = params.sinks.map(settingsOf);
  const problems = settings.flatMap(topologyProblems);
  if (problems.length > 0) {
    throw new DeployParameterError(`shared/queue/topology.json cannot be deployed: ${problems.join('; ')}`);
  }
  return settings;
}

/**
 * What each enabled sink's definition adds. A sink that could not deliver as deployed (a missing
 * broker list, a missing secret) is refused here, every missing parameter named in one message,
 * rather than deployed to fill its DLQ.
 */
function sinkContributions(
  params: DeployParameters,
  catalog: SinkCatalog,
): Map<SinkName, SinkDeployContribution> {
  const contributions = new Map<SinkName, SinkDeployContribution>();
  const missing: string[] = [];
  for (const sink of params.sinks) {
    const contribution = catalog.get(sink).deploy.contribute({
      params,
      parameter: (name) => params.sinkParameters[name],
    });
    for (const { parameter, reason } of contribution.requiredParameters ?? []) {
      if (params.sinkParameters[parameter] === undefined)
        missing.push(`--param="${parameter}=…" (${sink}: ${reason})`);
    }
    contributions.set(sink, contribution);
  }
  if (missing.length > 0) {
    throw new DeployParameterError(
      `these sinks cannot deliver without their settings; set ${missing.join('; ')}, or leave the sink out of "sinks"`,
    );
  }
  return contributions;
}

/**
 * Builds everything that depends on the enabled sinks from the queue topology and the sinks'
 * definitions: one place decides what a sink gets, so switching a sink off removes its queue,
 * worker, role, alarms, widgets and whatever its definition contributes.
 */
export function buildDeployment(
  params: DeployParameters,
  catalog: SinkCatalog = sinkCatalog,
  overrides: ResourceOverrides = {},
): Deployment {
  const settings = enabledTopology(params);
  const contributions = sinkContributions(params, catalog);
  const built = ingestFunction(params, contributions);
  const ingest = { ...built, environment: { ...built.environment, ...quarantineEnvironment() } };
  const functions: Record<string, ServerlessFunction> = { [INGEST_FUNCTION_KEY]: ingest };
  const resources: CfnResources = {
    [roleLogicalId(INGEST_FUNCTION_KEY)]: functionRole(
      ingest.name,
      [...ingestStatements(params, contributions), quarantineStatement()],
      params,
      { inVpc: ingest.vpc !== undefined },
    ),
    ...quarantineResources(params),
  };
  let outputs: Record<string, CfnOutput> = quarantineOutputs();
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
          workerStatements(sink, contribution, params),
          params,
          { inVpc: worker.vpc !== undefined },
        ),
      },
      sinkAlarms(sinkSettings, params),
      deliveryAlarms(sinkSettings, params),
      contribution.alarms,
    );
    outputs = { ...outputs, ...queueOutputs(sinkSettings) };
    widgets.set(sink, contribution.widgets ?? []);
  }

  // The read API reads what one sink stored, so it is deployed with that sink, and only with it.
  const readSource = catalog.readSource && contributions.get(catalog.readSource.name);
  if (readSource) {
    const read = readFunction(params, readSource);
    functions[READ_FUNCTION_KEY] = read;
    resources[roleLogicalId(READ_FUNCTION_KEY)] = functionRole(
      read.name,
      readStatements(params, readSource),
      params,
    );
  }

  for (const contribution of contributions.values()) Object.assign(resources, contribution.resources);
  Object.assign(resources, ingestAlarms(params));
  resources[DASHBOARD_LOGICAL_ID] = dashboard(settings, params, widgets);
  outputs.DashboardName = { Description: 'CloudWatch dashboard of this stage', Value: dashboardName(params) };

  const extensions: Deployment['resources']['extensions'] = {
    [HTTP_API_STAGE_LOGICAL_ID]: {
      Properties: {
        DefaultRouteSettings: {
          DetailedMetricsEnabled: false,
          ThrottlingBurstLimit: params.apiThrottleBurst,
          ThrottlingRateLimit: params.apiThrottleRate,
        },
      },
    },
  };
  applyOverrides(resources, extensions, overrides);

  return {
    functions,
    resources: { Resources: resources, Outputs: outputs, extensions },
    environment: commonEnvironment(params),
    logRetentionInDays: params.logRetentionDays,
  };
}
