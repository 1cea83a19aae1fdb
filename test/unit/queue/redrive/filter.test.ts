import type { Message } from '@aws-sdk/client-sqs';
import { createEnvelope } from '../../../../shared/envelope';
import { describeMessage, matchesFilter } from '../../../../shared/queue/redrive/filter';

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
