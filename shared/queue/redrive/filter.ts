import type { Message } from '@aws-sdk/client-sqs';
import { parseEnvelope } from '../../envelope';

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
