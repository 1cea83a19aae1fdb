import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/*
 * `replay --native`: SQS moves the whole DLQ itself (StartMessageMoveTask), inside AWS, with no
 * filter and no per-message report; this side only starts the task and reads its status.
 */

export interface NativeMoveTask {
  taskHandle: string;
  sourceArn: string;
  destinationArn: string;
}

export interface NativeMoveStatus {
  status: string;
  moved: number;
  toMove?: number;
  failureReason?: string;
}

/** A queue's ARN, which the move task API takes instead of URLs. */
export async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const response = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = response.Attributes?.QueueArn;
  if (!arn) throw new Error(`no ARN reported for ${queueUrl}`);
  return arn;
}

/** Hands the whole move to SQS; it runs inside AWS until the DLQ is empty. */
export async function startNativeRedrive(
  client: SQSClient,
  options: { sourceQueueUrl: string; targetQueueUrl: string; ratePerSecond?: number },
): Promise<NativeMoveTask> {
  const sourceArn = await queueArn(client, options.sourceQueueUrl);
  const destinationArn = await queueArn(client, options.targetQueueUrl);
  const response = await client.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      DestinationArn: destinationArn,
      ...(options.ratePerSecond !== undefined
        ? { MaxNumberOfMessagesPerSecond: Math.floor(options.ratePerSecond) }
        : {}),
    }),
  );
  if (!response.TaskHandle) throw new Error('SQS did not return a task handle');
  return { taskHandle: response.TaskHandle, sourceArn, destinationArn };
}

/** The newest move task of a source queue, as SQS reports it. */
export async function nativeRedriveStatus(
  client: SQSClient,
  sourceArn: string,
): Promise<NativeMoveStatus | undefined> {
  const response = await client.send(
    new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }),
  );
  const task = response.Results?.[0];
  if (!task) return undefined;
  const status: NativeMoveStatus = {
    status: task.Status ?? 'UNKNOWN',
    moved: task.ApproximateNumberOfMessagesMoved ?? 0,
  };
  if (task.ApproximateNumberOfMessagesToMove !== undefined)
    status.toMove = task.ApproximateNumberOfMessagesToMove;
  if (task.FailureReason !== undefined) status.failureReason = task.FailureReason;
  return status;
}
