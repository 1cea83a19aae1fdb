import type { SinkName } from '../sinks/types';

/**
 * Logical ids and physical names shared by the resource builders, so that a queue, the role that may
 * read it and the dashboard that charts it always agree.
 */

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export const INGEST_FUNCTION_KEY = 'ingest';

/** Key under `functions:`; Serverless derives `<Key>LambdaFunction` and `<Key>LogGroup` from it. */
export function workerFunctionKey(sink: SinkName): string {
  return `${sink}Worker`;
}

export function functionName(service: string, stage: string, functionKey: string): string {
  const suffix = functionKey === INGEST_FUNCTION_KEY ? 'ingest' : functionKey.replace(/Worker$/, '-worker');
  return `${service}-${stage}-${suffix}`;
}

export function workerFunctionName(service: string, stage: string, sink: SinkName): string {
  return functionName(service, stage, workerFunctionKey(sink));
}

export function queueLogicalId(sink: SinkName): string {
  return `${capitalize(sink)}Queue`;
}

export function dlqLogicalId(sink: SinkName): string {
  return `${capitalize(sink)}DeadLetterQueue`;
}

export function roleLogicalId(functionKey: string): string {
  return `${capitalize(functionKey)}Role`;
}

export function oldestMessageAlarmLogicalId(sink: SinkName): string {
  return `${capitalize(sink)}OldestMessageAgeAlarm`;
}

export function dlqAlarmLogicalId(sink: SinkName): string {
  return `${capitalize(sink)}DeadLetterQueueAlarm`;
}

export const DASHBOARD_LOGICAL_ID = 'Dashboard';
/** Created by Serverless for the `httpApi` events. */
export const HTTP_API_LOGICAL_ID = 'HttpApi';
export const HTTP_API_STAGE_LOGICAL_ID = 'HttpApiStage';

/** Value of the `service` dimension of EventGate's own metrics (Powertools' POWERTOOLS_SERVICE_NAME). */
export function metricsServiceName(service: string, stage: string): string {
  return `${service}-${stage}`;
}

export const METRICS_NAMESPACE = 'EventGate';
export const DELIVERY_LAG_METRIC = 'DeliveryLag';
