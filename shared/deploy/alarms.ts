import { dlqName, queueName, type SinkQueueSettings } from '../queue/topology';
import type { CfnResource, CfnResources, Json } from './cloudformation';
import { ref } from './cloudformation';
import {
  dlqAlarmLogicalId,
  functionName,
  HTTP_API_LOGICAL_ID,
  INGEST_FUNCTION_KEY,
  METRICS_NAMESPACE,
  metricsServiceName,
  oldestMessageAlarmLogicalId,
  workerFunctionKey,
} from './names';
import type { DeployParameters } from './parameters';

/** Alarm and OK notifications go to the topic when one is given; otherwise the keys are left out. */
function notifications(params: DeployParameters): Record<string, Json> {
  if (params.alarmTopicArn === undefined) return {};
  return { AlarmActions: [params.alarmTopicArn], OKActions: [params.alarmTopicArn] };
}

/**
 * Events a worker tried and could not deliver, per sink (shared/queue/worker.ts publishes it under
 * the `service` and `sink` dimensions).
 */
export const FAILED_EVENTS_METRIC = 'FailedEvents';

export interface AlarmSpec {
  name: string;
  description: string;
  namespace: string;
  metric: string;
  dimensions: Array<{ Name: string; Value: Json }>;
  statistic: 'Sum' | 'Maximum';
  threshold: number;
  /** Minutes per period. */
  periodMinutes: number;
  /**
   * Periods looked at, and how many of them must breach; without the second number the template
   * leaves DatapointsToAlarm out, which CloudWatch reads as all of them.
   */
  evaluate: [periods: number, breaching?: number];
  /** Whether reaching the threshold raises the alarm or only passing it does (the default). */
  comparison?: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
}

/** Silence is no news: a metric with no datapoints (nothing happened) never raises these alarms. */
export function alarm(spec: AlarmSpec, params: DeployParameters): CfnResource {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: spec.name,
      AlarmDescription: spec.description,
      Namespace: spec.namespace,
      MetricName: spec.metric,
      Dimensions: spec.dimensions,
      Statistic: spec.statistic,
      Period: spec.periodMinutes * 60,
      EvaluationPeriods: spec.evaluate[0],
      ...(spec.evaluate[1] === undefined ? {} : { DatapointsToAlarm: spec.evaluate[1] }),
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison ?? 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ...notifications(params),
    },
  };
}

function lambdaAlarm(
  fn: string,
  metric: 'Errors' | 'Throttles',
  description: string,
  params: DeployParameters,
): CfnResource {
  return alarm(
    {
      name: `${fn}-${metric.toLowerCase()}`,
      description,
      namespace: 'AWS/Lambda',
      metric,
      dimensions: [{ Name: 'FunctionName', Value: fn }],
      statistic: 'Sum',
      threshold: 0,
      periodMinutes: 5,
      evaluate: [1, 1],
    },
    params,
  );
}

/**
 * Alarms on what a sink's delivery does, beyond its queue's age and its DLQ: events the worker
 * failed (a partial-batch failure keeps Lambda's own Errors at zero during an outage), the worker
 * throttled, and a growing number of messages in flight — which is where events waiting out their
 * back-off are, invisible to the oldest-message age.
 */
