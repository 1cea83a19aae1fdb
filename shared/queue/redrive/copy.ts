import type { Message, MessageAttributeValue, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';

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
 * What an entry weighs against SQS's payload limits: its body and, for each attribute, its name,
 * data type and value. A DLQ message may carry attributes the gateway never set, so they are
 * measured rather than assumed to fit an allowance.
 */
export function entryBytes(entry: SendMessageBatchRequestEntry): number {
  let bytes = Buffer.byteLength(entry.MessageBody ?? '');
  for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + valueBytes(value);
  }
  return bytes;
}

function valueBytes(value: MessageAttributeValue): number {
  if (value.StringValue !== undefined) return Buffer.byteLength(value.StringValue);
  return value.BinaryValue?.byteLength ?? 0;
}
