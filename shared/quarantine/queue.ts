import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SERVICE_NAME } from '../queue/topology';

/** Environment variable through which the ingest function learns the quarantine queue's URL. */
export const QUARANTINE_QUEUE_URL_VARIABLE = 'QUARANTINE_QUEUE_URL';

/**
 * Quarantined events are kept for the longest time SQS allows: 14 days. The alarm on quarantined
 * events is what makes sure someone looks at them within that time.
 */
export const QUARANTINE_RETENTION_SECONDS = 1_209_600;

/** How long a listing or a replay holds a record before it is visible again to the next one. */
export const QUARANTINE_VISIBILITY_TIMEOUT_SECONDS = 60;

export function quarantineQueueName(stage: string, service = SERVICE_NAME): string {
  return `${service}-${stage}-quarantine`;
}

/** Creates the quarantine queue (idempotent for equal attributes), as the stack does on AWS. */
export async function createQuarantineQueue(sqs: SQSClient, stage: string): Promise<string> {
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: quarantineQueueName(stage),
      Attributes: {
        MessageRetentionPeriod: String(QUARANTINE_RETENTION_SECONDS),
        VisibilityTimeout: String(QUARANTINE_VISIBILITY_TIMEOUT_SECONDS),
      },
    }),
  );
  return created.QueueUrl as string;
}
