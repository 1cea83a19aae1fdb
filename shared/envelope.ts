import { v7 as uuidv7 } from 'uuid';
import type { CloudEventAttributes } from './ingest/cloudevents';
import { casefold } from './auth/access';
import { isoTimestamp } from './iso-time';
import { parseJson } from './json/exact';
import { uuidV5For } from './uuid-v5';

/** Version of the envelope layout written onto queues; bump on an incompatible change. */
export const ENVELOPE_VERSION = 1;

/**
 * What travels from ingest to every sink: the event as the client sent it, plus the facts
 * the gateway learned while accepting it. `id` is the idempotency key everywhere downstream.
 */
export interface Envelope<P = unknown> {
  v: typeof ENVELOPE_VERSION;
  id: string;
  topic: string;
  receivedAt: string;
  subject: string | null;
  correlationId: string;
  key: string | null;
  payload: P;
  /** The CloudEvents context attributes, when the event arrived as a CloudEvent; `payload` is its data. */
  cloudEvent?: CloudEventAttributes;
  /** The topic schema version the payload was accepted against (absent in envelopes from before versions). */
  schemaVersion?: number;
}

// Fixed namespace so the same (topic, idempotency key) maps to the same event id on every instance.
// Ids from it are uuid's v5 ids, made four times cheaper (shared/uuid-v5.ts).
const idempotencyId = uuidV5For('6f1c2b0e-4f7a-5d3e-9a51-0b8e7c2d4a10');

/**
 * A time-ordered id, or a deterministic one when the client gave an idempotency key. A derived id
 * belongs to its producer: it is made from the topic, the authenticated subject (case-folded, as the
 * access map matches it) and the key, so one producer cannot claim, and make the sinks drop as a
 * duplicate, an event another producer has yet to send with the same business id.
 */
export function eventId(topic: string, idempotencyKey?: string | null, subject?: string | null): string {
  if (idempotencyKey === undefined || idempotencyKey === null || idempotencyKey === '') return uuidv7();
  // JSON keeps the three parts apart whatever characters they hold.
  const name = JSON.stringify([topic, casefold(subject ?? ''), idempotencyKey]);
  return idempotencyId(name);
}

export interface EnvelopeFields<P> {
  topic: string;
  payload: P;
  subject: string | null;
  correlationId: string;
  key?: string | null;
  idempotencyKey?: string | null;
  receivedAt?: Date;
  schemaVersion?: number;
  /** An id decided earlier (a quarantined event replayed keeps the id it was given then). */
  id?: string;
}

export function createEnvelope<P>(fields: EnvelopeFields<P>): Envelope<P> {
  return {
    v: ENVELOPE_VERSION,
    id: fields.id ?? eventId(fields.topic, fields.idempotencyKey, fields.subject),
    topic: fields.topic,
    receivedAt: fields.receivedAt ? fields.receivedAt.toISOString() : isoTimestamp(Date.now()),
    subject: fields.subject,
    correlationId: fields.correlationId,
    key: fields.key ?? null,
    payload: fields.payload,
    ...(fields.schemaVersion === undefined ? {} : { schemaVersion: fields.schemaVersion }),
  };
}

export class MalformedEnvelopeError extends Error {
  override readonly name = 'MalformedEnvelopeError';
}

/** Parses a queue message body; anything that is not a current envelope is rejected, never guessed at. */
export function parseEnvelope(body: string): Envelope {
  let value: unknown;
  try {
    // Integers beyond 2^53 stay digit for digit on their way to the sink.
    value = parseJson(body);
  } catch {
    throw new MalformedEnvelopeError('message body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedEnvelopeError('message body is not a JSON object');
  }
  const candidate = value as Record<string, unknown>;
  if (candidate.v !== ENVELOPE_VERSION)
    throw new MalformedEnvelopeError(`unsupported envelope version ${String(candidate.v)}`);
  for (const field of ['id', 'topic', 'receivedAt', 'correlationId'] as const) {
    if (typeof candidate[field] !== 'string' || candidate[field] === '') {
      throw new MalformedEnvelopeError(`envelope field "${field}" is missing`);
    }
  }
  if (!('payload' in candidate)) throw new MalformedEnvelopeError('envelope has no payload');
  if (candidate.schemaVersion !== undefined && !Number.isInteger(candidate.schemaVersion)) {
    throw new MalformedEnvelopeError('envelope field "schemaVersion" is not a version number');
  }
  return candidate as unknown as Envelope;
}
