import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { chunkBy } from '../batching/chunk';
import { logger } from '../observability/logger';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  /** How long to gather messages for a fuller batch once the first one arrived. */
  batchWindowMs: number;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  /** Long-poll wait per receive when the queue is empty. */
  waitSeconds?: number;
  /**
   * Batches in flight at once, each gathered, handled and settled on its own (default 1). The
   * event-source mapping in AWS also runs several: while one batch is written to its sink, the next
   * is being received, so the sink's round trips do not cap the drain rate.
   */
  concurrency?: number;
}

// SQS hands out at most 10 messages per receive.
const MAX_PER_RECEIVE = 10;

/**
 * A received message as the Lambda event-source mapping hands it to a worker. Attributes an
 * SQS-compatible server leaves out get stand-ins, since SQSRecord has no optional ones.
 */
export function toSqsRecord(message: Message, source: Pick<PollerOptions, 'queueArn' | 'region'>): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          stringValue: value.StringValue,
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

/**
 * Plays the Lambda event-source mapping for one queue: gathers up to `batchSize` messages within the
 * batching window, calls the worker handler, and deletes only the messages it did not report as
 * failed; `concurrency` batches at a time. Failed ones return after their visibility timeout; the
 * queue's redrive policy moves a message to the DLQ after maxReceiveCount receives, as in AWS.
 */
export class EventSourcePoller {
  private running = false;
  private loops?: Promise<unknown>;
  private readonly abort = new AbortController();

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const concurrency = Math.max(1, this.options.concurrency ?? 1);
    this.loops = Promise.all(Array.from({ length: concurrency }, () => this.run()));
  }

  /**
   * Stops receiving; a batch already received is still handed to the worker and settled, as Lambda
   * would, for up to `drainTimeoutMs`. Whatever is not settled by then returns to the queue after
   * its visibility timeout (and at once when the local runtime next starts).
   */
  async stop(drainTimeoutMs = 15_000): Promise<void> {
    this.running = false;
    this.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.loops,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const messages = await this.gather();
        if (messages.length > 0) await this.dispatch(messages);
      } catch (error) {
        if (!this.running) return;
        logger.error('queue poll failed', { queueUrl: this.options.queueUrl, error });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const result = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(MAX_PER_RECEIVE, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        // Older SQS-compatible servers only know the deprecated spelling.
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.abort.signal },
    );
    return result.Messages ?? [];
  }

  /**
   * `calls` receives at once, ten messages each at most, without waiting. Messages one call took
   * are this batch's even if another call failed: they are not dropped.
   */
  private async receiveAtOnce(calls: number, max: number): Promise<{ messages: Message[]; full: boolean }> {
    const asked = Array.from({ length: calls }, (_, index) =>
      Math.min(MAX_PER_RECEIVE, max - index * MAX_PER_RECEIVE),
    );
    const settled = await Promise.allSettled(asked.map((count) => this.receive(count, 0)));
    const messages = settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    const failure = settled.find((result) => result.status === 'rejected');
    if (failure && messages.length === 0) throw failure.reason;
    return { messages, full: messages.length === asked.reduce((sum, count) => sum + count, 0) };
  }

  private async gather(): Promise<Message[]> {
    const batch = await this.receive(this.options.batchSize, this.options.waitSeconds ?? 1);
    if (batch.length === 0) return batch;
    const deadline = Date.now() + this.options.batchWindowMs;
    // While the queue keeps answering full receives there is a backlog: ask for the rest of the
    // batch at once. Once it runs short, one receive at a time, a little apart, until the window ends.
    let backlog = batch.length === Math.min(MAX_PER_RECEIVE, this.options.batchSize);
    while (this.running && batch.length < this.options.batchSize && Date.now() < deadline) {
      const missing = this.options.batchSize - batch.length;
      const calls = backlog ? Math.ceil(missing / MAX_PER_RECEIVE) : 1;
      // Once messages are in hand they are this batch's: a stop during the window delivers them.
      const more = await this.receiveAtOnce(calls, missing).catch((error: unknown) => {
        if (this.running) throw error;
        return { messages: [], full: false };
      });
      batch.push(...more.messages);
      backlog = more.full;
      if (!more.full) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(0, deadline - Date.now()))));
      }
    }
    return batch;
  }

  private async dispatch(messages: Message[]): Promise<void> {
    const records = messages.map((message) => toSqsRecord(message, this.options));
    let failed: Set<string>;
    try {
      const response = await this.options.handler({ Records: records });
      failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    } catch (error) {
      // A handler that throws fails the whole batch, as on Lambda.
      logger.error('worker failed the whole batch', { queueUrl: this.options.queueUrl, error });
      return;
    }
    const done = records.filter((record) => !failed.has(record.messageId));
    // All at once, as the batch's deletes do not depend on each other.
    await Promise.all(
      chunkBy(done, { maxCount: MAX_PER_RECEIVE }).map((chunk) =>
        this.options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: chunk.map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receiptHandle,
            })),
          }),
        ),
      ),
    );
  }
}
