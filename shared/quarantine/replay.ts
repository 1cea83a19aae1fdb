import { authorize } from '../auth/access';
import { createEnvelope, type Envelope } from '../envelope';
import type { GatewayState } from '../gateway/state';
import type { ApiError } from '../http/response';
import { chooseVersion } from '../schemas/pin';
import { MAX_KEPT_ERRORS, type QuarantineRecord } from './record';

export type ReplayVerdict =
  { accepted: true; envelope: Envelope; sinks: string[] } | { accepted: false; errors: ApiError[] };

function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/**
 * Judges a quarantined event again, as the gateway would now: the current access rules for its
 * subject, and the current schema versions (its `$schema`, else the version its request pinned,
 * else the current one). An accepted event keeps the id, time, subject and correlation id it was
 * refused with, so delivering it twice stores it once.
 */
export function judgeAgain(state: GatewayState, record: QuarantineRecord): ReplayVerdict {
  const topic = state.topics.get(record.topic);
  if (!topic)
    return { accepted: false, errors: [{ type: 'topic', message: `Topic '${record.topic}' not found` }] };
  const event = record.event;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { accepted: false, errors: [{ type: 'validation', message: 'an event must be a JSON object' }] };
  }
  const decision = authorize(state.access, topic.name, record.subject, event);
  if (!decision.allowed)
    return { accepted: false, errors: [{ type: decision.type, message: decision.message }] };
  const choice = chooseVersion(
    topic.name,
    topic.versions,
    event as Record<string, unknown>,
    record.pinnedVersion,
  );
  if (!choice.ok) return { accepted: false, errors: [choice.error] };
  const violations = choice.version.validate(event);
  if (violations.length > 0) return { accepted: false, errors: violations.slice(0, MAX_KEPT_ERRORS) };
  const key = topic.keyField === null ? null : scalarText((event as Record<string, unknown>)[topic.keyField]);
  return {
    accepted: true,
    sinks: [...topic.sinks],
    envelope: createEnvelope({
      id: record.id,
      topic: topic.name,
      payload: event,
      subject: record.subject,
      correlationId: record.correlationId,
      key,
      receivedAt: new Date(record.receivedAt),
      schemaVersion: choice.version.version,
    }),
  };
}
