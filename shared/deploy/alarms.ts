import { dlqName, queueName, type SinkQueueSettings } from '../queue/topology';
import type { CfnResources, Json } from './cloudformation';
import { dlqAlarmLogicalId, oldestMessageAlarmLogicalId } from './names';
import type { DeployParameters } from './parameters';

/** Alarm and OK notifications go to the topic when one is given; otherwise the keys are left out. */
function notifications(params: DeployParameters): Record<string, Json> {
  if (params.alarmTopicArn === undefined) return {};
  return { AlarmActions: [params.alarmTopicArn], OKActions: [params.alarmTopicArn] };
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
    [oldestMessageAlarmLogicalId(sink)]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${queue}-oldest-message-age`,
        AlarmDescription:
          `Events wait in the ${sink} queue longer than ${params.oldestMessageAgeAlarmSeconds} s: ` +
          `check the ${sink} worker's errors and the ${sink} destination.`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: queue }],
        Statistic: 'Maximum',
        Period: 60,
        // Two of three minutes: one late datapoint from SQS does not page anyone.
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: params.oldestMessageAgeAlarmSeconds,
        ComparisonOperator: 'GreaterThanThreshold',
        // SQS stops publishing for a queue that has been empty and idle for hours.
        TreatMissingData: 'notBreaching',
        ...notifications(params),
      },
    },
    [dlqAlarmLogicalId(sink)]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${dlq}-not-empty`,
        AlarmDescription:
          `Events gave up on the ${sink} sink after ${settings.maxReceiveCount} attempts. ` +
          `Fix the cause, then run: eventgate replay ${sink}`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: dlq }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...notifications(params),
      },
    },
  };
}
