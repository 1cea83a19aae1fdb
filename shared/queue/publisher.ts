import { GetQueueAttributesCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { chunkBy, type ChunkLimits } from '../batching/chunk';
import type { Envelope } from '../envelope';
import type { SinkName } from '../sinks/types';
import { SendMessageBatchSender, type MessageBatchSender } from './send-message-batch';
import {
  checkEach,
  recordFailure,
  type Delivery,
  type DeliveryHealth,
  type DeliveryReport,
} from '../delivery/types';
import { describeError } from '../errors/describe';

/** SQS caps: 10 entries and 1 MiB of payload per SendMessageBatch, 1 MiB per message. */
export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_PAYLOAD_BYTES = 1024 * 1024;
/**
 * Kept free in every message for its attributes (SQS counts their names, types and values against
 * the 1 MiB): the `topic` and `eventId` set here, and the failure attributes a worker adds when it
 * parks the message in the DLQ (see shared/queue/worker.ts).
 */
export const ATTRIBUTE_ALLOWANCE = 1024;
/**
 * The largest message body ingest enqueues: the envelope's JSON, escaped as below. An event whose
 * body would be larger is refused with 413 at ingest (shared/ingest/deliverable.ts).
 */
export const MAX_QUEUE_MESSAGE_BYTES = SQS_MAX_PAYLOAD_BYTES - ATTRIBUTE_ALLOWANCE;

// SQS accepts only XML's character set in a body; U+FFFE, U+FFFF are outside it, and some
// SQS-compatible servers refuse characters outside the Basic Multilingual Plane. JSON allows any
// character in a string to be written as a \u escape, so escaping these keeps every event sendable.
// A character outside the BMP (4 bytes of UTF-8) becomes two escapes: 12 bytes.
const QUEUE_UNSAFE_CHARACTERS = /[\ufffe\uffff\ud800-\udfff]/g;

/**
 * The body already built for an envelope (ingest measures it, then the publisher sends it), kept
 * on the envelope under a private symbol: invisible to JSON.stringify and, being non-enumerable, not
 * copied by a spread. (A WeakMap costs several times more in garbage collection at this rate.)
 */
const BUILT_BODY = Symbol('eventgate.queueMessageBody');

interface BuiltBody {
  body: string;
  bytes: number;
  /** The SendMessageBatch entry without its `Id`, as JSON, built on first send and kept for the other sinks. */
  entryTail?: string;
}

function builtBody(envelope: Envelope): BuiltBody {
  const memo = (envelope as unknown as { [BUILT_BODY]?: BuiltBody })[BUILT_BODY];
  if (memo) return memo;
  const json = JSON.stringify(envelope);
  const jsonBytes = Buffer.byteLength(json);
  // As many bytes as characters: all ASCII, so nothing to escape (most events; skips a regex pass).
  const body =
    jsonBytes === json.length
      ? json
      : json.replace(
          QUEUE_UNSAFE_CHARACTERS,
          (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
        );
  const built = { body, bytes: body === json ? jsonBytes : Buffer.byteLength(body) };
  Object.defineProperty(envelope, BUILT_BODY, { value: built });
  return built;
}

/**
 * The envelope's SendMessageBatch entry as JSON, for the entry id `id` (ids are small integers,
 * unique within one call). Everything after the id is built once per envelope, whatever the number
 * of sinks it goes to.
 */
function entryJson(envelope: Envelope, id: number): string {
  const built = builtBody(envelope);
  built.entryTail ??= `,"MessageBody":${JSON.stringify(built.body)},"MessageAttributes":${JSON.stringify(attributesOf(envelope))}}`;
  return `{"Id":"${id}"${built.entryTail}`;
}

/** The message body for an envelope: its JSON, with characters SQS refuses written as escapes. */
export function queueMessageBody(envelope: Envelope): string {
  return builtBody(envelope).body;
}

/** The size in bytes of the envelope's message body, as SQS counts it. */
export function queueMessageBytes(envelope: Envelope): number {
  return builtBody(envelope).bytes;
}

export interface QueuePublisherOptions {
  client: SQSClient;
  /** Each sink's queue URL; a sink missing here is a deployment error reported per event. */
  queueUrls: Partial<Record<SinkName, string>>;
  /** Entries the queue rejected as a server fault are sent again this many times. */
  entryRetries?: number;
  /** How a batch reaches its queue; default SQS itself, through `client`'s credentials and transport. */
  sender?: MessageBatchSender;
}

interface PreparedMessage {
  envelope: Envelope;
  body: string;
  bytes: number;
}

function attributesOf(envelope: Envelope): SendMessageBatchRequestEntry['MessageAttributes'] {
  return {
    topic: { DataType: 'String', StringValue: envelope.topic },
    eventId: { DataType: 'String', StringValue: envelope.id },
  };
}

/**
 * SendMessageBatch's limits for messages whose attributes fit in ATTRIBUTE_ALLOWANCE (every message
 * the gateway sends): 10 entries, their bodies and that allowance each within the 1 MiB payload.
 */
export function sendBatchLimits<T>(bodyBytes: (message: T) => number): ChunkLimits<T> {
  return {
    maxCount: SQS_MAX_BATCH_ENTRIES,
    maxBytes: SQS_MAX_PAYLOAD_BYTES,
    sizeOf: (message) => bodyBytes(message) + ATTRIBUTE_ALLOWANCE,
  };
}

/**
 * The async path: one message per event on each sink's own queue, all sinks in parallel. An event
 * counts as enqueued only when every one of its sink queues acknowledged it.
 */
export class QueuePublisher implements Delivery {
  private readonly entryRetries: number;
  private readonly sender: MessageBatchSender;

  constructor(private readonly options: QueuePublisherOptions) {
    this.entryRetries = options.entryRetries ?? 2;
    this.sender = options.sender ?? new SendMessageBatchSender(options.client);
  }

  /** Each sink's queue answers: an accepted event can be enqueued (the worker's health is its alarms'). */
  health(sinks: readonly SinkName[], timeoutMs: number): Promise<DeliveryHealth> {
    return checkEach(sinks, timeoutMs, async (sink) => {
      const queueUrl = this.options.queueUrls[sink];
      if (!queueUrl) return 'queue not configured';
      await this.options.client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
      );
      return 'ok';
    });
  }

  async deliver(sinks: readonly SinkName[], events: readonly Envelope[]): Promise<DeliveryReport> {
    const report: DeliveryReport = new Map();
    const prepared: PreparedMessage[] = [];
    for (const envelope of events) {
      const { body, bytes } = builtBody(envelope);
      if (bytes > MAX_QUEUE_MESSAGE_BYTES) {
        // Ingest refuses such events with 413 before they get here; this is the last line of defence.
        for (const sink of sinks) {
          recordFailure(report, envelope.id, {
            type: sink,
            message: `event is ${bytes} bytes as a queue message, over the ${MAX_QUEUE_MESSAGE_BYTES}-byte limit`,
          });
        }
      } else {
        prepared.push({ envelope, body, bytes });
      }
    }
    await Promise.all(sinks.map((sink) => this.publishToSink(sink, prepared, report)));
    return report;
  }

  private async publishToSink(
    sink: SinkName,
    messages: PreparedMessage[],
    report: DeliveryReport,
  ): Promise<void> {
    const queueUrl = this.options.queueUrls[sink];
    if (!queueUrl) {
      for (const { envelope } of messages) {
        recordFailure(report, envelope.id, {
          type: sink,
          message: `no queue is configured for sink ${sink}`,
        });
      }
      return;
    }
    await Promise.all(
      chunkBy(
        messages,
        sendBatchLimits((message: PreparedMessage) => message.bytes),
      ).map((chunk) => this.sendChunk(sink, queueUrl, chunk, report)),
    );
  }

  private async sendChunk(
    sink: SinkName,
    queueUrl: string,
    chunk: PreparedMessage[],
    report: DeliveryReport,
  ): Promise<void> {
    let pending = chunk;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      const byEntryId = new Map(pending.map((message, index) => [String(index), message]));
      let failed: Array<{ message: PreparedMessage; reason: string; retryable: boolean }>;
      try {
        const result = await this.sender.sendSerialized(
          queueUrl,
          pending.map((message, index) => entryJson(message.envelope, index)),
        );
        failed = result.Failed.flatMap((entry) => {
          const message = entry.Id === undefined ? undefined : byEntryId.get(entry.Id);
          return message
            ? [
                {
                  message,
                  reason: `${entry.Code ?? 'error'}: ${entry.Message ?? ''}`.trim(),
                  retryable: !entry.SenderFault,
                },
              ]
            : [];
        });
      } catch (error) {
        // The sender already retried transient faults of the call itself, as the SDK would.
        failed = pending.map((message) => ({ message, reason: describeError(error), retryable: false }));
      }
      const retry = attempt < this.entryRetries ? failed.filter((entry) => entry.retryable) : [];
      for (const entry of failed) {
        if (!retry.includes(entry)) {
          recordFailure(report, entry.message.envelope.id, {
            type: sink,
            message: `enqueue failed: ${entry.reason}`,
          });
        }
      }
      pending = retry.map((entry) => entry.message);
    }
  }
}
