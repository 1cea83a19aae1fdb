/**
 * Deterministic generators of malformed and hostile requests for the robustness suites. One seed
 * gives the same requests on every run and machine: first a sweep of every hand-written case, then
 * random mixes of them. Each request says, where the documented contract allows only certain
 * answers, which statuses are acceptable.
 */
import { Readable } from 'node:stream';
import {
  SQSClient,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import type { Delivery } from '../../shared/delivery/types';
import { MAX_AUTHORIZATION_HEADER_LENGTH } from '../../shared/auth/token';
import { createEnvelope } from '../../shared/envelope';
import { GatewayStateLoader } from '../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../shared/ingest/app';
import { SyncDelivery } from '../../shared/delivery/sync';
import { scalarText } from '../../shared/json/exact';
import {
  MAX_QUEUE_MESSAGE_BYTES,
  queueMessageBytes,
  QueuePublisher,
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_PAYLOAD_BYTES,
} from '../../shared/queue/publisher';
import { kafkaEventBytes, KAFKA_MAX_MESSAGE_BYTES } from '../../shared/sinks/limits';
import type { Sink, SinkName } from '../../shared/sinks/types';
import { RecordingDelivery, validRunsEvent, validTestEvent } from '../helpers/gateway';

// ---------------------------------------------------------------------------------------------
// Seeded randomness

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

/** mulberry32: tiny, fast and good enough to spread test cases; not for anything secret. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  return {
    seed,
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    chance: (probability) => next() < probability,
  };
}

/** The seed from `EVENTGATE_FUZZ_SEED`, else a fixed one, so a failure seen once can be replayed. */
export function seedFromEnv(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.EVENTGATE_FUZZ_SEED;
  if (raw === undefined || raw.trim() === '') return fallback;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`EVENTGATE_FUZZ_SEED must be an integer from 0 to 4294967295, got '${raw}'`);
  }
  return seed;
}

// ---------------------------------------------------------------------------------------------
// What a generated request is

/** How the request reaches the gateway: an API Gateway event in process, or raw bytes over HTTP. */
export type Transport = 'event' | 'http';

export interface GeneratedRequest {
  /** Family and case, e.g. `body/truncated-json`, for reports. */
  label: string;
  method: string;
  /** As sent: may hold %-escapes, broken ones included. */
  path: string;
  /** Without the `?`; empty for none. */
  query: string;
  /** In order; a name may repeat (two Content-Type headers). */
  headers: Array<[string, string]>;
  body: Buffer | null;
  /**
   * Event transport only: the event's body text, flagged as base64 whether or not it is valid base64.
   * When set it replaces `body`.
   */
  base64Body?: string;
  /** Statuses the documented contract allows; absent when a mix of faults makes several plausible. */
  expected?: readonly number[];
}

/** A topic the generators post to, with the subject allowed on it and a valid event for it. */
export interface Target {
  topic: string;
  subject: string;
  /** The topic's `max_event_bytes` in conf/config.json. */
  maxEventBytes: number | null;
  /** Async topics also cap an event at what fits in one queue message. */
  async: boolean;
  /** The topic's key field, copied into the envelope (and so into the queue message). */
  keyField: string | null;
  /** The sinks the topic delivers to: each sink's own limits apply too. */
  sinks: readonly SinkName[];
  /** A field the schema accepts any JSON object in, for padding and nesting. */
  freeField: string | null;
  /** A string field free of access rules, for odd string content. */
  textField: string;
  /** A number field, for odd number literals. */
  numberField: string;
  event(): Record<string, unknown>;
}

const validDlchangeEvent = (): Record<string, unknown> => ({
  event_id: 'dl-1',
  tenant_id: 'avms',
  source_app: 'jest',
  source_app_version: '1.0.0',
  environment: 'dev',
  timestamp_event: 1_700_000_000_000,
  catalog_id: 'catalog-1',
  operation: 'append',
  format: 'parquet',
});

/** The sinks the in-process gateway delivers to (its EVENTGATE_SINKS). */
export const IN_PROCESS_SINKS: readonly SinkName[] = ['kafka', 'postgres'];

/**
 * Topics and subjects of the shipped conf/ (access.json, topics/); `max_event_bytes`, mode, key and
 * sinks are read from the config.json in use, so the expectations follow it. `sinks` is the
 * gateway's default for topics that name none.
 */
export function targetsFor(
  config: {
    topics?: Record<string, { max_event_bytes?: number; mode?: string; key?: string; sinks?: SinkName[] }>;
  },
  sinks: readonly SinkName[] = IN_PROCESS_SINKS,
): Target[] {
  const limit = (topic: string): number | null => config.topics?.[topic]?.max_event_bytes ?? null;
  const async = (topic: string): boolean => config.topics?.[topic]?.mode !== 'sync';
  const keyField = (topic: string, legacy: string | null = null): string | null =>
    config.topics?.[topic]?.key ?? legacy;
  const sinksOf = (topic: string): readonly SinkName[] => config.topics?.[topic]?.sinks ?? sinks;
  return [
    {
      topic: 'public.cps.za.test',
      subject: 'TestUser',
      maxEventBytes: limit('public.cps.za.test'),
      async: async('public.cps.za.test'),
      keyField: keyField('public.cps.za.test'),
      sinks: sinksOf('public.cps.za.test'),
      freeField: 'additional_info',
      textField: 'source_app',
      numberField: 'timestamp',
      event: () => validTestEvent(),
    },
    {
      // RestrictedTestUser may only send source_app, environment and tenant_id values its rules allow.
      topic: 'public.cps.za.runs',
      subject: 'RestrictedTestUser',
      maxEventBytes: limit('public.cps.za.runs'),
      async: async('public.cps.za.runs'),
      keyField: keyField('public.cps.za.runs'),
      sinks: sinksOf('public.cps.za.runs'),
      freeField: null,
      textField: 'job_ref',
      numberField: 'timestamp_start',
      event: () => validRunsEvent(),
    },
    {
      topic: 'public.cps.za.dlchange',
      subject: 'FooUser',
      maxEventBytes: limit('public.cps.za.dlchange'),
      async: async('public.cps.za.dlchange'),
      keyField: keyField('public.cps.za.dlchange'),
      sinks: sinksOf('public.cps.za.dlchange'),
      freeField: 'additional_info',
      textField: 'source_app',
      numberField: 'timestamp_event',
      event: () => validDlchangeEvent(),
    },
  ];
}

/** The subjects the targets post as; every one needs a token. */
const TARGET_SUBJECTS = ['TestUser', 'RestrictedTestUser', 'FooUser'] as const;

/** A subject the access map knows on no topic. */
export const STRANGER = 'NobodyInTheAccessMap';

/** Every subject the generators need a valid token for. */
export const TOKEN_SUBJECTS: readonly string[] = [...TARGET_SUBJECTS, STRANGER];

