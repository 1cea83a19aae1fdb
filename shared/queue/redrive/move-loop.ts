import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { chunkBy } from '../../batching/chunk';
import { systemClock, type Clock } from '../../clock';
import { describeError } from '../../errors/describe';
import { SQS_MAX_BATCH_ENTRIES } from '../publisher';
import { describeMessage, matchesFilter, type RedriveFilter, type RedriveMessage } from './filter';
import { moveBatch, type MoveFailure, type MoveRoute } from './move-batch';
import { RateLimiter } from './rate-limiter';

/*
 * Moving messages from a DLQ back to its queue, one received batch at a time (each moved by
 * ./move-batch.ts: send the copies, then delete what was copied), until the DLQ has nothing left
 * that matches, `max` is reached, the caller aborts or a whole SQS call fails.
 */

export interface RedriveFailure {
  messageId: string;
  eventId?: string;
  /** `send`: the message is still only in the DLQ. `delete`: it was copied but is also still in the DLQ. */
  stage: MoveFailure['stage'];
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

export interface RedriveOptions extends MoveRoute {
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

const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 60;
const DEFAULT_WAIT_TIME_SECONDS = 1;
// Receives that bring back only messages already looked at (their hold ran out) before giving up.
const STALE_RECEIVES_BEFORE_STOP = 3;

export async function redrive(client: SQSClient, options: RedriveOptions): Promise<RedriveResult> {
  const clock = options.clock ?? systemClock;
  const { signal, filter } = options;
  const dryRun = options.dryRun === true;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const route: MoveRoute = { sourceQueueUrl: options.sourceQueueUrl, targetQueueUrl: options.targetQueueUrl };
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
  const fail = ({ message, stage, code, reason }: MoveFailure, eventId: string | undefined): void => {
    const failure: RedriveFailure = { messageId: message.MessageId ?? '', stage, code, message: reason };
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
      const wanted = Math.min(SQS_MAX_BATCH_ENTRIES, max - handled);
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
          result.error = `receiving from the DLQ failed: ${describeError(error)}`;
        }
        break;
      }
      if (received.length === 0) {
        limiter.refund(granted);
        result.stoppedBy = 'drained';
        break;
      }

      // Each fresh message's body is parsed once, here; the filter, the dry-run listing and a
      // failure's event id all read this description. Keyed by the received object, which
      // moveBatch hands back in its failures.
      const toMove = new Map<Message, RedriveMessage>();
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
        const described = describeMessage(message);
        if (!matchesFilter(described, filter)) {
          result.skipped += 1;
          hold(message);
        } else if (result.moved + result.failed + result.listed + toMove.size < max) {
          toMove.set(message, described);
        } else {
          hold(message);
        }
      }
      limiter.refund(granted - toMove.size);
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
        for (const [message, described] of toMove) {
          result.planned.push(described);
          result.listed += 1;
          hold(message);
        }
        report();
        continue;
      }
      if (toMove.size === 0) {
        report();
        continue;
      }

      const outcome = await moveBatch(client, route, [...toMove.keys()]);
      result.moved += outcome.moved;
      for (const failure of outcome.failures) fail(failure, toMove.get(failure.message)?.eventId);
      report();
      if (outcome.stop !== undefined) {
        result.stoppedBy = 'error';
        result.error = outcome.stop;
        break;
      }
    }
  } finally {
    await release(client, options.sourceQueueUrl, held);
  }
  report();
  return result;
}

/** Makes the messages this run held but did not move visible again at once. */
async function release(client: SQSClient, queueUrl: string, held: Map<string, string>): Promise<void> {
  for (const handles of chunkBy([...held.values()], { maxCount: SQS_MAX_BATCH_ENTRIES })) {
    try {
      await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: handles.map((handle, index) => ({
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
