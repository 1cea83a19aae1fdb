import type { HttpRequest } from '../http/request';
import type { ApiError } from '../http/response';
import { isJsonContentType, parseEventsBody } from './body';

/**
 * The context attributes of a CloudEvent (spec 1.0) as the gateway keeps them in the envelope:
 * the required four, the optional ones it knows, and extensions under their own names.
 */
export interface CloudEventAttributes {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
  [extension: string]: string | number | boolean | undefined;
}

/** One CloudEvent of a request: its attributes, or why it cannot be accepted. */
export type CloudEventEntry =
  { ok: true; attributes: CloudEventAttributes } | { ok: false; errors: ApiError[] };

/** A request body in one of the CloudEvents modes; `events[i]` is the `data` of `cloudEvents[i]`. */
export interface CloudEventsBody {
  ok: true;
  batch: boolean;
  events: unknown[];
  cloudEvents: CloudEventEntry[];
}

export type CloudEventsParse = CloudEventsBody | { ok: false; status: 400 | 415; error: ApiError };

export const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json';
export const BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';

const REQUIRED = ['id', 'source', 'specversion', 'type'] as const;
const STRING_ATTRIBUTES = ['time', 'subject', 'datacontenttype', 'dataschema'] as const;
/** The spec: attribute names are lower-case letters and digits; 20 characters is its advice. */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
/** RFC 3339 date-time, as the spec requires of `time`. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
/**
 * Attributes travel with the event to every sink (envelope, Kafka headers); together they must stay
 * small, well within the room the queue message keeps for the envelope around the event.
 */
export const MAX_ATTRIBUTES_BYTES = 4096;

function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function invalid(message: string): CloudEventEntry {
  return { ok: false, errors: [{ type: 'cloudevents', message }] };
}

/** Checks the context attributes of one event; `values` holds every attribute, strings or not. */
function checkAttributes(values: Record<string, unknown>): CloudEventEntry {
  const missing = REQUIRED.filter((name) => typeof values[name] !== 'string' || values[name] === '');
  if (missing.length > 0) {
    return invalid(`CloudEvent is missing required attribute(s): ${missing.join(', ')}`);
  }
  if (values.specversion !== '1.0') {
    return invalid(`CloudEvents specversion '${String(values.specversion)}' is not supported; use 1.0`);
  }
  const attributes: CloudEventAttributes = {
    specversion: '1.0',
    id: values.id as string,
    source: values.source as string,
    type: values.type as string,
  };
  for (const [name, value] of Object.entries(values)) {
    if ((REQUIRED as readonly string[]).includes(name)) continue;
    if (!ATTRIBUTE_NAME.test(name)) {
      return invalid(`CloudEvents attribute name '${name}' must be 1-20 lower-case letters or digits`);
    }
    if ((STRING_ATTRIBUTES as readonly string[]).includes(name)) {
      if (typeof value !== 'string' || value === '')
        return invalid(`CloudEvents attribute '${name}' must be a non-empty string`);
    } else if (typeof value !== 'string' && typeof value !== 'boolean' && !Number.isSafeInteger(value)) {
      // Extensions are strings, booleans or integers; anything nested is not an attribute.
      return invalid(`CloudEvents extension '${name}' must be a string, boolean or integer`);
    }
    attributes[name] = value as string | number | boolean;
  }
  if (
    attributes.time !== undefined &&
    (!RFC3339.test(attributes.time) || Number.isNaN(Date.parse(attributes.time)))
  ) {
    return invalid(`CloudEvents attribute 'time' must be an RFC 3339 timestamp, got '${attributes.time}'`);
  }
  if (attributes.datacontenttype !== undefined && !isJsonContentType(attributes.datacontenttype)) {
    return invalid(
      `CloudEvents datacontenttype '${attributes.datacontenttype}' is not JSON; events here are JSON`,
    );
  }
  if (Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTES_BYTES) {
    return invalid(`CloudEvents attributes take more than ${MAX_ATTRIBUTES_BYTES} bytes`);
  }
  return { ok: true, attributes };
}

