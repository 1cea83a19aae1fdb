import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseEnvelope } from '../envelope';

/*
 * Moving messages from a DLQ back to its queue, one batch at a time, in the only order that cannot
 * lose a message: receive → send the copy → delete the original, and delete only what was sent.
 * A crash between send and delete leaves the message in both queues; the envelope id makes that
 * duplicate harmless downstream.
 */

/** What the redrive learned about one DLQ message, from its attributes and (as a fallback) its body. */
export interface RedriveMessage {
  messageId: string;
  eventId?: string;
  topic?: string;
  receivedAt?: string;
  receiveCount?: number;
  groupId?: string;
}

/** Messages pass when they match every given list (an empty or missing list matches all). */
export interface RedriveFilter {
  topics?: readonly string[];
  eventIds?: readonly string[];
}

export interface RedriveFailure {
  messageId: string;
  eventId?: string;
  /** `send`: the message is still only in the DLQ. `delete`: it was copied but is also still in the DLQ. */
  stage: 'send' | 'delete';
  code: string;
  message: string;
}

export interface RedriveProgress {
  moved: number;
  skipped: number;
  failed: number;
  /** Distinct DLQ messages looked at so far. */
  examined: number;
  /** In a dry run, how many would have moved. */
  listed: number;
}

export interface RedriveOptions {
  /** The DLQ. */
  sourceQueueUrl: string;
  /** The queue the messages go back to; a URL ending in `.fifo` gets group and deduplication ids. */
  targetQueueUrl: string;
  filter?: RedriveFilter;
  /** List what would move; send and delete nothing. */
  dryRun?: boolean;
  /** Stop after this many matching messages (moved, failed or, in a dry run, listed). */
  max?: number;
  /** Messages per second sent to the target queue. */
  ratePerSecond?: number;
  /** How long received messages stay hidden from other consumers while this run holds them. */
  visibilityTimeoutSeconds?: number;
  /** Long-poll wait; long polling asks every SQS server, so an empty answer means the DLQ is drained. */
  waitTimeSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (progress: RedriveProgress) => void;
  clock?: Clock;
}

export type RedriveStop = 'drained' | 'max' | 'aborted' | 'error';

export interface RedriveResult extends RedriveProgress {
  dryRun: boolean;
  stoppedBy: RedriveStop;
  failures: RedriveFailure[];
  /** In a dry run, the messages that would have moved. */
  planned: RedriveMessage[];
  /** Why the run stopped early when a whole SQS call failed. */
  error?: string;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const SQS_BATCH_LIMIT = 10;
const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 60;
const DEFAULT_WAIT_TIME_SECONDS = 1;
// Receives that bring back only messages already looked at (their hold ran out) before giving up.
const STALE_RECEIVES_BEFORE_STOP = 3;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export function describeMessage(message: Message): RedriveMessage {
  const attributes = message.MessageAttributes ?? {};
  const system = message.Attributes ?? {};
  const described: RedriveMessage = { messageId: message.MessageId ?? '' };
  let topic = attributes.topic?.StringValue;
  let eventId = attributes.eventId?.StringValue;
  let receivedAt: string | undefined;
  try {
    const envelope = parseEnvelope(message.Body ?? '');
    topic ??= envelope.topic;
    eventId ??= envelope.id;
    receivedAt = envelope.receivedAt;
  } catch {
    // Not an envelope: it can still be moved as it is, it just cannot match a filter by its body.
  }
  if (topic !== undefined) described.topic = topic;
  if (eventId !== undefined) described.eventId = eventId;
  if (receivedAt !== undefined) described.receivedAt = receivedAt;
  const receiveCount = Number(system.ApproximateReceiveCount);
  if (system.ApproximateReceiveCount !== undefined && Number.isFinite(receiveCount))
    described.receiveCount = receiveCount;
  if (system.MessageGroupId !== undefined) described.groupId = system.MessageGroupId;
  return described;
}

export function matchesFilter(message: RedriveMessage, filter: RedriveFilter = {}): boolean {
  const { topics, eventIds } = filter;
  if (topics && topics.length > 0 && (message.topic === undefined || !topics.includes(message.topic)))
    return false;
  if (
    eventIds &&
    eventIds.length > 0 &&
    (message.eventId === undefined || !eventIds.includes(message.eventId))
  ) {
    return false;
  }
  return true;
}

export function isFifoQueueUrl(url: string): boolean {
  return url.endsWith('.fifo');
}

/** The copy sent to the target: same body and attributes; for FIFO, the same group. */
export function copyEntry(message: Message, id: string, fifoTarget: boolean): SendMessageBatchRequestEntry {
  const entry: SendMessageBatchRequestEntry = { Id: id, MessageBody: message.Body ?? '' };
  if (message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0) {
    entry.MessageAttributes = message.MessageAttributes;
  }
  if (fifoTarget) {
    entry.MessageGroupId = message.Attributes?.MessageGroupId ?? message.MessageId ?? id;
    // The DLQ message id, not the original deduplication id: reusing that one inside the five-minute
    // window would have SQS silently drop the copy, and the original would then be deleted. Sending
    // the same DLQ message twice (a rerun after a crash) is deduplicated, which is what we want.
    entry.MessageDeduplicationId = message.MessageId ?? id;
  }
  return entry;
}

/**
 * Token bucket for --rate: refills continuously, holds at most one batch, so a slow receive does not
 * turn into a burst afterwards.
 */
export class RateLimiter {
  private tokens: number;
  private lastRefill: number;
  private readonly capacity: number;

