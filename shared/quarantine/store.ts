import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { locateQueues, QueueLookupError, type LocateOptions, type SinkQueues } from '../cli/queues';
import { SERVICE_NAME } from '../queue/topology';
import { quarantineMessageBody } from './keeper';
import { QUARANTINE_VISIBILITY_TIMEOUT_SECONDS, quarantineQueueName } from './queue';
import { parseQuarantineRecord, type QuarantineRecord } from './record';
import { describeError } from '../errors/describe';

/** The stage the local runtime names its queues with. */
const LOCAL_STAGE = 'local';

/** One quarantine message as read: its record, or why it could not be read. */
export type HeldRecord = { receiptHandle: string; messageId: string } & (
  { record: QuarantineRecord } | { record: null; problem: string }
);

export interface QuarantineLocation {
  client: SQSClient;
  queueUrl: string;
  where: string;
  /** The sink queues of the same deployment, which replayed events are delivered through. */
  sinks: SinkQueues[];
}

/** Finds the quarantine queue (and the sink queues) of a stage, or of the local runtime. */
export async function locateQuarantine(options: LocateOptions): Promise<QuarantineLocation> {
  const location = await locateQueues(options);
  const stage = options.local ? LOCAL_STAGE : (options.stage ?? 'dev');
  const name = quarantineQueueName(stage, options.service ?? SERVICE_NAME);
  try {
    const found = await location.client.send(new GetQueueUrlCommand({ QueueName: name }));
    return {
      client: location.client,
      queueUrl: found.QueueUrl as string,
      where: location.where,
      sinks: location.sinks,
    };
  } catch (error) {
    const code = (error as { name?: string }).name ?? '';
    if (/NonExistent|NotFound/i.test(code)) {
      throw new QueueLookupError(`${location.where} has no quarantine queue ${name}`);
    }
    throw error;
  }
}

export interface ReadOptions {
  /** Stop after this many messages, so a huge quarantine is read in parts. */
  limit: number;
  /**
   * Read without hiding: each message stays visible to other readers (a listing changes nothing,
   * and needs no release, which not every SQS-compatible server honours).
   */
  peek?: boolean;
}

/** A peek stops after this many answers in a row that bring no message it has not seen. */
const PEEK_ROUNDS_WITHOUT_NEWS = 3;

/**
 * Receives the messages of the quarantine queue (up to `limit`). Held (not peeked) messages are
 * hidden from other readers until deleted, released, or their visibility timeout passes. Long
 * polls of a second make SQS ask all of its hosts; messages are told apart by id, so one seen
 * twice is counted once.
 */
export async function holdQuarantine(
  location: QuarantineLocation,
  options: ReadOptions,
): Promise<HeldRecord[]> {
  const held = new Map<string, HeldRecord>();
  let roundsWithoutNews = 0;
  while (held.size < options.limit) {
    const answer = await location.client.send(
      new ReceiveMessageCommand({
        QueueUrl: location.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: options.peek ? 0 : QUARANTINE_VISIBILITY_TIMEOUT_SECONDS,
      }),
    );
    const fresh = (answer.Messages ?? []).filter((message) => !held.has(message.MessageId as string));
    if (fresh.length === 0) {
      roundsWithoutNews += 1;
      if (
        !options.peek ||
        roundsWithoutNews >= PEEK_ROUNDS_WITHOUT_NEWS ||
        (answer.Messages ?? []).length === 0
      )
        break;
      continue;
    }
    roundsWithoutNews = 0;
    for (const message of fresh.slice(0, options.limit - held.size)) {
      const base = { receiptHandle: message.ReceiptHandle as string, messageId: message.MessageId as string };
      try {
        held.set(base.messageId, { ...base, record: parseQuarantineRecord(message.Body ?? '') });
      } catch (error) {
        held.set(base.messageId, { ...base, record: null, problem: describeError(error) });
      }
    }
  }
  return [...held.values()];
}

/**
 * Makes held messages visible again at once, for the next listing or replay. Best effort: a message
 * whose release fails is visible again when its visibility timeout passes.
 */
export async function releaseHeld(location: QuarantineLocation, held: readonly HeldRecord[]): Promise<void> {
  await Promise.all(
    held.map((item) =>
      location.client
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: location.queueUrl,
            ReceiptHandle: item.receiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch(() => undefined),
    ),
  );
}

export async function deleteHeld(location: QuarantineLocation, item: HeldRecord): Promise<void> {
  await location.client.send(
    new DeleteMessageCommand({ QueueUrl: location.queueUrl, ReceiptHandle: item.receiptHandle }),
  );
}

/**
 * Replaces a held record with an updated one: the new one is sent before the old is deleted, so a
 * crash in between leaves two copies of the same event id (which delivery absorbs), never none.
 */
export async function replaceHeld(
  location: QuarantineLocation,
  item: HeldRecord,
  record: QuarantineRecord,
): Promise<void> {
  await location.client.send(
    new SendMessageCommand({
      QueueUrl: location.queueUrl,
      MessageBody: quarantineMessageBody(record),
      MessageAttributes: {
        topic: { DataType: 'String', StringValue: record.topic },
        eventId: { DataType: 'String', StringValue: record.id },
      },
    }),
  );
  await deleteHeld(location, item);
}