export function deliveryAlarms(settings: SinkQueueSettings, params: DeployParameters): CfnResources {
  const { sink } = settings;
  const worker = functionName(params.service, params.stage, workerFunctionKey(sink));
  const queue = queueName(sink, params.stage, params.service);
  const id = sink.charAt(0).toUpperCase() + sink.slice(1);
  return {
    [`${id}FailedEventsAlarm`]: alarm(
      {
        name: `${worker}-failed-events`,
        description:
          `The ${sink} worker could not deliver events for 3 of the last 5 minutes; they are retried with ` +
          `back-off. Check the ${sink} destination and the worker's logs.`,
        namespace: METRICS_NAMESPACE,
        metric: FAILED_EVENTS_METRIC,
        dimensions: [
          { Name: 'service', Value: metricsServiceName(params.service, params.stage) },
          { Name: 'sink', Value: sink },
        ],
        statistic: 'Sum',
        threshold: 0,
        periodMinutes: 1,
        evaluate: [5, 3],
      },
      params,
    ),
    [`${id}WorkerThrottlesAlarm`]: lambdaAlarm(
      worker,
      'Throttles',
      `The ${sink} worker was throttled: raise the account's concurrency or lower the queue's maxConcurrency.`,
      params,
    ),
    [`${id}InFlightAlarm`]: alarm(
      {
        name: `${queue}-in-flight`,
        description:
          `More than ${params.inFlightAlarmThreshold} events of the ${sink} queue are in flight for 15 minutes: ` +
          `being retried with back-off or held by slow workers. Check the ${sink} worker's errors.`,
        namespace: 'AWS/SQS',
        metric: 'ApproximateNumberOfMessagesNotVisible',
        dimensions: [{ Name: 'QueueName', Value: queue }],
        statistic: 'Maximum',
        threshold: params.inFlightAlarmThreshold,
        periodMinutes: 5,
        evaluate: [3, 3],
      },
      params,
    ),
  };
}

/** The front door: producers see 5xx, the ingest function fails or is throttled. */
export function ingestAlarms(params: DeployParameters): CfnResources {
  const ingest = functionName(params.service, params.stage, INGEST_FUNCTION_KEY);
  return {
    IngestErrorsAlarm: lambdaAlarm(
      ingest,
      'Errors',
      'The ingest function failed (crashed or timed out): producers got errors. Check its logs.',
      params,
    ),
    IngestThrottlesAlarm: lambdaAlarm(
      ingest,
      'Throttles',
      'The ingest function was throttled: producers got 503/429. Raise its concurrency or the account limit.',
      params,
    ),
    Ingest5xxAlarm: alarm(
      {
        name: `${params.service}-${params.stage}-api-5xx`,
        description:
          'Producers received 5xx answers (an enqueue or a sync sink failed, or the function failed). ' +
          'Check the ingest logs for "delivery failed" and the sinks\' health.',
        namespace: 'AWS/ApiGateway',
        metric: '5xx',
        dimensions: [{ Name: 'ApiId', Value: ref(HTTP_API_LOGICAL_ID) }],
        statistic: 'Sum',
        threshold: 0,
        periodMinutes: 5,
        evaluate: [1, 1],
      },
      params,
    ),
  };
}

/**
 * Two alarms per sink: the queue's oldest message is older than the threshold (the worker is down,
 * failing or too slow), and the dead-letter queue holds anything at all (events need a replay).
 */
export function sinkAlarms(settings: SinkQueueSettings, params: DeployParameters): CfnResources {
  const { sink } = settings;
  const queue = queueName(sink, params.stage, params.service);
  const dlq = dlqName(sink, params.stage, params.service);
  return {
    [oldestMessageAlarmLogicalId(sink)]: alarm(
      {
        name: `${queue}-oldest-message-age`,
        description:
          `Events wait in the ${sink} queue longer than ${params.oldestMessageAgeAlarmSeconds} s: ` +
          `check the ${sink} worker's errors and the ${sink} destination.`,
        namespace: 'AWS/SQS',
        metric: 'ApproximateAgeOfOldestMessage',
        dimensions: [{ Name: 'QueueName', Value: queue }],
        statistic: 'Maximum',
        threshold: params.oldestMessageAgeAlarmSeconds,
        periodMinutes: 1,
        // Two of three minutes: one late datapoint from SQS does not page anyone. SQS stops
        // publishing for a queue that has been empty and idle for hours, which alarm() treats as
        // not breaching.
        evaluate: [3, 2],
      },
      params,
    ),
    [dlqAlarmLogicalId(sink)]: alarm(
      {
        name: `${dlq}-not-empty`,
        description:
          `Events gave up on the ${sink} sink after ${settings.maxReceiveCount} attempts. ` +
          `Fix the cause, then run: eventgate replay ${sink}`,
        namespace: 'AWS/SQS',
        metric: 'ApproximateNumberOfMessagesVisible',
        dimensions: [{ Name: 'QueueName', Value: dlq }],
        statistic: 'Maximum',
        threshold: 0,
        periodMinutes: 1,
        evaluate: [1],
      },
      params,
    ),
  };
}
