import type { Message } from '@aws-sdk/client-sqs';
import {
  RateLimiter,
  copyEntry,
  describeMessage,
  matchesFilter,
  type Clock,
} from '../../../shared/queue/redrive';
import { createEnvelope } from '../../../shared/envelope';

const envelope = createEnvelope({ topic: 'orders', payload: { n: 1 }, subject: 's', correlationId: 'c' });

describe('describeMessage', () => {
  it('prefers the message attributes and takes receivedAt from the envelope', () => {
    const message: Message = {
      MessageId: 'm1',
      Body: JSON.stringify(envelope),
      MessageAttributes: {
        topic: { DataType: 'String', StringValue: 'from-attribute' },
        eventId: { DataType: 'String', StringValue: 'id-attribute' },
      },
      Attributes: { ApproximateReceiveCount: '6', MessageGroupId: 'g' },
    };
    expect(describeMessage(message)).toEqual({
      messageId: 'm1',
      topic: 'from-attribute',
      eventId: 'id-attribute',
      receivedAt: envelope.receivedAt,
      receiveCount: 6,
      groupId: 'g',
    });
  });

  it('falls back to the envelope when the attributes are missing', () => {
    expect(describeMessage({ MessageId: 'm2', Body: JSON.stringify(envelope) })).toEqual({
      messageId: 'm2',
      topic: 'orders',
      eventId: envelope.id,
      receivedAt: envelope.receivedAt,
    });
  });

  it('copes with a body that is not an envelope', () => {
    expect(describeMessage({ MessageId: 'm3', Body: 'not json' })).toEqual({ messageId: 'm3' });
  });
});

describe('matchesFilter', () => {
  const message = { messageId: 'm', topic: 'orders', eventId: 'e1' };

  it('matches everything without a filter', () => {
    expect(matchesFilter(message)).toBe(true);
    expect(matchesFilter(message, { topics: [], eventIds: [] })).toBe(true);
  });

  it('needs every given list to match', () => {
    expect(matchesFilter(message, { topics: ['orders', 'refunds'] })).toBe(true);
    expect(matchesFilter(message, { topics: ['refunds'] })).toBe(false);
    expect(matchesFilter(message, { topics: ['orders'], eventIds: ['e2'] })).toBe(false);
    expect(matchesFilter(message, { topics: ['orders'], eventIds: ['e2', 'e1'] })).toBe(true);
  });

  it('never matches an unknown topic against a topic filter', () => {
    expect(matchesFilter({ messageId: 'm' }, { topics: ['orders'] })).toBe(false);
  });
});

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

describe('RateLimiter', () => {
  function fakeClock(): Clock & { slept: number[] } {
    let now = 0;
    const slept: number[] = [];
    return {
      slept,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    };
  }

  it('grants everything at once without a rate', async () => {
    const limiter = new RateLimiter(undefined, fakeClock());
    expect(await limiter.acquire(10)).toBe(10);
    expect(await limiter.acquire(10)).toBe(10);
  });

  it('paces grants to the rate', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(2, clock);
    let granted = 0;
    while (granted < 11) granted += await limiter.acquire(10);
    // One message is allowed right away, the other ten arrive at two per second.
    expect(clock.now()).toBe(5000);
  });

  it('takes back what was not sent', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1, clock);
    expect(await limiter.acquire(10)).toBe(1);
    limiter.refund(1);
    expect(await limiter.acquire(10)).toBe(1);
    expect(clock.slept).toEqual([]);
  });

  it('returns nothing once aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await new RateLimiter(1, fakeClock()).acquire(5, controller.signal)).toBe(0);
  });
});
