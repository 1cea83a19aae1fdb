import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { dlqName, queueName, type SinkQueueSettings } from '../queue/topology';
import type { SinkName } from '../sinks/types';

export interface SinkQueues {
  sink: SinkName;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  settings: SinkQueueSettings;
}

/**
 * Creates a sink's DLQ and queue with the same redrive policy, visibility timeout and retention
 * the CloudFormation template gives them. CreateQueue is idempotent for equal attributes.
 */
export async function createSinkQueues(
  sqs: SQSClient,
  settings: SinkQueueSettings,
  stage: string,
): Promise<SinkQueues> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: dlqName(settings.sink, stage),
      Attributes: { MessageRetentionPeriod: String(settings.dlqRetentionSeconds) },
    }),
  );
  const dlqUrl = dlq.QueueUrl as string;
  const dlqAttributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: queueName(settings.sink, stage),
      Attributes: {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(settings.queueRetentionSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn,
          maxReceiveCount: settings.maxReceiveCount,
        }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl as string;
  const queueAttributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return {
    sink: settings.sink,
    queueUrl,
    queueArn: queueAttributes.Attributes?.QueueArn ?? '',
    dlqUrl,
    settings,
  };
}
