import { getAtt, ref, type CfnOutput, type CfnResources, type Json } from '../deploy/cloudformation';
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

function notifications(params: DeployParameters): Record<string, Json> {
  if (params.alarmTopicArn === undefined) return {};
  return { AlarmActions: [params.alarmTopicArn], OKActions: [params.alarmTopicArn] };
}

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
    [QUARANTINED_ALARM_LOGICAL_ID]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${name}d-events`,
        AlarmDescription:
          `At least ${params.quarantineAlarmThreshold} events were refused and quarantined in 5 minutes: ` +
          'a producer or a schema changed. See them with: eventgate quarantine list',
        Namespace: METRICS_NAMESPACE,
        MetricName: QUARANTINED_METRIC,
        Dimensions: [{ Name: 'service', Value: metricsServiceName(params.service, params.stage) }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: params.quarantineAlarmThreshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        ...notifications(params),
      },
    },
    [QUARANTINE_AGE_ALARM_LOGICAL_ID]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${name}-expiring`,
        AlarmDescription:
          'A quarantined event is 10 days old; SQS drops it at 14. Fix the schema and run ' +
          'eventgate quarantine replay, or export it with eventgate quarantine list --json.',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: name }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: QUARANTINE_AGE_ALARM_SECONDS,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...notifications(params),
      },
    },
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