  constructor(
    private readonly perSecond: number | undefined,
    private readonly clock: Clock = systemClock,
  ) {
    this.capacity = perSecond ? Math.max(1, Math.min(SQS_BATCH_LIMIT, perSecond)) : Number.POSITIVE_INFINITY;
    this.tokens = perSecond ? 1 : Number.POSITIVE_INFINITY;
    this.lastRefill = clock.now();
  }

  /** Waits until at least one message may go, then grants up to `wanted`. Returns 0 when aborted. */
  async acquire(wanted: number, signal?: AbortSignal): Promise<number> {
    if (!this.perSecond) return wanted;
    for (;;) {
      if (signal?.aborted) return 0;
      this.refill();
      if (this.tokens >= 1) {
        const granted = Math.min(wanted, Math.floor(this.tokens));
        this.tokens -= granted;
        return granted;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.perSecond) * 1000), signal);
    }
  }

  /** Gives back what was granted but not sent (non-matching or fewer messages received). */
  refund(count: number): void {
    if (!this.perSecond || count <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + count);
  }

  private refill(): void {
    const now = this.clock.now();
    if (!this.perSecond) return;
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.lastRefill) / 1000) * this.perSecond);
    this.lastRefill = now;
  }
}

function errorText(error: unknown): { code: string; message: string } {
  if (error instanceof Error) return { code: error.name, message: error.message };
  return { code: 'Error', message: String(error) };
}

export async function redrive(client: SQSClient, options: RedriveOptions): Promise<RedriveResult> {
  const clock = options.clock ?? systemClock;
  const { signal, filter } = options;
  const dryRun = options.dryRun === true;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const queues = {
    sourceQueueUrl: options.sourceQueueUrl,
    targetQueueUrl: options.targetQueueUrl,
    fifoTarget: isFifoQueueUrl(options.targetQueueUrl),
  };
  const limiter = new RateLimiter(dryRun ? undefined : options.ratePerSecond, clock);
  const result: RedriveResult = {
    moved: 0,
    skipped: 0,
    failed: 0,
    examined: 0,
    listed: 0,
    dryRun,
    stoppedBy: 'drained',
    failures: [],
    planned: [],
  };
  // Messages this run received but leaves in the DLQ; made visible again at the end so the next
  // consumer or the next run sees them right away rather than after the visibility timeout.
  const held = new Map<string, string>();
  const seen = new Set<string>();
  let staleReceives = 0;

  const report = (): void =>
    options.onProgress?.({
      moved: result.moved,
      skipped: result.skipped,
      failed: result.failed,
      examined: result.examined,
      listed: result.listed,
    });
  const hold = (message: Message): void => {
    if (message.MessageId && message.ReceiptHandle) held.set(message.MessageId, message.ReceiptHandle);
  };
  const fail = (message: Message, stage: RedriveFailure['stage'], code: string, text: string): void => {
    const failure: RedriveFailure = { messageId: message.MessageId ?? '', stage, code, message: text };
    const eventId = describeMessage(message).eventId;
    if (eventId !== undefined) failure.eventId = eventId;
    result.failures.push(failure);
    result.failed += 1;
    hold(message);
  };

  try {
    for (;;) {
      const handled = result.moved + result.failed + result.listed;
      if (handled >= max) {
        result.stoppedBy = 'max';
        break;
      }
      if (signal?.aborted) {
        result.stoppedBy = 'aborted';
        break;
      }
      const wanted = Math.min(SQS_BATCH_LIMIT, max - handled);
      const granted = await limiter.acquire(wanted, signal);
      if (granted === 0) {
        result.stoppedBy = 'aborted';
        break;
      }

      let received: Message[];
      try {
        const response = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.sourceQueueUrl,
            MaxNumberOfMessages: granted,
            VisibilityTimeout: options.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
            WaitTimeSeconds: options.waitTimeSeconds ?? DEFAULT_WAIT_TIME_SECONDS,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        received = response.Messages ?? [];
      } catch (error) {
        limiter.refund(granted);
        if (signal?.aborted) {
          result.stoppedBy = 'aborted';
        } else {
          result.stoppedBy = 'error';
          result.error = `receiving from the DLQ failed: ${errorText(error).message}`;
        }
        break;
      }
      if (received.length === 0) {
        limiter.refund(granted);
        result.stoppedBy = 'drained';
        break;
      }

      const toMove: Message[] = [];
      let fresh = 0;
      for (const message of received) {
        const id = message.MessageId ?? '';
        if (seen.has(id)) {
          // Its hold ran out and it came back: keep the newest receipt handle for the release.
          if (held.has(id)) hold(message);
          continue;
        }
        seen.add(id);
        fresh += 1;
        result.examined += 1;
        if (!matchesFilter(describeMessage(message), filter)) {
          result.skipped += 1;
          hold(message);
        } else if (result.moved + result.failed + result.listed + toMove.length < max) {
          toMove.push(message);
        } else {
          hold(message);
        }
      }
      limiter.refund(granted - toMove.length);
      if (fresh === 0) {
        staleReceives += 1;
        if (staleReceives >= STALE_RECEIVES_BEFORE_STOP) {
          result.stoppedBy = 'drained';
          break;
        }
        continue;
      }
      staleReceives = 0;

      if (dryRun) {
        for (const message of toMove) {
          result.planned.push(describeMessage(message));
          result.listed += 1;
          hold(message);
        }
        report();
        continue;
      }
      if (toMove.length === 0) {
        report();
        continue;
      }

      const stopReason = await moveBatch(client, queues, toMove, result, fail);
      report();
      if (stopReason) {
        result.stoppedBy = 'error';
        result.error = stopReason;
        break;
      }
    }
  } finally {
    await release(client, options.sourceQueueUrl, held);
  }
  report();
  return result;
}

