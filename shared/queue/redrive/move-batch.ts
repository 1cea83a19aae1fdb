import {
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  type Message,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { chunkBy } from '../../batching/chunk';
import { describeError, errorName } from '../../errors/describe';
import { SQS_MAX_BATCH_ENTRIES, SQS_MAX_PAYLOAD_BYTES } from '../publisher';
import { copyEntry, entryBytes, isFifoQueueUrl } from './copy';

/** Where a move takes messages from and puts them. */
export interface MoveRoute {
  sourceQueueUrl: string;
  /** A URL ending in `.fifo` gets group and deduplication ids. */
  targetQueueUrl: string;
}

/** A message that did not move. Either way it is still in the source queue. */
export interface MoveFailure {
  message: Message;
  /** `send`: it is only in the source queue. `delete`: it was copied and is in both queues. */
  stage: 'send' | 'delete';
  code: string;
  reason: string;
}

export interface MoveOutcome {
  /** Messages now in the target queue only. */
  moved: number;
  failures: MoveFailure[];
  /** Set when a whole SQS call failed: why the run must stop rather than go on to the next batch. */
  stop?: string;
}

interface PendingCopy {
  message: Message;
  entry: SendMessageBatchRequestEntry;
}

/**
 * Moves received messages in the only order that cannot lose one: send the copies, then delete the
 * originals that were copied, and only those. A crash between the two leaves a message in both
 * queues, which its event id makes harmless downstream. The copies go in as few SendMessageBatch
 * calls as SQS's entry and payload limits allow; once a whole call fails, the rest are not tried.
 */
export async function moveBatch(
  client: SQSClient,
  route: MoveRoute,
  messages: readonly Message[],
): Promise<MoveOutcome> {
  const fifoTarget = isFifoQueueUrl(route.targetQueueUrl);
  const copies = messages.map((message, index) => ({
    message,
    entry: copyEntry(message, `m${index}`, fifoTarget),
  }));
  const calls = chunkBy(copies, {
    maxCount: SQS_MAX_BATCH_ENTRIES,
    maxBytes: SQS_MAX_PAYLOAD_BYTES,
    sizeOf: (copy) => entryBytes(copy.entry),
  });
  const outcome: MoveOutcome = { moved: 0, failures: [] };
  for (const [position, call] of calls.entries()) {
    const sent = await sendCopies(client, route, call, outcome);
    if (outcome.stop === undefined && sent.length > 0) await deleteOriginals(client, route, sent, outcome);
    if (outcome.stop !== undefined) {
      for (const { message } of calls.slice(position + 1).flat())
        outcome.failures.push({
          message,
          stage: 'send',
          code: 'NotSent',
          reason: `not sent: ${outcome.stop}`,
        });
      break;
    }
  }
  return outcome;
}

/** Sends one call's copies; returns the originals SQS took a copy of. */
async function sendCopies(
  client: SQSClient,
  route: MoveRoute,
  copies: readonly PendingCopy[],
  outcome: MoveOutcome,
): Promise<Message[]> {
  const byEntryId = new Map(copies.map((copy) => [copy.entry.Id ?? '', copy.message]));
  try {
    const response = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: route.targetQueueUrl,
        Entries: copies.map((copy) => copy.entry),
      }),
    );
    for (const failure of response.Failed ?? []) {
      const message = byEntryId.get(failure.Id ?? '');
      if (message) {
        outcome.failures.push({
          message,
          stage: 'send',
          code: failure.Code ?? 'Failed',
          reason: failure.Message ?? 'rejected by the target queue',
        });
      }
    }
    return (response.Successful ?? []).flatMap((entry) => {
      const message = byEntryId.get(entry.Id ?? '');
      return message ? [message] : [];
    });
  } catch (error) {
    // The call itself failed: nothing was deleted, so every message is still in the source queue.
    const code = errorName(error);
    const reason = describeError(error);
    for (const { message } of copies) outcome.failures.push({ message, stage: 'send', code, reason });
    outcome.stop = `sending to the queue failed: ${reason}`;
    return [];
  }
}

async function deleteOriginals(
  client: SQSClient,
  route: MoveRoute,
  sent: readonly Message[],
  outcome: MoveOutcome,
): Promise<void> {
  const byEntryId = new Map(sent.map((message, index) => [`d${index}`, message]));
  try {
    const response = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: route.sourceQueueUrl,
        Entries: [...byEntryId].map(([id, message]) => ({
          Id: id,
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }),
    );
    const failedIds = new Set<string>();
    for (const failure of response.Failed ?? []) {
      const message = byEntryId.get(failure.Id ?? '');
      if (!message) continue;
      failedIds.add(failure.Id ?? '');
      outcome.failures.push({
        message,
        stage: 'delete',
        code: failure.Code ?? 'Failed',
        reason: `copied to the queue but not deleted from the DLQ: ${failure.Message ?? ''}`,
      });
    }
    outcome.moved += sent.length - failedIds.size;
  } catch (error) {
    const code = errorName(error);
    const reason = describeError(error);
    for (const message of sent) {
      outcome.failures.push({
        message,
        stage: 'delete',
        code,
        reason: `copied to the queue but not deleted from the DLQ: ${reason}`,
      });
    }
    outcome.stop = `deleting from the DLQ failed: ${reason}`;
  }
}
