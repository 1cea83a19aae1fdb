import type { Message } from '@aws-sdk/client-sqs';
import { copyEntry, entryBytes, isFifoQueueUrl } from '../../../../shared/queue/redrive/copy';

describe('copyEntry', () => {
  const message: Message = {
    MessageId: 'dlq-message-id',
    Body: 'body',
    MessageAttributes: { topic: { DataType: 'String', StringValue: 'orders' } },
    Attributes: { MessageGroupId: 'group-1', MessageDeduplicationId: 'original-dedup' },
  };

  it('copies body and attributes to a standard queue without FIFO fields', () => {
    expect(copyEntry(message, 'm0', false)).toEqual({
      Id: 'm0',
      MessageBody: 'body',
      MessageAttributes: { topic: { DataType: 'String', StringValue: 'orders' } },
    });
  });

  it('keeps the group for FIFO and deduplicates on the DLQ message id, not the original dedup id', () => {
    expect(copyEntry(message, 'm0', true)).toMatchObject({
      MessageGroupId: 'group-1',
      MessageDeduplicationId: 'dlq-message-id',
    });
  });
});

describe('entryBytes', () => {
  it('counts the body and each attribute name, data type and value in UTF-8 bytes', () => {
    expect(
      entryBytes({
        Id: 'm0',
        MessageBody: 'ééé',
        MessageAttributes: {
          topic: { DataType: 'String', StringValue: 'orders' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array(5) },
        },
      }),
    ).toBe(6 + ('topic'.length + 'String'.length + 'orders'.length) + ('raw'.length + 'Binary'.length + 5));
  });

  it('is the body alone without attributes', () => {
    expect(entryBytes({ Id: 'm0', MessageBody: 'body' })).toBe(4);
  });
});

describe('isFifoQueueUrl', () => {
  it('knows a FIFO queue by its name', () => {
    expect(isFifoQueueUrl('http://sqs/000000000000/orders.fifo')).toBe(true);
    expect(isFifoQueueUrl('http://sqs/000000000000/orders')).toBe(false);
  });
});