/** Send the copies, then delete the originals that were copied. Returns why the run must stop, if it must. */
async function moveBatch(
  client: SQSClient,
  queues: { sourceQueueUrl: string; targetQueueUrl: string; fifoTarget: boolean },
  messages: Message[],
  result: RedriveResult,
  fail: (message: Message, stage: RedriveFailure['stage'], code: string, text: string) => void,
): Promise<string | undefined> {
  const byEntryId = new Map<string, Message>(messages.map((message, index) => [`m${index}`, message]));
  const entries = [...byEntryId].map(([id, message]) => copyEntry(message, id, queues.fifoTarget));

  let sent: Message[];
  try {
    const response = await client.send(
      new SendMessageBatchCommand({ QueueUrl: queues.targetQueueUrl, Entries: entries }),
    );
    for (const failure of response.Failed ?? []) {
      const message = byEntryId.get(failure.Id ?? '');
      if (message)
        fail(message, 'send', failure.Code ?? 'Failed', failure.Message ?? 'rejected by the target queue');
    }
    sent = (response.Successful ?? []).flatMap((entry) => {
      const message = byEntryId.get(entry.Id ?? '');
      return message ? [message] : [];
    });
  } catch (error) {
    // The call itself failed: nothing was deleted, so every message is still in the DLQ.
    const { code, message: text } = errorText(error);
    for (const message of messages) fail(message, 'send', code, text);
    return `sending to the queue failed: ${text}`;
  }
  if (sent.length === 0) return undefined;

  const sentByEntryId = new Map<string, Message>(sent.map((message, index) => [`d${index}`, message]));
  try {
    const response = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queues.sourceQueueUrl,
        Entries: [...sentByEntryId].map(([id, message]) => ({
          Id: id,
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }),
    );
    const failedIds = new Set<string>();
    for (const failure of response.Failed ?? []) {
      const message = sentByEntryId.get(failure.Id ?? '');
      if (!message) continue;
      failedIds.add(failure.Id ?? '');
      fail(
        message,
        'delete',
        failure.Code ?? 'Failed',
        `copied to the queue but not deleted from the DLQ: ${failure.Message ?? ''}`,
      );
    }
    result.moved += sent.length - failedIds.size;
  } catch (error) {
    const { code, message: text } = errorText(error);
    for (const message of sent)
      fail(message, 'delete', code, `copied to the queue but not deleted from the DLQ: ${text}`);
    return `deleting from the DLQ failed: ${text}`;
  }
  return undefined;
}

async function release(client: SQSClient, queueUrl: string, held: Map<string, string>): Promise<void> {
  const handles = [...held.values()];
  for (let start = 0; start < handles.length; start += SQS_BATCH_LIMIT) {
    const chunk = handles.slice(start, start + SQS_BATCH_LIMIT);
    try {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((handle, index) => ({
            Id: `v${index}`,
            ReceiptHandle: handle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch {
      // Best effort: a message not released here reappears on its own when its hold runs out.
    }
  }
}

/** A queue's ARN, which the native move task API takes instead of URLs. */
export async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const response = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = response.Attributes?.QueueArn;
  if (!arn) throw new Error(`no ARN reported for ${queueUrl}`);
  return arn;
}

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

/** Hands the whole move to SQS (StartMessageMoveTask); it runs inside AWS until the DLQ is empty. */
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
