import type { Envelope } from '../envelope';
import { cloudEventKafkaHeaders } from './cloudevents';

/**
 * Per-event size limits of the sinks, and how each sink measures an event against them. Kept apart
 * from the sinks (and free of their clients) so ingest can refuse an event no sink would take
 * without loading kafkajs or an AWS SDK client, and so both sides measure the same way.
 */

/** kafkajs' and Kafka's default `max.message.bytes` is about 1 MB: value, key and headers together. */
export const KAFKA_MAX_MESSAGE_BYTES = 1_000_000;

/** PutEvents takes at most 256 KiB per entry (and per call). */
export const EVENTBRIDGE_MAX_ENTRY_BYTES = 256 * 1024;

/** EventBridge counts a `Time` field as 14 bytes. */
export const EVENTBRIDGE_TIME_FIELD_BYTES = 14;

export const KAFKA_EVENT_ID_HEADER = 'eventgate-event-id';
export const KAFKA_TOPIC_HEADER = 'eventgate-topic';
export const KAFKA_RECEIVED_AT_HEADER = 'eventgate-received-at';
export const KAFKA_CORRELATION_ID_HEADER = 'eventgate-correlation-id';
export const KAFKA_SCHEMA_VERSION_HEADER = 'eventgate-schema-version';

/**
 * The headers a Kafka record carries: the gateway's facts about the event, the schema version it
 * was accepted against, and its CloudEvents attributes (`ce_*`) when it arrived as a CloudEvent.
 */
export function kafkaHeaders(event: Envelope): Record<string, string> {
  return {
    [KAFKA_EVENT_ID_HEADER]: event.id,
    [KAFKA_TOPIC_HEADER]: event.topic,
    [KAFKA_RECEIVED_AT_HEADER]: event.receivedAt,
    [KAFKA_CORRELATION_ID_HEADER]: event.correlationId,
    ...cloudEventKafkaHeaders(event),
    ...(event.schemaVersion === undefined
      ? {}
      : { [KAFKA_SCHEMA_VERSION_HEADER]: String(event.schemaVersion) }),
  };
}

/** A Kafka record's size as the sink counts it: value + key + header names and values. */
export function kafkaRecordBytes(
  value: string | null,
  key: string | null,
  headers: Record<string, unknown>,
): number {
  let bytes = Buffer.byteLength(value ?? '') + Buffer.byteLength(key ?? '');
  for (const [name, header] of Object.entries(headers)) {
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(typeof header === 'string' ? header : String(header));
  }
  return bytes;
}

/** The event's record size on Kafka, given its payload already serialised. */
export function kafkaEventBytes(event: Envelope, payloadJson: string): number {
  return kafkaRecordBytes(payloadJson, event.key, kafkaHeaders(event));
}

/** `Source` of the event's PutEvents entry: `{topic}` in the configured pattern (default `{topic}`) is the topic. */
export function eventBridgeSource(pattern: string | undefined, topic: string): string {
  return (pattern || '{topic}').replaceAll('{topic}', topic);
}

export const EVENTBRIDGE_DEFAULT_DETAIL_TYPE = 'JSON';

/** The event's PutEvents entry size as EventBridge counts it (Source, DetailType, Detail and Time). */
export function eventBridgeEventBytes(
  event: Envelope,
  payloadJson: string,
  settings: { source?: string; detail_type?: string } = {},
): number {
  return (
    EVENTBRIDGE_TIME_FIELD_BYTES +
    Buffer.byteLength(eventBridgeSource(settings.source, event.topic)) +
    Buffer.byteLength(settings.detail_type || EVENTBRIDGE_DEFAULT_DETAIL_TYPE) +
    Buffer.byteLength(payloadJson)
  );
}
