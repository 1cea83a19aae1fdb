import { getAtt, ref, type CfnOutput, type CfnResources, type Json } from '../deploy/cloudformation';
import { alarm } from '../deploy/alarms';
import type { PolicyStatement } from '../deploy/iam';
import { METRICS_NAMESPACE, metricsServiceName } from '../deploy/names';
import type { DeployParameters } from '../deploy/parameters';
import { QUARANTINED_METRIC } from './keeper';
import {
  QUARANTINE_QUEUE_URL_VARIABLE,
  QUARANTINE_RETENTION_SECONDS,
  QUARANTINE_VISIBILITY_TIMEOUT_SECONDS,
  quarantineQueueName,
} from './queue';

export const QUARANTINE_QUEUE_LOGICAL_ID = 'QuarantineQueue';
export const QUARANTINED_ALARM_LOGICAL_ID = 'QuarantinedEventsAlarm';
export const QUARANTINE_AGE_ALARM_LOGICAL_ID = 'QuarantineAgeAlarm';

/** Alarm when the oldest quarantined event is this old: four days before SQS would drop it. */
export const QUARANTINE_AGE_ALARM_SECONDS = QUARANTINE_RETENTION_SECONDS - 4 * 86_400;

/**
 * The stage's quarantine queue (kept when the stack goes, like the sink queues), an alarm on the
 * number of events quarantined in five minutes, and one before the oldest would expire.
 */
export function quarantineResources(params: DeployParameters): CfnResources {
  const name = quarantineQueueName(params.stage, params.service);
  return {
    [QUARANTINE_QUEUE_LOGICAL_ID]: {
      Type: 'AWS::SQS::Queue',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        QueueName: name,
        MessageRetentionPeriod: QUARANTINE_RETENTION_SECONDS,
        VisibilityTimeout: QUARANTINE_VISIBILITY_TIMEOUT_SECONDS,
        SqsManagedSseEnabled: true,
      },
    },
    [QUARANTINED_ALARM_LOGICAL_ID]: alarm(
      {
        name: `${name}d-events`,
        description:
          `At least ${params.quarantineAlarmThreshold} events were refused and quarantined in 5 minutes: ` +
          'a producer or a schema changed. See them with: eventgate quarantine list',
        namespace: METRICS_NAMESPACE,
        metric: QUARANTINED_METRIC,
        dimensions: [{ Name: 'service', Value: metricsServiceName(params.service, params.stage) }],
        statistic: 'Sum',
        periodMinutes: 5,
        evaluate: [1],
        threshold: params.quarantineAlarmThreshold,
        comparison: 'GreaterThanOrEqualToThreshold',
      },
      params,
    ),
    [QUARANTINE_AGE_ALARM_LOGICAL_ID]: alarm(
      {
        name: `${name}-expiring`,
        description:
          'A quarantined event is 10 days old; SQS drops it at 14. Fix the schema and run ' +
          'eventgate quarantine replay, or export it with eventgate quarantine list --json.',
        namespace: 'AWS/SQS',
        metric: 'ApproximateAgeOfOldestMessage',
        dimensions: [{ Name: 'QueueName', Value: name }],
        statistic: 'Maximum',
        periodMinutes: 5,
        evaluate: [1],
        threshold: QUARANTINE_AGE_ALARM_SECONDS,
      },
      params,
    ),
  };
}

/** The ingest function sends refused events to the quarantine queue. */
export function quarantineStatement(): PolicyStatement {
  return {
    Sid: 'KeepRefusedEvents',
    Effect: 'Allow',
    Action: ['sqs:SendMessage'],
    Resource: [getAtt(QUARANTINE_QUEUE_LOGICAL_ID, 'Arn')],
  };
}

export function quarantineEnvironment(): Record<string, Json> {
  return { [QUARANTINE_QUEUE_URL_VARIABLE]: ref(QUARANTINE_QUEUE_LOGICAL_ID) };
}

export function quarantineOutputs(): Record<string, CfnOutput> {
  return {
    [`${QUARANTINE_QUEUE_LOGICAL_ID}Url`]: {
      Description: 'URL of the quarantine queue',
      Value: ref(QUARANTINE_QUEUE_LOGICAL_ID),
    },
  };
}