export interface GeneratorOptions {
  rng: Rng;
  transport: Transport;
  /** A valid bearer token for every subject in TOKEN_SUBJECTS. */
  tokens: Readonly<Record<string, string>>;
  /** From `targetsFor` with the config in use. */
  targets: readonly Target[];
  maxBodyBytes: number;
  maxBatchEvents: number;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const jsonBytes = (value: unknown): Buffer => utf8(JSON.stringify(value));
const ACCEPTED = [202] as const;

function tokenFor(options: GeneratorOptions, subject: string): string {
  const token = options.tokens[subject];
  if (token === undefined) throw new Error(`no token was minted for subject '${subject}'`);
  return token;
}

/** Lengths that stay under Node's 16 KiB header limit over HTTP; in process they can be absurd. */
function absurdLength(options: GeneratorOptions, inProcess: number): number {
  return options.transport === 'http' ? Math.min(inProcess, 6_000) : inProcess;
}

/** Replaces `"__PLACEHOLDER__"`'s bytes in a JSON text with arbitrary bytes. */
function withBytesAt(json: string, placeholder: string, bytes: readonly number[]): Buffer {
  const at = json.indexOf(placeholder);
  if (at < 0) throw new Error(`placeholder ${placeholder} not in ${json}`);
  return Buffer.concat([
    utf8(json.slice(0, at)),
    Buffer.from(bytes),
    utf8(json.slice(at + placeholder.length)),
  ]);
}

/** The event's JSON with extra raw JSON text inserted as the last member. */
function withRawMember(event: Record<string, unknown>, name: string, rawValue: string): string {
  const base = JSON.stringify(event);
  return `${base.slice(0, -1)},${JSON.stringify(name)}:${rawValue}}`;
}

function eventBytes(event: unknown): number {
  return Buffer.byteLength(JSON.stringify(event));
}

/**
 * Within this many bytes of a queue or Kafka limit either answer is right: the envelope's own fields
 * (correlation id, subject) vary a little from request to request.
 */
const SIZE_MARGIN = 512;

type Verdict = 'under' | 'over' | 'either';

function verdict(bytes: number, limit: number, margin: number): Verdict {
  if (bytes > limit + margin) return 'over';
  if (bytes <= limit - margin) return 'under';
  return 'either';
}

/**
 * What the gateway should answer for a body that reaches the per-event checks with a good token:
 * 413 when the event is over the topic's `max_event_bytes`, or (measured as the gateway measures it)
 * over one SQS message for an async topic, or over a Kafka record for a topic with a kafka sink.
 */
function expectedForEvent(target: Target, event: Record<string, unknown>): readonly number[] {
  const json = JSON.stringify(event);
  const verdicts: Verdict[] = [];
  if (target.maxEventBytes !== null) verdicts.push(verdict(Buffer.byteLength(json), target.maxEventBytes, 0));
  const envelope = createEnvelope({
    topic: target.topic,
    payload: event,
    subject: target.subject,
    correlationId: 'c'.repeat(36),
    key: target.keyField === null ? null : scalarText(event[target.keyField]),
  });
  if (target.async) verdicts.push(verdict(queueMessageBytes(envelope), MAX_QUEUE_MESSAGE_BYTES, SIZE_MARGIN));
  if (target.sinks.includes('kafka'))
    verdicts.push(verdict(kafkaEventBytes(envelope, json), KAFKA_MAX_MESSAGE_BYTES, SIZE_MARGIN));
  if (verdicts.includes('over')) return [413];
  if (verdicts.includes('either')) return [202, 413];
  return ACCEPTED;
}

/** The answer for a batch of events each expected as `expectedForEvent` says. */
function expectedForBatch(target: Target, events: Array<Record<string, unknown>>): readonly number[] {
  const each = events.map((event) => expectedForEvent(target, event));
  if (each.some((statuses) => statuses.length > 1)) return [202, 207, 413];
  const statuses = new Set(each.map((statuses) => statuses[0]));
  if (statuses.size > 1) return [207];
  return statuses.has(413) ? [413] : ACCEPTED;
}

/** Postgres can store neither U+0000 nor an unpaired surrogate; a topic with a postgres sink refuses both. */
function expectedUnstorable(target: Target, event: Record<string, unknown>): readonly number[] {
  return target.sinks.includes('postgres') ? [400] : expectedForEvent(target, event);
}

// ---------------------------------------------------------------------------------------------
// Bodies

interface BodyCase {
  label: string;
  body: Buffer | null;
  /** With a valid token; absent when several answers are plausible. */
  expected?: readonly number[];
  /** The expected status comes before the token check (a body over max_body_bytes). */
  beforeAuth?: boolean;
}

const INVALID_UTF8: ReadonlyArray<readonly number[]> = [
  [0xff],
  [0xfe],
  [0x80],
  [0xc0, 0xaf], // overlong '/'
  [0xe0, 0x80, 0xaf], // overlong
  [0xed, 0xa0, 0x80], // UTF-16 surrogate encoded in UTF-8
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xe2, 0x82], // truncated sequence
  [0xf8, 0x88, 0x80, 0x80, 0x80], // five-byte form
  [0xc3], // lone lead byte
];

const NESTING_DEPTHS = [64, 1_000, 4_000, 5_000, 10_000, 50_000, 100_000] as const;

