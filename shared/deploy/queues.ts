import { dlqName, queueName, type SinkQueueSettings } from '../queue/topology';
import { arnPrefix, getAtt, ref, sub, type CfnOutput, type CfnResources, type Json } from './cloudformation';
import { dlqLogicalId, queueLogicalId } from './names';
import type { DeployParameters } from './parameters';

/**
 * The queue's ARN spelled out rather than taken with GetAtt: the DLQ's RedriveAllowPolicy names its
 * source queue while the queue's RedrivePolicy names the DLQ, and GetAtt both ways would be a cycle.
 */
export function queueArn(settings: SinkQueueSettings, params: DeployParameters): Json {
  return sub(`${arnPrefix('sqs')}${queueName(settings.sink, params.stage, params.service)}`);
}

/** One sink's queue and dead-letter queue, both encrypted with SQS-managed keys. */
export function queueResources(settings: SinkQueueSettings, params: DeployParameters): CfnResources {
  const { sink } = settings;
  return {
    [queueLogicalId(sink)]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: queueName(sink, params.stage, params.service),
        VisibilityTimeout: settings.visibilityTimeoutSeconds,
        MessageRetentionPeriod: settings.queueRetentionSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(dlqLogicalId(sink), 'Arn'),
          maxReceiveCount: settings.maxReceiveCount,
        },
      },
    },
    [dlqLogicalId(sink)]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: dlqName(sink, params.stage, params.service),
        MessageRetentionPeriod: settings.dlqRetentionSeconds,
        SqsManagedSseEnabled: true,
        // Only this sink's queue may dead-letter into it, so a misconfigured queue cannot mix in.
        RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [queueArn(settings, params)] },
      },
    },
  };
}

export function queueOutputs(settings: SinkQueueSettings): Record<string, CfnOutput> {
  const { sink } = settings;
  return {
    [`${queueLogicalId(sink)}Url`]: {
      Description: `URL of the ${sink} queue`,
      Value: ref(queueLogicalId(sink)),
    },
    [`${dlqLogicalId(sink)}Url`]: {
      Description: `URL of the ${sink} dead-letter queue`,
      Value: ref(dlqLogicalId(sink)),
    },
  };
}
