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

/** SQS-managed keys, or the deployment's own KMS key (reused for an hour before SQS asks again). */
function encryption(params: DeployParameters): Record<string, Json> {
  if (params.kmsKeyArn === undefined) return { SqsManagedSseEnabled: true };
  return { KmsMasterKeyId: params.kmsKeyArn, KmsDataKeyReusePeriodSeconds: 3600 };
}

/**
 * Accepted events live in these queues until delivered: removing a sink, renaming a resource or
 * deleting the stack must never delete them with their messages. CloudFormation leaves retained
 * queues behind; the README says how to remove them on purpose.
 */
const RETAINED = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' } as const;

/** One sink's queue and dead-letter queue, both encrypted, both retained. */
export function queueResources(settings: SinkQueueSettings, params: DeployParameters): CfnResources {
  const { sink } = settings;
  return {
    [queueLogicalId(sink)]: {
      Type: 'AWS::SQS::Queue',
      ...RETAINED,
      Properties: {
        QueueName: queueName(sink, params.stage, params.service),
        VisibilityTimeout: settings.visibilityTimeoutSeconds,
        MessageRetentionPeriod: settings.queueRetentionSeconds,
        ...encryption(params),
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(dlqLogicalId(sink), 'Arn'),
          maxReceiveCount: settings.maxReceiveCount,
        },
      },
    },
    [dlqLogicalId(sink)]: {
      Type: 'AWS::SQS::Queue',
      ...RETAINED,
      Properties: {
        QueueName: dlqName(sink, params.stage, params.service),
        MessageRetentionPeriod: settings.dlqRetentionSeconds,
        ...encryption(params),
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