function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function nestedObjects(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Every hand-written body case for one target; parameterised ones take their parameter from the rng. */
function bodyCases(target: Target, options: GeneratorOptions): Array<() => BodyCase> {
  const { rng } = options;
  const event = target.event;
  const text = (): string => JSON.stringify(event());
  const cases: Array<() => BodyCase> = [];
  const add = (make: () => BodyCase): void => {
    cases.push(make);
  };

  // Truncated JSON, of one event and of a batch.
  add(() => {
    const full = rng.chance(0.5) ? text() : JSON.stringify([event(), event()]);
    const cut = rng.int(full.length);
    return { label: 'body/truncated-json', body: utf8(full.slice(0, cut)), expected: [400] };
  });

  // Invalid UTF-8 inside a string value and before the document.
  add(() => {
    const bytes = rng.pick(INVALID_UTF8);
    const json = JSON.stringify({ ...event(), [target.textField]: 'BAD__BYTES' });
    return {
      label: 'body/invalid-utf8-in-string',
      body: withBytesAt(json, 'BAD__BYTES', bytes),
      expected: [400],
    };
  });
  add(() => ({
    label: 'body/invalid-utf8-before-json',
    body: Buffer.concat([Buffer.from(rng.pick(INVALID_UTF8)), utf8(text())]),
    expected: [400],
  }));

  // Byte order marks: a UTF-8 BOM may be skipped (RFC 8259 allows it); the others are not UTF-8 JSON.
  add(() => ({
    label: 'body/utf8-bom',
    body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(text())]),
    expected: [...expectedForEvent(target, event()), 400],
  }));
  add(() => ({
    label: 'body/double-utf8-bom',
    body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), utf8(text())]),
    expected: [400],
  }));
  add(() => ({
    label: 'body/utf16le-with-bom',
    body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text(), 'utf16le')]),
    expected: [400],
  }));
  add(() => {
    const le = Buffer.from(text(), 'utf16le');
    const be = Buffer.alloc(le.length);
    for (let i = 0; i + 1 < le.length; i += 2) {
      be[i] = le[i + 1] as number;
      be[i + 1] = le[i] as number;
    }
    return {
      label: 'body/utf16be-with-bom',
      body: Buffer.concat([Buffer.from([0xfe, 0xff]), be]),
      expected: [400],
    };
  });
  add(() => ({ label: 'body/utf16le-without-bom', body: Buffer.from(text(), 'utf16le'), expected: [400] }));
  add(() => {
    const json = text();
    const at = json.indexOf(',') + 1;
    return {
      label: 'body/bom-between-tokens',
      body: utf8(`${json.slice(0, at)}\ufeff${json.slice(at)}`),
      expected: [400],
    };
  });

  // NUL bytes: raw ones are never valid JSON; escaped ones are valid string content.
  add(() => {
    const json = JSON.stringify({ ...event(), [target.textField]: 'NUL__HERE' });
    return {
      label: 'body/raw-nul-in-string',
      body: withBytesAt(json, 'NUL__HERE', [0x61, 0x00, 0x62]),
      expected: [400],
    };
  });
  add(() => ({
    label: 'body/raw-nul-after-json',
    body: Buffer.concat([utf8(text()), Buffer.from([0])]),
    expected: [400],
  }));
  add(() => ({
    label: 'body/raw-nul-before-json',
    body: Buffer.concat([Buffer.from([0]), utf8(text())]),
    expected: [400],
  }));
  add(() => ({ label: 'body/only-nul-bytes', body: Buffer.alloc(1 + rng.int(64)), expected: [400] }));
  // Postgres can never store U+0000 or an unpaired surrogate (in a value or a key): a topic with a
  // postgres sink refuses them with a 400 naming the field instead of accepting a certain dead letter.
  add(() => {
    const value = { ...event(), [target.textField]: 'a\u0000b' };
    return {
      label: 'body/escaped-nul-in-string',
      body: jsonBytes(value),
      expected: expectedUnstorable(target, value),
    };
  });
  add(() => {
    const value = { ...event(), ['nul\u0000key']: 'x' };
    return {
      label: 'body/escaped-nul-in-key',
      body: jsonBytes(value),
      expected: expectedUnstorable(target, value),
    };
  });
  add(() => {
    const value = { ...event(), nested: { list: ['ok', { deep: rng.pick(['\u0000', 'x\u0000']) }] } };
    return {
      label: 'body/escaped-nul-nested',
      body: jsonBytes(value),
      expected: expectedUnstorable(target, value),
    };
  });
  add(() => {
    const value = { ...event(), [target.textField]: rng.pick(['\ud800', '\udfff', 'a\udc00b', '\ud83d']) };
    return {
      label: 'body/lone-surrogate-escape',
      body: jsonBytes(value),
      expected: expectedUnstorable(target, value),
    };
  });
  add(() => {
    const value = { ...event(), [rng.pick(['\ud800', 'k\udfff'])]: 'x' };
    return {
      label: 'body/lone-surrogate-in-key',
      body: jsonBytes(value),
      expected: expectedUnstorable(target, value),
    };
  });
  add(() => {
    // A pair written as two escapes is one character outside the BMP: storable everywhere.
    const value = { ...event(), [target.textField]: '\u{1F600} \u00e9' };
    const body = JSON.stringify(value).replace('\u{1F600}', '\\ud83d\\ude00');
    return {
      label: 'body/escaped-surrogate-pair',
      body: utf8(body),
      expected: expectedForEvent(target, value),
    };
  });
  add(() => {
    // Unicode noncharacters: valid JSON and valid UTF-8, and every sink stores them.
    const value = {
      ...event(),
      [target.textField]: rng.pick(['\uffff', '\ufffe', 'a\ufdd0b', '\u{10ffff}']),
    };
    return {
      label: 'body/noncharacter-in-string',
      body: jsonBytes(value),
      expected: expectedForEvent(target, value),
    };
  });

  // Numbers JavaScript cannot hold exactly, or at all.
  const { numberField } = target;
  add(() => {
    const raw = rng.pick([
      '1e999999',
      '-1e400',
      '1e-999999',
      '123456789012345678901234567890123456789',
      `1${'0'.repeat(400)}`,
      `0.${'1'.repeat(2000)}`,
      '-0',
      '1E+308',
      `${'9'.repeat(5000)}`,
    ]);
    const base = event();
    delete base[numberField];
    return {
      label: 'body/huge-number',
      body: utf8(withRawMember(base, numberField, raw)),
      expected: [202, 400, 413],
    };
  });
  // Integers beyond 2^53 are numbers to the schema and are delivered digit for digit.
  add(() => {
    const raw = rng.pick([
      '9007199254740993',
      '12345678901234567890',
      '-9223372036854775809',
      '18446744073709551615',
      '100000000000000000000000000000',
    ]);
    const base = event();
    delete base[numberField];
    return {
      label: 'body/big-integer',
      body: utf8(withRawMember(base, numberField, raw)),
      expected: ACCEPTED,
    };
  });
  add(() => {
    const raw = rng.pick(['NaN', 'Infinity', '-Infinity', '0x10', '01', '1.', '.5', '+1', '1e', '--1']);
    const base = event();
    delete base[numberField];
    return {
      label: 'body/invalid-number-literal',
      body: utf8(withRawMember(base, numberField, raw)),
      expected: [400],
    };
  });

  // Deep nesting: the top-level batch of nested arrays, and deeply nested values inside an event.
  add(() => ({
    label: 'body/deep-nested-arrays',
    body: utf8(nestedArrays(rng.pick(NESTING_DEPTHS))),
    expected: [400],
  }));
  add(() => {
    const depth = rng.pick(NESTING_DEPTHS);
    return { label: 'body/deep-unclosed-arrays', body: utf8('['.repeat(depth)), expected: [400] };
  });
  add(() => {
    const depth = rng.pick(NESTING_DEPTHS);
    const field = target.freeField ?? 'extra_nested';
    const base = event();
    delete base[field];
    // Accepting, refusing as invalid or as too large are all answers the contract allows.
    return {
      label: 'body/deep-nested-object-in-event',
      body: utf8(withRawMember(base, field, nestedObjects(depth))),
      expected: [202, 400, 413],
    };
  });
  add(() => {
    const depth = rng.pick(NESTING_DEPTHS);
    const field = target.freeField ?? 'extra_nested';
    const base = event();
    delete base[field];
    return {
      label: 'body/deep-nested-arrays-in-batched-event',
      body: utf8(`[${withRawMember(base, field, `{"deep":${nestedArrays(depth)}}`)}]`),
      expected: [202, 400, 413],
    };
  });

  // Duplicate keys: whichever value wins, the access check and the stored payload must agree.
  add(() => {
    const json = text();
    return {
      label: 'body/duplicate-keys-same-value',
      body: utf8(`{"event_id":"first",${json.slice(1)}`),
      expected: [...ACCEPTED, 400],
    };
  });
  add(() => {
    const json = JSON.stringify(event());
    // The later key is invalid for every schema: a number where a string is required.
    return {
      label: 'body/duplicate-keys-invalid-last',
      body: utf8(`${json.slice(0, -1)},"event_id":42}`),
      expected: [400],
    };
  });
  if (target.subject === 'RestrictedTestUser') {
    add(() => {
      const json = JSON.stringify(event());
      return {
        label: 'body/duplicate-restricted-field-forbidden-last',
        body: utf8(`${json.slice(0, -1)},"environment":"prod"}`),
        expected: [400, 403],
      };
    });
    add(() => {
      const base = event();
      delete base.environment;
      return {
        label: 'body/restricted-field-only-in-proto',
        body: utf8(withRawMember(base, '__proto__', '{"environment":"dev"}')),
        expected: [400, 403],
      };
    });
  }

  // Wrong top-level types, arrays of non-objects, empty documents.
  add(() => ({
    label: 'body/wrong-top-level-type',
    body: utf8(rng.pick(['"a string"', '42', '-0', '3.14', 'true', 'false', 'null', '"{}"', '""', '1e999'])),
    expected: [400],
  }));
  add(() => ({
    label: 'body/array-of-non-objects',
    body: utf8(
      rng.pick(['[1]', '["x"]', '[null]', '[[]]', '[true,false]', '[[{}]]', '[1,"a",null,[],true]']),
    ),
    expected: [400],
  }));
  add(() => ({ label: 'body/array-of-events-in-array', body: jsonBytes([[event()]]), expected: [400] }));
  add(() => ({ label: 'body/mixed-batch', body: jsonBytes([event(), 1, 'x', null]), expected: [207] }));
  add(() => ({ label: 'body/empty-array', body: utf8(rng.pick(['[]', ' [ ] ', '[\n]'])), expected: [400] }));
  // A restricted user's field rules are checked before the schema.
  add(() => ({
    label: 'body/empty-object',
    body: utf8('{}'),
    expected: target.subject === 'RestrictedTestUser' ? [403] : [400],
  }));
  add(() => ({ label: 'body/empty', body: utf8(rng.pick(['', ' ', '\n', '\r\n\t '])), expected: [400] }));
  add(() => ({ label: 'body/absent', body: null, expected: [400] }));
  add(() => ({
    label: 'body/trailing-garbage',
    body: utf8(`${text()}${rng.pick(['x', '}', ',', '{}', '[]', '\u0001'])}`),
    expected: [400],
  }));
  add(() => ({ label: 'body/two-documents', body: utf8(`${text()}\n${text()}`), expected: [400] }));
  add(() => ({ label: 'body/json-with-comments', body: utf8(`/* c */ ${text()}`), expected: [400] }));
  add(() => ({ label: 'body/single-quoted', body: utf8(text().replace(/"/g, "'")), expected: [400] }));
  add(() => ({ label: 'body/random-bytes', body: randomBytes(rng, 1 + rng.int(2048)) }));
  add(() => ({ label: 'body/random-printable', body: utf8(randomText(rng, 1 + rng.int(512))) }));

  // Very long strings and keys.
  add(() => {
    const length = rng.pick([10_000, 65_000, 70_000, 200_000, 600_000]);
    const value = { ...event(), [target.textField]: 'x'.repeat(length) };
    return {
      label: 'body/very-long-string',
      body: jsonBytes(value),
      expected: expectedForEvent(target, value),
    };
  });
  add(() => {
    const length = rng.pick([1_000, 100_000, 300_000]);
    const value = { ...event(), ['k'.repeat(length)]: 1 };
    return { label: 'body/very-long-key', body: jsonBytes(value), expected: expectedForEvent(target, value) };
  });
  add(() => {
    const count = rng.pick([1_000, 20_000]);
    const value: Record<string, unknown> = event();
    for (let i = 0; i < count; i++) value[`extra_${i}`] = i;
    return { label: 'body/many-keys', body: jsonBytes(value), expected: expectedForEvent(target, value) };
  });
  add(() => {
    const value = { ...event(), [target.textField]: '\u{1F600}'.repeat(2_000) + '\u0301'.repeat(2_000) };
    return {
      label: 'body/astral-and-combining',
      body: jsonBytes(value),
      expected: expectedForEvent(target, value),
    };
  });

  // Prototype pollution: these keys must stay plain data.
  for (const [label, member] of [
    ['proto', ['__proto__', '{"polluted":"yes","isAdmin":true}']],
    ['constructor-prototype', ['constructor', '{"prototype":{"polluted":"yes"}}']],
    ['proto-null', ['__proto__', 'null']],
    ['to-string', ['toString', '"not a function"']],
    ['has-own-property', ['hasOwnProperty', '1']],
    ['value-of', ['valueOf', '{}']],
  ] as const) {
    add(() => ({
      label: `body/pollution-${label}`,
      body: utf8(withRawMember(event(), member[0], member[1])),
      // Extra members are allowed by these schemas; a gateway may still refuse such keys outright.
      expected: [...ACCEPTED, 400],
    }));
  }
  add(() => ({
    label: 'body/pollution-in-batch',
    body: utf8(
      `[${withRawMember(event(), '__proto__', '{"polluted":"yes"}')},{"__proto__":{"polluted":"yes"}}]`,
    ),
    expected: [207, 400],
  }));
  return cases;
}

/**
 * Events near or over one SQS message once wrapped and escaped, alone and in batches. Large, so they
 * are their own family: each is in the sweep, and they are rarely drawn after it.
 */
function messageSizeCases(target: Target, options: GeneratorOptions): Array<() => BodyCase> {
  const { rng } = options;
  const event = target.event;
  const cases: Array<() => BodyCase> = [];
  const add = (make: () => BodyCase): void => {
    cases.push(make);
  };

  // The queue message is bigger than the event: the key field travels twice, and a character outside
  // the BMP (4 bytes) is escaped as 12. An event over what one SQS message holds is a 413, never a 500.
  add(() => {
    // 88,000 emoji: a 352 KB body, over 1 MB once escaped for SQS.
    const value = { ...event(), [target.textField]: '\u{1F600}'.repeat(rng.pick([88_000, 87_000, 60_000])) };
    return {
      label: 'body/astral-over-queue-message',
      body: jsonBytes(value),
      expected: expectedForEvent(target, value),
    };
  });
  if (target.keyField !== null) {
    const keyField = target.keyField;
    add(() => {
      // A 600 KB key in a 680 KB event: twice that in the envelope.
      const value = { ...event(), [keyField]: 'k'.repeat(rng.pick([600_000, 520_000, 400_000])) };
      if (target.freeField) value[target.freeField] = { pad: 'p'.repeat(80_000) };
      return {
        label: 'body/key-field-over-queue-message',
        body: jsonBytes(value),
        expected: expectedForEvent(target, value),
      };
    });
  }
  // In process only: over HTTP the two accepted events also load the runtime's worker and database.
  if (options.transport === 'event') {
    add(() => {
      // Two large events in one batch: each fits in a message; together they need two SendMessageBatch calls.
      const size = rng.pick([300_000, 450_000]);
      const events = [0, 1].map(() => {
        const value = event();
        value[target.textField] = 't'.repeat(size);
        return value;
      });
      return {
        label: 'body/batch-of-large-events',
        body: jsonBytes(events),
        expected: expectedForBatch(target, events),
      };
    });
  }
  add(() => {
    // One event of the batch over a message once escaped: only that one is refused.
    const small = event();
    const large = { ...event(), [target.textField]: '\u{1F600}'.repeat(88_000) };
    return {
      label: 'body/batch-with-one-event-over-queue-message',
      body: jsonBytes([small, large]),
      expected: expectedForBatch(target, [small, large]),
    };
  });

  return cases;
}

function randomBytes(rng: Rng, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = rng.int(256);
  return bytes;
}

const PRINTABLE =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';

function randomText(rng: Rng, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += PRINTABLE[rng.int(PRINTABLE.length)];
  return text;
}

// ---------------------------------------------------------------------------------------------
// Sizes

function sizeCases(options: GeneratorOptions): Array<() => GeneratedRequest> {
  const { maxBodyBytes, maxBatchEvents, rng } = options;
  // The target without a per-event limit, so only the body limit decides.
  const target = options.targets.find(
    (candidate) => candidate.maxEventBytes === null && candidate.freeField !== null,
  ) as Target;
  const paddedTo = (size: number): Buffer => {
    const base = { ...target.event(), [target.freeField as string]: { pad: '' } };
    const padding = size - eventBytes(base);
    if (padding < 0) throw new Error(`cannot pad an event down to ${size} bytes`);
    return jsonBytes({ ...base, [target.freeField as string]: { pad: 'p'.repeat(padding) } });
  };
  const cases: Array<() => GeneratedRequest> = [];
  const overSizes =
    options.transport === 'event'
      ? [1, 2, 1_000, maxBodyBytes, 4 * maxBodyBytes]
      : [1, 2, 1_000, maxBodyBytes];
  for (const over of overSizes) {
    cases.push(() => {
      // Over the limit: 413 even without a token, before anything else is looked at.
      const auth = rng.pick(['valid', 'missing', 'garbage'] as const);
      return postTo(target, options, {
        label: `size/body-over-max-by-${over}`,
        body: paddedTo(maxBodyBytes + over),
        auth,
        expected: [413],
      });
    });
  }
  for (const under of [0, 1, 1_000]) {
    const size = maxBodyBytes - under;
    cases.push(() => {
      const body = paddedTo(size);
      return postTo(target, options, {
        label: `size/body-under-max-by-${under}`,
        body,
        auth: 'valid',
        expected: expectedForEvent(target, JSON.parse(body.toString('utf8')) as Record<string, unknown>),
      });
    });
  }
  for (const [label, count, expected] of [
    ['batch-at-max', maxBatchEvents, ACCEPTED],
    ['batch-over-max', maxBatchEvents + 1, [413]],
    ['batch-far-over-max', maxBatchEvents * 4, [413]],
  ] as const) {
    cases.push(() => {
      const chosen = rng.pick(options.targets);
      return postTo(chosen, options, {
        label: `size/${label}`,
        body: jsonBytes(Array.from({ length: count }, () => chosen.event())),
        auth: 'valid',
        expected,
      });
    });
  }
  cases.push(() =>
    // The batch size is checked before any event is looked at.
    postTo(rng.pick(options.targets), options, {
      label: 'size/batch-of-empty-objects-over-max',
      body: utf8(`[${Array.from({ length: maxBatchEvents * 20 }, () => '{}').join(',')}]`),
      auth: 'valid',
      expected: [413],
    }),
  );
  cases.push(() => {
    const chosen = rng.pick(options.targets);
    const events: unknown[] = Array.from({ length: maxBatchEvents }, () => chosen.event());
    events[rng.int(maxBatchEvents)] = { not: 'valid' };
    return postTo(chosen, options, {
      label: 'size/batch-at-max-one-invalid',
      body: jsonBytes(events),
      auth: 'valid',
      expected: [207],
    });
  });
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Encodings (API Gateway's base64 flag; only an event can carry it)

function encodingCases(options: GeneratorOptions): Array<() => GeneratedRequest> {
  const { rng } = options;
  const invalidBase64 = [
    'not base64!!',
    '%%%%',
    '====',
    'YWJj=ZGVm',
    '{"event_id":"x"}',
    '\u00fc\u00fc\u00fc\u00fc',
    '\u0000\u0001\u0002',
    '-_-_',
    'A',
    'AA',
    '....',
    '=',
  ];
  /** A POST whose event says base64 for a body text made from a valid event of the target. */
  const flagged =
    (
      label: string,
      base64: (event: Buffer) => string,
      expected: readonly number[],
      auth: () => AuthChoice = () => 'valid',
    ) =>
    (): GeneratedRequest => {
      const target = rng.pick(options.targets);
      const spec = { label, body: null, auth: auth(), expected, beforeAuth: expected.includes(413) };
      return { ...postTo(target, options, spec), base64Body: base64(jsonBytes(target.event())) };
    };
  return [
    flagged('encoding/base64-flag-invalid-base64', () => rng.pick(invalidBase64), [400]),
    flagged('encoding/base64-flag-empty', () => '', [400]),
    flagged('encoding/base64-valid', (event) => event.toString('base64'), ACCEPTED),
    flagged(
      'encoding/base64-mime-wrapped',
      (event) => event.toString('base64').replace(/.{1,76}/g, '$&\r\n'),
      [...ACCEPTED, 400],
    ),
    flagged('encoding/base64url-alphabet', (event) => event.toString('base64url'), [...ACCEPTED, 400]),
    flagged(
      'encoding/base64-of-invalid-utf8',
      () =>
        Buffer.concat([utf8('{"a":"'), Buffer.from(rng.pick(INVALID_UTF8)), utf8('"}')]).toString('base64'),
      [400],
    ),
    // Decoded, it is over max_body_bytes: 413 before the token is looked at.
    flagged(
      'encoding/base64-decodes-over-max',
      () => Buffer.alloc(options.maxBodyBytes + 1, 0x20).toString('base64'),
      [413],
      () => rng.pick(['valid', 'missing'] as const),
    ),
    () => {
      const target = rng.pick(options.targets);
      return postTo(target, options, {
        label: 'encoding/base64-text-not-flagged',
        body: utf8(jsonBytes(target.event()).toString('base64')),
        auth: 'valid',
        expected: [400],
      });
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Headers

type AuthChoice = 'valid' | 'missing' | 'garbage' | 'stranger';

const GARBAGE_TOKENS = [
  'a.b.c',
  '..',
  'eyJhbGciOiJSUzI1NiJ9.e30.',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJUZXN0VXNlciJ9.',
  'not-a-token',
  `${'A'.repeat(200)}.${'B'.repeat(200)}.${'C'.repeat(200)}`,
];

function authHeaders(choice: AuthChoice, target: Target, options: GeneratorOptions): Array<[string, string]> {
  switch (choice) {
    case 'valid':
      return [['Authorization', `Bearer ${tokenFor(options, target.subject)}`]];
    case 'stranger':
      return [['Authorization', `Bearer ${tokenFor(options, STRANGER)}`]];
    case 'garbage':
      return [['Authorization', `Bearer ${options.rng.pick(GARBAGE_TOKENS)}`]];
    case 'missing':
      return [];
  }
}

/** The status once the token is considered: 401 and 403 come before anything about the body. */
function withAuth(
  choice: AuthChoice,
  expected: readonly number[] | undefined,
): readonly number[] | undefined {
  if (choice === 'missing' || choice === 'garbage') return [401];
  if (choice === 'stranger') return [403];
  return expected;
}

interface PostSpec {
  label: string;
  body: Buffer | null;
  auth: AuthChoice;
  expected?: readonly number[];
  /** Replaces the default JSON content type; null sends none. */
  contentType?: string | null;
  extraHeaders?: Array<[string, string]>;
  /** The expected status comes before the token check. */
  beforeAuth?: boolean;
}

function postTo(target: Target, options: GeneratorOptions, spec: PostSpec): GeneratedRequest {
  const headers: Array<[string, string]> = [];
  const contentType = spec.contentType === undefined ? 'application/json' : spec.contentType;
  if (contentType !== null) headers.push(['Content-Type', contentType]);
  headers.push(...authHeaders(spec.auth, target, options), ...(spec.extraHeaders ?? []));
  const bodyTooLarge = spec.body !== null && spec.body.length > options.maxBodyBytes;
  const expected = bodyTooLarge
    ? [413]
    : spec.beforeAuth
      ? spec.expected
      : withAuth(spec.auth, spec.expected);
  return {
    label: spec.label,
    method: 'POST',
    path: `/topics/${target.topic}`,
    query: '',
    headers,
    body: spec.body,
    expected,
  };
}

function chooseAuth(rng: Rng): AuthChoice {
  const roll = rng.next();
  if (roll < 0.85) return 'valid';
  if (roll < 0.9) return 'missing';
  if (roll < 0.95) return 'garbage';
  return 'stranger';
}

/** [content type, expected with a valid event]; `null` sends no Content-Type at all. */
function contentTypeTable(options: GeneratorOptions): Array<[string | null, readonly number[]]> {
  return [
    [null, ACCEPTED],
    ['application/json', ACCEPTED],
    ['APPLICATION/JSON', ACCEPTED],
    ['application/json; charset=utf-8', ACCEPTED],
    ['application/json;charset=UTF-8;foo=bar', ACCEPTED],
    ['application/json;;;', ACCEPTED],
    ['application/vnd.eventgate+json', ACCEPTED],
    // A plain event sent as a structured CloudEvent lacks the required attributes.
    ['application/cloudevents+json; charset=utf-8', [400]],
    ['', ACCEPTED],
    ['   ', ACCEPTED],
    ['application/json; charset=utf-16', [202, 400, 415]],
    ['text/plain', [415]],
    ['text/json', [415]],
    ['application/x-www-form-urlencoded', [415]],
    ['multipart/form-data; boundary=xyz', [415]],
    ['application/xml', [415]],
    ['*/*', [415]],
    ['application/*', [415]],
    ['application/jsonp', [415]],
    ['application/json5', [415]],
    ['json', [415]],
    [';', [415]],
    ['application/json, text/plain', [415]],
    ['application/json\u0000', [415]],
    ['application/json\u00e9', [415]],
    [`application/${'+'.repeat(absurdLength(options, 100_000))}`, [415]],
    // Over the 1 KiB a media type with parameters can need: refused before it is parsed.
    [`application/${'a'.repeat(absurdLength(options, 100_000))}+json`, [415]],
    [`application/${'a'.repeat(900)}+json`, ACCEPTED],
    [`application/json;${' '.repeat(absurdLength(options, 100_000))}x`, [415]],
    ['x'.repeat(absurdLength(options, 100_000)), [415]],
  ];
}

/** [Authorization value, expected with a valid event]. */
function authorizationTable(token: string, options: GeneratorOptions): Array<[string, readonly number[]]> {
  const flipped = `${token.slice(0, -6)}${token.slice(-6).toUpperCase() === token.slice(-6) ? 'aaaaaa' : token.slice(-6).toUpperCase()}`;
  return [
    [`Bearer ${token}`, ACCEPTED],
    [`bearer ${token}`, ACCEPTED],
    [`BEARER ${token}`, ACCEPTED],
    [`Bearer  ${token}`, ACCEPTED],
    [`Bearer\t${token}`, ACCEPTED],
    [`  Bearer ${token}  `, ACCEPTED],
    ['Bearer', [401]],
    ['Bearer ', [401]],
    ['Bearer a', [401]],
    ['Bearer a.b', [401]],
    ['Bearer a.b.c', [401]],
    ['Bearer ..', [401]],
    ['Bearer ...', [401]],
    [`Bearer ${token}.extra`, [401]],
    [`Bearer ${token} ${token}`, [401]],
    [`Bearer Bearer ${token}`, [401]],
    [`Bearer ${flipped}`, [401]],
    [`Bearer ${token.toUpperCase()}`, [401]],
    [`Bearer ${token}\u0000`, [401]],
    [`Bearer ${token}\u00e9`, [401]],
    [`Bearer ${'a'.repeat(absurdLength(options, 100_000))}.b.c`, [401]],
    // Built to make a backtracking pattern take seconds: each must be answered at once.
    [`Bearer${' '.repeat(absurdLength(options, 100_000))}\nx`, [401]],
    [`Bearer${'\t'.repeat(absurdLength(options, 100_000))}\nx`, [401]],
    // Spaces around a good token: fine up to the header bound, refused unread beyond it.
    ...[
      `Bearer ${' '.repeat(absurdLength(options, 100_000))}${token}`,
      `${' '.repeat(absurdLength(options, 100_000))}Bearer ${token}`,
    ].map((value): [string, readonly number[]] => [
      value,
      value.length > MAX_AUTHORIZATION_HEADER_LENGTH ? [401] : ACCEPTED,
    ]),
    ['Basic dXNlcjpwYXNz', [401]],
    ['Digest username="x", realm="y", nonce="z"', [401]],
    [`Token ${token}`, [401]],
    [`JWT ${token}`, [401]],
    [token, [401]],
    [`Bearer=${token}`, [401]],
    ['\u00e9\u00e9\u00e9', [401]],
  ];
}

function headerCases(options: GeneratorOptions): Array<() => GeneratedRequest> {
  const { rng } = options;
  const cases: Array<() => GeneratedRequest> = [];
  const baseline = (label: string, extra: Partial<PostSpec> = {}): GeneratedRequest => {
    const target = rng.pick(options.targets);
    const event = target.event();
    return postTo(target, options, {
      label,
      body: jsonBytes(event),
      auth: 'valid',
      expected: ACCEPTED,
      ...extra,
    });
  };

  contentTypeTable(options).forEach(([contentType, expected], index) => {
    cases.push(() => baseline(`header/content-type-${index}`, { contentType, expected }));
  });
  // Two Content-Type headers: REST events keep the last, HTTP APIs join them, Node keeps the first.
  for (const pair of [
    ['application/json', 'text/plain'],
    ['text/plain', 'application/json'],
    ['application/json', 'application/json'],
  ] as const) {
    cases.push(() =>
      baseline('header/two-content-types', {
        contentType: pair[0],
        extraHeaders: [['Content-Type', pair[1]]],
        expected: [202, 415],
      }),
    );
  }

  const authorizationCount = authorizationTable('x.y.z', options).length;
  for (let index = 0; index < authorizationCount; index++) {
    cases.push(() => {
      const target = rng.pick(options.targets);
      const [value, expected] = authorizationTable(tokenFor(options, target.subject), options)[index] as [
        string,
        readonly number[],
      ];
      return postTo(target, options, {
        label: `header/authorization-${index}`,
        body: jsonBytes(target.event()),
        auth: 'missing',
        beforeAuth: true,
        extraHeaders: [['Authorization', value]],
        expected,
      });
    });
  }
  // The raw `bearer` header wins over Authorization, as in the Python gateway.
  cases.push(() =>
    baseline('header/junk-bearer-header-wins', {
      extraHeaders: [['bearer', 'junk']],
      beforeAuth: true,
      expected: [401],
    }),
  );
  // The legacy header gets the same bounded, linear parsing.
  for (const value of [
    `Bearer${' '.repeat(absurdLength(options, 100_000))}\nx`,
    `${'\t'.repeat(absurdLength(options, 100_000))}\nx`,
    `bearer ${'a'.repeat(absurdLength(options, 100_000))}`,
  ]) {
    cases.push(() =>
      baseline('header/pathological-bearer-header', {
        extraHeaders: [['bearer', value]],
        auth: 'missing',
        beforeAuth: true,
        expected: [401],
      }),
    );
  }
  cases.push(() => {
    const target = rng.pick(options.targets);
    return postTo(target, options, {
      label: 'header/two-authorization-headers',
      body: jsonBytes(target.event()),
      auth: 'valid',
      extraHeaders: [['Authorization', 'Bearer a.b.c']],
      beforeAuth: true,
      // REST events keep the last, HTTP APIs join them (no longer a token), Node keeps the first.
      expected: [202, 401],
    });
  });

  for (const [key, expected] of [
    ['k'.repeat(255), ACCEPTED],
    ['k'.repeat(256), [400]],
    ['k'.repeat(absurdLength(options, 10_000)), [400]],
    ['k'.repeat(absurdLength(options, 200_000)), [400]],
    ['', [400]],
    ['has space', [400]],
    ['tab\there', [400]],
    ['\u00fcml\u00e4ut', [400]],
    ['ok-key_1:2/3', ACCEPTED],
    ...(options.transport === 'event' ? ([['new\nline', [400]]] as const) : []),
  ] as const) {
    cases.push(() =>
      baseline('header/idempotency-key', { extraHeaders: [['Idempotency-Key', key]], expected }),
    );
  }

  for (const value of [
    'c'.repeat(128),
    'c'.repeat(129),
    'c'.repeat(absurdLength(options, 100_000)),
    'has space',
    'crlf\r\nSet-Cookie: x=1',
    '<script>alert(1)</script>',
    '../../etc/passwd',
    '\u00fcml\u00e4ut',
    '',
    '"quoted"',
  ]) {
    cases.push(() => baseline('header/correlation-id', { extraHeaders: [['X-Correlation-ID', value]] }));
    cases.push(() => baseline('header/request-id', { extraHeaders: [['X-Request-ID', value]] }));
  }

  cases.push(() =>
    baseline('header/absurd-value', {
      extraHeaders: [['X-Junk', 'v'.repeat(absurdLength(options, 200_000))]],
    }),
  );
  cases.push(() =>
    baseline('header/non-ascii-value', { extraHeaders: [['X-Junk', '\u00e9\u4e2d\u{1F600}']] }),
  );
  cases.push(() =>
    baseline('header/many-headers', {
      extraHeaders: Array.from(
        { length: options.transport === 'http' ? 200 : 5_000 },
        (_, i): [string, string] => [`X-H${i}`, String(i)],
      ),
    }),
  );
  cases.push(() =>
    baseline('header/empty-values', {
      extraHeaders: [
        ['X-Empty', ''],
        ['Accept', ''],
        ['User-Agent', ''],
      ],
    }),
  );
  cases.push(() =>
    baseline('header/odd-standard-headers', {
      extraHeaders: [
        ['Accept', 'application/xml'],
        ['Accept-Encoding', 'br;q=abc, *;q=-1'],
        ['Content-Encoding', 'gzip'],
        ['Origin', 'null'],
        ['Forwarded', 'for=unknown;proto=gopher'],
        ['X-Forwarded-For', '999.999.999.999, ::ffff:garbage'],
        ['Range', 'bytes=-1-2'],
      ],
      // A gateway may refuse a body it cannot decode; it must not fail on it.
      expected: [202, 400, 415],
    }),
  );
  if (options.transport === 'event') {
    cases.push(() =>
      baseline('header/control-characters', { extraHeaders: [['X-Junk', '\u0000\u0001\r\n\u007f']] }),
    );
    // Node answers an unknown expectation itself (417) before the app sees the request.
    cases.push(() => baseline('header/unknown-expectation', { extraHeaders: [['Expect', '200-ok']] }));
    cases.push(() =>
      baseline('header/odd-names', {
        extraHeaders: [
          ['', 'empty name'],
          ['X Space', 'v'],
          ['\u00e9', 'v'],
          ['Content-Type ', 'text/plain'],
        ],
      }),
    );
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Methods on every route

/** Methods the HTTP parser knows; anything else never reaches the app over HTTP. */
const HTTP_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'PURGE',
  'LINK',
  'UNLINK',
  'REPORT',
  'MKCALENDAR',
  'NOTIFY',
  'SUBSCRIBE',
] as const;

/** Only an API Gateway event can carry these. */
const ODD_METHODS = [
  'get',
  'pOsT',
  'FOO',
  '',
  'GET ',
  ' POST',
  'CONNECT',
  'M'.repeat(1_000),
  '\u00dcBER',
  'G\u0000ET',
];

interface RouteCase {
  path: string;
  /** Status of an allowed method with a valid token and event; others get 405, unknown paths 404. */
  allowed: Readonly<Record<string, number>>;
}

const ROUTE_CASES: readonly RouteCase[] = [
  { path: '/api', allowed: { GET: 200, OPTIONS: 204 } },
  { path: '/docs', allowed: { GET: 200 } },
  { path: '/docs/init.js', allowed: { GET: 200 } },
  { path: '/docs/swagger-ui.css', allowed: { GET: 200 } },
  { path: '/docs/nothing.js', allowed: { GET: 404 } },
  // POST /token is the token endpoint, which the suite's configuration leaves off.
  { path: '/token', allowed: { GET: 303, POST: 404 } },
  { path: '/health', allowed: { GET: 200, OPTIONS: 204 } },
  { path: '/topics', allowed: { GET: 200, OPTIONS: 204 } },
  // OPTIONS without Origin is a plain OPTIONS (204 with Allow), not a preflight.
  { path: '/topics/public.cps.za.test', allowed: { GET: 200, POST: 202, OPTIONS: 204 } },
  { path: '/topics/no.such.topic', allowed: { GET: 404, POST: 404, OPTIONS: 204 } },
  // An operator action: the targets' subjects are not operators.
  { path: '/terminate', allowed: { POST: 403 } },
  { path: '/nowhere', allowed: {} },
];

function expectedForMethod(route: RouteCase, method: string): readonly number[] {
  if (Object.keys(route.allowed).length === 0) return [404];
  const normalized = method.toUpperCase();
  const effective = normalized === 'HEAD' && route.allowed.GET !== undefined ? 'GET' : normalized;
  const status = route.allowed[effective];
  return status === undefined ? [405] : [status];
}

function methodCases(options: GeneratorOptions): Array<() => GeneratedRequest> {
  const methods: readonly string[] =
    options.transport === 'http' ? HTTP_METHODS : [...HTTP_METHODS, ...ODD_METHODS];
  const target = options.targets[0] as Target;
  const cases: Array<() => GeneratedRequest> = [];
  for (const route of ROUTE_CASES) {
    for (const method of methods) {
      cases.push(() => ({
        ...postTo(target, options, {
          label: `method/${method.slice(0, 12) || '(empty)'}`,
          body: jsonBytes(target.event()),
          auth: 'valid',
        }),
        method,
        path: route.path,
        expected: expectedForMethod(route, method),
      }));
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Paths

interface PathCase {
  path: string;
  /** GET's answer; HEAD shares it. */
  get: readonly number[];
  /** POST's answer with a valid token and event for public.cps.za.test. */
  post: readonly number[];
  /** Not expressible as an HTTP request target. */
  eventOnly?: boolean;
}

function pathCases(options: GeneratorOptions): PathCase[] {
  const long = absurdLength(options, 100_000);
  // When the HTTP front's URL parser rejects a target, a 400 is the honest answer; 404 is fine too.
  const unparsable: Pick<PathCase, 'get' | 'post'> = { get: [400, 404], post: [400, 404] };
  return [
    { path: '/', get: [404], post: [404] },
    { path: '/foo', get: [404], post: [404] },
    { path: '/topics/public.cps.za.test/extra', get: [404], post: [404] },
    { path: '/topics/public.cps.za.test/', get: [200], post: [202] },
    { path: '/topics/', get: [200], post: [405] },
    { path: '/api/', get: [200], post: [405] },
    { path: '/health/', get: [200], post: [405] },
    { path: '/topics//', get: [404], post: [404] },
    { path: '//topics', get: [404], post: [404] },
    { path: '//topics/public.cps.za.test', get: [404], post: [404] },
    { path: '/topics//public.cps.za.test', get: [404], post: [404] },
    { path: '//', ...unparsable },
    { path: '///', ...unparsable },
    { path: '//[', ...unparsable },
    { path: '//:99999/topics', ...unparsable },
    { path: '//a:b@c/topics', get: [404], post: [404] },
    { path: '/TOPICS', get: [404], post: [404] },
    { path: '/Topics/public.cps.za.test', get: [404], post: [404] },
    { path: '/API', get: [404], post: [404] },
    { path: '/Health', get: [404], post: [404] },
    { path: '/TERMINATE', get: [404], post: [404] },
    { path: '/topics/PUBLIC.CPS.ZA.TEST', get: [200], post: [202] },
    { path: '/topics/Public.Cps.Za.Test', get: [200], post: [202] },
    { path: '/docs/../../etc/passwd', get: [404], post: [404] },
    { path: '/docs/../../package.json', get: [404], post: [404] },
    { path: '/docs/..%2F..%2Fpackage.json', get: [404], post: [405] },
    { path: '/docs/%2e%2e%2f%2e%2e%2fpackage.json', get: [404], post: [405] },
    { path: '/docs/..%5C..%5Cpackage.json', get: [404], post: [405] },
    { path: '/docs/..', get: [404], post: [404, 405] },
    { path: '/docs/%2e%2e', get: [404], post: [404, 405] },
    { path: '/docs/%2Fetc%2Fpasswd', get: [404], post: [405] },
    { path: '/topics/..%2fterminate', get: [404], post: [404] },
    { path: '/topics/%2e%2e%2fterminate', get: [404], post: [404] },
    { path: '/topics/public.cps.za.test%2F..', get: [404], post: [404] },
    { path: '/topics/public.cps.za%2Etest', get: [200], post: [202] },
    { path: '/topics/public%2ecps%2eza%2etest', get: [200], post: [202] },
    { path: '/%74opics', get: [404], post: [404] },
    { path: '/topics%2Fpublic.cps.za.test', get: [404], post: [404] },
    { path: '/topics/%E0%A4%A', get: [404], post: [404] },
    { path: '/topics/%', get: [404], post: [404] },
    { path: '/topics/%zz', get: [404], post: [404] },
    { path: '/topics/%00', get: [404], post: [404] },
    { path: '/topics/%ff', get: [404], post: [404] },
    { path: '/topics/%C0%AE%C0%AE', get: [404], post: [404] },
    { path: '/topics/public.cps.za.test%00', get: [404], post: [404] },
    { path: '/docs/%E0%A4%A', get: [404], post: [405] },
    { path: '/%E0%A4%A', get: [404], post: [404] },
    { path: '/topics/%20public.cps.za.test', get: [200, 404], post: [202, 404] },
    { path: '/topics/public.cps.za.test%20', get: [200, 404], post: [202, 404] },
    { path: `/topics/${'a'.repeat(long)}`, get: [404], post: [404] },
    { path: `/${'a/'.repeat(Math.floor(long / 2))}`, get: [404], post: [404] },
    { path: `/topics/public.cps.za.test${'/'.repeat(Math.min(long, 2_000))}`, get: [404], post: [404] },
    { path: '/topics/\u00fcn\u00efc\u00f8d\u00e9', get: [404], post: [404] },
    { path: '/topics/public.cps.za.test;jsessionid=1', get: [404], post: [404] },
    { path: '/\\topics', get: [404], post: [404] },
    { path: '/topics/public.cps.za.test#fragment', get: [200, 404], post: [202, 404] },
    { path: '', get: [404], post: [404], eventOnly: true },
    { path: 'topics/public.cps.za.test', get: [404], post: [404], eventOnly: true },
    { path: '/topics/public.cps.za.test?x=1', get: [404], post: [404], eventOnly: true },
    { path: '/topics/a\u0000b', get: [404], post: [404], eventOnly: true },
    { path: '/topics/a b', get: [404], post: [404], eventOnly: true },
    { path: '/topics/a\r\nX-Injected: 1', get: [404], post: [404], eventOnly: true },
  ].filter((entry) => options.transport === 'event' || !entry.eventOnly);
}

function pathRequestCases(options: GeneratorOptions): Array<() => GeneratedRequest> {
  const target = options.targets[0] as Target;
  const cases: Array<() => GeneratedRequest> = [];
  for (const entry of pathCases(options)) {
    for (const method of ['GET', 'HEAD', 'POST'] as const) {
      cases.push(() => ({
        ...postTo(target, options, {
          label: `path/${method}`,
          body: jsonBytes(target.event()),
          auth: 'valid',
        }),
        method,
        path: entry.path,
        expected: method === 'POST' ? entry.post : entry.get,
      }));
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Random mixes

function chaosCase(
  options: GeneratorOptions,
  bodies: Array<() => BodyCase>,
  paths: PathCase[],
): GeneratedRequest {
  const { rng } = options;
  const methods: readonly string[] =
    options.transport === 'http' ? HTTP_METHODS : [...HTTP_METHODS, ...ODD_METHODS];
  const method = rng.chance(0.6) ? 'POST' : rng.pick(methods);
  const target = rng.pick(options.targets);
  const useTopic = rng.chance(0.7);
  const path = useTopic ? `/topics/${target.topic}` : rng.pick(paths).path;
  const headers: Array<[string, string]> = [];
  if (rng.chance(0.8))
    headers.push(['Content-Type', rng.pick(contentTypeTable(options))[0] ?? 'application/json']);
  const token = tokenFor(options, rng.chance(0.8) ? target.subject : STRANGER);
  if (rng.chance(0.85)) headers.push(['Authorization', rng.pick(authorizationTable(token, options))[0]]);
  if (rng.chance(0.2)) headers.push(['Idempotency-Key', rng.pick(['k', 'k'.repeat(300), '', 'a b'])]);
  if (rng.chance(0.2)) headers.push(['X-Correlation-ID', rng.pick(['ok-id', 'bad id', 'x'.repeat(500)])]);
  const body = rng.chance(0.1) ? { label: 'none', body: null } : rng.pick(bodies)();
  return {
    label: `chaos/${body.label}`,
    method,
    path,
    query: rng.chance(0.1) ? 'a=1&a=2&%zz=%E0%A4%A' : '',
    headers,
    body: body.body,
  };
}

// ---------------------------------------------------------------------------------------------
// The stream

/**
 * `count` requests: every hand-written case once (its random parameters drawn from the rng), then
 * random picks of them and random mixes. Lazy, so large bodies are built only when needed.
 */
export function* generateRequests(options: GeneratorOptions, count: number): Generator<GeneratedRequest> {
  const { rng } = options;
  const bodyFamilies = options.targets.map((target) => ({ target, cases: bodyCases(target, options) }));
  const bodyRequests: Array<() => GeneratedRequest> = bodyFamilies.flatMap(({ target, cases }) =>
    cases.map((make) => () => {
      const body = make();
      const auth = chooseAuth(rng);
      return postTo(target, options, {
        label: body.label,
        body: body.body,
        auth,
        expected: body.expected,
        beforeAuth: body.beforeAuth,
      });
    }),
  );
  const messageSizeRequests: Array<() => GeneratedRequest> = options.targets.flatMap((target) =>
    messageSizeCases(target, options).map((make) => () => {
      const body = make();
      return postTo(target, options, {
        label: body.label,
        body: body.body,
        auth: 'valid',
        expected: body.expected,
      });
    }),
  );
  const families: Array<{ weight: number; cases: Array<() => GeneratedRequest> }> = [
    { weight: 40, cases: bodyRequests },
    { weight: 1, cases: messageSizeRequests },
    { weight: 5, cases: sizeCases(options) },
    {
      weight: options.transport === 'event' ? 6 : 0,
      cases: options.transport === 'event' ? encodingCases(options) : [],
    },
    { weight: 15, cases: headerCases(options) },
    { weight: 12, cases: methodCases(options) },
    { weight: 12, cases: pathRequestCases(options) },
  ];
  const allBodies = bodyFamilies.flatMap((family) => family.cases);
  const paths = pathCases(options);

  let produced = 0;
  for (const family of families) {
    for (const make of family.cases) {
      if (produced >= count) return;
      produced++;
      yield make();
    }
  }
  const totalWeight = families.reduce((sum, family) => sum + family.weight, 0) + 10;
  while (produced < count) {
    produced++;
    let roll = rng.next() * totalWeight;
    const family = families.find((candidate) => {
      roll -= candidate.weight;
      return roll < 0 && candidate.cases.length > 0;
    });
    yield family ? rng.pick(family.cases)() : chaosCase(options, allBodies, paths);
  }
}

/** How many requests the sweep of hand-written cases holds for these options. */
export function sweepSize(options: GeneratorOptions): number {
  return (
    options.targets.reduce(
      (sum, target) => sum + bodyCases(target, options).length + messageSizeCases(target, options).length,
      0,
    ) +
    sizeCases(options).length +
    (options.transport === 'event' ? encodingCases(options).length : 0) +
    headerCases(options).length +
    methodCases(options).length +
    pathRequestCases(options).length
  );
}

// ---------------------------------------------------------------------------------------------
// Turning a request into what the gateway receives

/** A REST API (v1) proxy event as API Gateway builds it: single headers keep the last value. */
export function toV1Event(
  request: GeneratedRequest,
  requestId: string,
): import('aws-lambda').APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of request.headers) {
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query = parseQuery(request.query);
  const { body, isBase64Encoded } = eventBody(request);
  return {
    resource: '/{proxy+}',
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query.single).length > 0 ? query.single : null,
    multiValueQueryStringParameters: Object.keys(query.multi).length > 0 ? query.multi : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      requestId,
      identity: { sourceIp: '127.0.0.1' },
    } as import('aws-lambda').APIGatewayProxyEvent['requestContext'],
    body,
    isBase64Encoded,
  };
}

/** An HTTP API (v2) event as API Gateway builds it: header names lowercased, repeats joined by commas. */
export function toV2Event(
  request: GeneratedRequest,
  requestId: string,
): import('aws-lambda').APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]},${value}`;
  }
  const query = parseQuery(request.query);
  const { body, isBase64Encoded } = eventBody(request);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.query,
    headers,
    queryStringParameters: Object.keys(query.single).length > 0 ? joinedQuery(query.multi) : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'jest',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body: body ?? undefined,
    isBase64Encoded,
  };
}

function eventBody(request: GeneratedRequest): { body: string | null; isBase64Encoded: boolean } {
  if (request.base64Body !== undefined) return { body: request.base64Body, isBase64Encoded: true };
  if (request.body === null) return { body: null, isBase64Encoded: false };
  // Bytes that are not UTF-8 can only travel base64-encoded, as API Gateway sends binary bodies; a
  // share of text bodies goes that way too (binary media types), picked by length so it is stable.
  const text = request.body.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(request.body);
  if (isText && request.body.length % 4 !== 0) return { body: text, isBase64Encoded: false };
  return { body: request.body.toString('base64'), isBase64Encoded: true };
}

function parseQuery(query: string): { single: Record<string, string>; multi: Record<string, string[]> } {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  if (query === '') return { single, multi };
  for (const part of query.split('&')) {
    const [rawName = '', rawValue = ''] = part.split('=');
    const name = safeDecode(rawName);
    const value = safeDecode(rawValue);
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

function joinedQuery(multi: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(multi).map(([name, values]) => [name, values.join(',')]));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The request as HTTP/1.1 bytes on a connection of its own. Characters a request line or header
 * cannot carry are escaped (path) or replaced (header values), so the HTTP parser accepts it and the
 * request reaches the gateway; malformed HTTP is tested separately.
 */
export function toHttpBytes(request: GeneratedRequest, host: string): Buffer {
  const target = `${escapePath(request.path)}${request.query === '' ? '' : `?${escapePath(request.query)}`}`;
  const lines = [`${request.method} ${target} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
  for (const [name, value] of request.headers) lines.push(`${name}: ${headerSafe(value)}`);
  const body = request.body ?? Buffer.alloc(0);
  if (request.body !== null) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

function escapePath(path: string): string {
  let escaped = '';
  for (const char of path) {
    const code = char.codePointAt(0) as number;
    escaped +=
      code <= 0x20 ||
      code >= 0x7f ||
      char === '"' ||
      char === '<' ||
      char === '>' ||
      char === '`' ||
      char === '{' ||
      char === '}' ||
      char === '|' ||
      char === '^'
        ? [...Buffer.from(char, 'utf8')]
            .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
            .join('')
        : char;
  }
  return escaped;
}

/** Header values travel as Latin-1 text; control characters other than tab cannot travel at all. */
function headerSafe(value: string): string {
  let safe = '';
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    safe += (code < 0x20 && char !== '\t') || code === 0x7f || code > 0xff ? '?' : char;
  }
  return safe;
}

// ---------------------------------------------------------------------------------------------
// The app the in-process requests go to

export interface InProcessGateway {
  app: IngestApp;
  /** Deliveries (sync writes and queue sends) asked for so far. */
  deliveryCount(): number;
  /** Every event handed to a delivery, as its sinks receive it. */
  delivered(): import('../../shared/envelope').Envelope[];
}

/**
 * An SQS client whose transport takes every SendMessageBatch within SQS's limits (10 entries, 1 MiB
 * per message and per call, attributes counted) and refuses the rest as SQS does, in SQS's JSON
 * protocol, answering at once; any other call (GetQueueAttributes, for /health) answers empty.
 * Being the transport, it sees the calls exactly as they would go on the wire. `onBatch` is told of
 * each batch it took.
 */
export function limitKeepingSqs(
  onBatch?: (queueUrl: string, entries: SendMessageBatchRequestEntry[]) => void,
): SQSClient {
  const entryBytes = (entry: SendMessageBatchRequestEntry): number => {
    let bytes = Buffer.byteLength(entry.MessageBody ?? '');
    for (const [name, value] of Object.entries(entry.MessageAttributes ?? {}))
      bytes +=
        Buffer.byteLength(name) +
        Buffer.byteLength(value.DataType ?? '') +
        Buffer.byteLength(value.StringValue ?? '');
    return bytes;
  };
  const answer = (statusCode: number, body: unknown) => ({
    response: {
      statusCode,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    },
  });
  const refuse = (code: string, message: string) =>
    answer(400, { __type: `com.amazonaws.sqs#${code}`, message });
  const transport = {
    async handle(request: { headers: Record<string, string>; body?: unknown }) {
      const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
      const text =
        typeof request.body === 'string'
          ? request.body
          : Buffer.from(request.body as Uint8Array).toString('utf8');
      if (target !== 'AmazonSQS.SendMessageBatch') return answer(200, { Attributes: {} });
      const input = JSON.parse(text) as { QueueUrl: string; Entries?: SendMessageBatchRequestEntry[] };
      const entries = input.Entries ?? [];
      if (entries.length > SQS_MAX_BATCH_ENTRIES)
        return refuse('TooManyEntriesInBatchRequest', 'too many entries');
      const total = entries.reduce((sum, entry) => sum + entryBytes(entry), 0);
      if (total > SQS_MAX_PAYLOAD_BYTES) return refuse('BatchRequestTooLong', `batch of ${total} bytes`);
      const output = {
        Successful: [] as NonNullable<SendMessageBatchCommandOutput['Successful']>,
        Failed: [] as NonNullable<SendMessageBatchCommandOutput['Failed']>,
      };
      const taken: SendMessageBatchRequestEntry[] = [];
      for (const entry of entries) {
        if (entryBytes(entry) > SQS_MAX_PAYLOAD_BYTES) {
          output.Failed.push({
            Id: entry.Id,
            SenderFault: true,
            Code: 'InvalidParameterValue',
            Message: 'message too long',
          });
        } else {
          taken.push(entry);
          output.Successful.push({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: '' });
        }
      }
      onBatch?.(input.QueueUrl, taken);
      return answer(200, output);
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: transport,
  });
}

/**
 * The ingest app on a conf directory with healthy stand-in sinks, a recording sync delivery, and for
 * async topics the real queue publisher over an SQS stand-in that keeps SQS's size limits, so every
 * route can answer as in production without a network and an event too large for SQS shows.
 */
export function inProcessGateway(confDir: string): InProcessGateway {
  const healthySink = async (name: SinkName): Promise<Sink> => ({
    name,
    write: async () => [],
    health: async () => ({ status: 'ok' }),
    close: async () => undefined,
  });
  const sqs = limitKeepingSqs();
  const queueUrls = { postgres: 'https://sqs.local/postgres', kafka: 'https://sqs.local/kafka' };
  const publisher = new QueuePublisher({ client: sqs, queueUrls });
  const sync = new RecordingDelivery(new SyncDelivery({ sinks: healthySink, timeoutMs: 1000 }));
  const queued = { calls: [] as Array<import('../../shared/envelope').Envelope[]> };
  const async: Delivery = {
    health: (sinks, timeoutMs) => publisher.health(sinks, timeoutMs),
    deliver: (sinks, events) => {
      queued.calls.push([...events]);
      return publisher.deliver(sinks, events);
    },
  };
  const app = createIngestApp({
    state: new GatewayStateLoader({ confDir, env: { EVENTGATE_SINKS: IN_PROCESS_SINKS.join(',') } }),
    deliveries: { sync, async },
  });
  return {
    app,
    deliveryCount: () => sync.calls.length + queued.calls.length,
    delivered: () => [...sync.delivered, ...queued.calls.flat()],
  };
}
