import type { Envelope } from '../envelope';

/**
 * Kafka headers of the CloudEvents Kafka protocol binding (binary content mode): each attribute as
 * `ce_<name>`, `datacontenttype` as `content-type`. The message value stays the event (the data),
 * so consumers that ignore CloudEvents see no change.
 */
export function cloudEventKafkaHeaders(event: Envelope): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.cloudEvent ?? {})) {
    if (value === undefined) continue;
    if (name === 'datacontenttype') headers['content-type'] = String(value);
    else headers[`ce_${name}`] = String(value);
  }
  return headers;
}

/**
 * Fills an EventBridge `Source` or `DetailType` template: `{topic}` is the EventGate topic,
 * `{ce.source}` and `{ce.type}` the CloudEvent's attributes, which fall back to the topic and
 * `JSON` for events that did not arrive as CloudEvents (EventBridge refuses empty values).
 */
export function fillEventBridgeTemplate(template: string, event: Envelope): string {
  return template
    .replaceAll('{topic}', event.topic)
    .replaceAll('{ce.source}', event.cloudEvent?.source ?? event.topic)
    .replaceAll('{ce.type}', event.cloudEvent?.type ?? 'JSON');
}