/** Structured mode: one JSON object holding the attributes and the event in `data` (or `data_base64`). */
function fromStructured(value: unknown): { entry: CloudEventEntry; data: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { entry: invalid('a CloudEvent must be a JSON object'), data: undefined };
  }
  const { data, data_base64: dataBase64, ...values } = value as Record<string, unknown>;
  const entry = checkAttributes(values);
  if (!entry.ok) return { entry, data: undefined };
  if (data !== undefined && dataBase64 !== undefined) {
    return { entry: invalid('a CloudEvent holds data or data_base64, not both'), data: undefined };
  }
  if (dataBase64 !== undefined) {
    if (typeof dataBase64 !== 'string')
      return { entry: invalid('data_base64 must be a string'), data: undefined };
    const decoded = parseEventsBody(Buffer.from(dataBase64, 'base64'), 'application/json');
    if (!decoded.ok || decoded.batch) {
      return { entry: invalid('data_base64 must hold one JSON object'), data: undefined };
    }
    return { entry, data: decoded.events[0] };
  }
  if (data === undefined) return { entry: invalid('CloudEvent has no data'), data: undefined };
  return { entry, data };
}

function parseJson(body: Buffer | null): { ok: true; value: unknown } | { ok: false; error: ApiError } {
  // The plain-JSON parser's checks (UTF-8, syntax, depth, finite numbers) apply to envelopes too.
  const parsed = parseEventsBody(body, 'application/json');
  if (!parsed.ok) return { ok: false, error: parsed.error };
  return { ok: true, value: parsed.batch ? parsed.events : parsed.events[0] };
}

/** Binary mode: attributes in `ce-*` headers (percent-encoded, per the HTTP binding), the event is the body. */
function fromBinary(request: HttpRequest): CloudEventsParse {
  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(request.headers)) {
    if (!name.startsWith('ce-')) continue;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return {
        ok: false,
        status: 400,
        error: { type: 'cloudevents', message: `Header ${name} is not percent-encoded UTF-8` },
      };
    }
    values[name.slice(3)] = value;
  }
  const contentType = request.headers['content-type'];
  if (contentType !== undefined && contentType.trim() !== '') values.datacontenttype = contentType;
  const parsed = parseEventsBody(request.body, contentType);
  if (!parsed.ok) return parsed;
  // Binary mode carries exactly one event; a JSON array is that event's data, which a topic refuses.
  const data = parsed.batch ? parsed.events : parsed.events[0];
  const entry = checkAttributes(values);
  return { ok: true, batch: false, events: [entry.ok ? data : undefined], cloudEvents: [entry] };
}

/**
 * Reads a POST body sent in one of the CloudEvents HTTP modes: structured
 * (`application/cloudevents+json`), batched (`application/cloudevents-batch+json`) or binary (a
 * `ce-specversion` header). Answers null for anything else, which stays plain JSON.
 */
export function parseCloudEventsBody(request: HttpRequest): CloudEventsParse | null {
  const mediaType = mediaTypeOf(request.headers['content-type']);
  if (mediaType === STRUCTURED_MEDIA_TYPE || mediaType === BATCH_MEDIA_TYPE) {
    const parsed = parseJson(request.body);
    if (!parsed.ok) return { ok: false, status: 400, error: parsed.error };
    if (mediaType === STRUCTURED_MEDIA_TYPE) {
      if (Array.isArray(parsed.value)) {
        return {
          ok: false,
          status: 400,
          error: { type: 'cloudevents', message: `A batch of CloudEvents is sent as ${BATCH_MEDIA_TYPE}` },
        };
      }
      const { entry, data } = fromStructured(parsed.value);
      return { ok: true, batch: false, events: [data], cloudEvents: [entry] };
    }
    if (!Array.isArray(parsed.value)) {
      return {
        ok: false,
        status: 400,
        error: { type: 'cloudevents', message: `${BATCH_MEDIA_TYPE} must be a JSON array of CloudEvents` },
      };
    }
    const items = parsed.value.map(fromStructured);
    return {
      ok: true,
      batch: true,
      events: items.map((item) => item.data),
      cloudEvents: items.map((item) => item.entry),
    };
  }
  if (mediaType.startsWith('application/cloudevents')) {
    return {
      ok: false,
      status: 415,
      error: {
        type: 'content_type',
        message: `CloudEvents format '${mediaType}' is not supported; use JSON`,
      },
    };
  }
  if (request.headers['ce-specversion'] !== undefined) return fromBinary(request);
  return null;
}

/** The CloudEvents of a parsed body, index for index with its events; null for a plain JSON body. */
export function cloudEventsOf(parsed: { ok: true } | CloudEventsBody): CloudEventEntry[] | null {
  return 'cloudEvents' in parsed ? parsed.cloudEvents : null;
}

/**
 * The idempotency key of a CloudEvent. The spec makes `source` + `id` unique; the subject is
 * part of it so that one producer cannot claim (and so suppress) the ids of another.
 */
export function cloudEventIdempotencyKey(attributes: CloudEventAttributes, subject: string | null): string {
  return `cloudevents\u0000${subject ?? ''}\u0000${attributes.source}\u0000${attributes.id}`;
}
