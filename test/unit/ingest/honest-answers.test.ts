/**
 * At the gateway: no 5xx for a client's event (sizes measured as
 * each destination measures them), integers delivered digit for digit, no event accepted that
 * Postgres can never store, and derived event ids that belong to their producer.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SinkProvider } from '../../../shared/delivery/sync';
import { SyncDelivery } from '../../../shared/delivery/sync';
import { parseEnvelope, type Envelope } from '../../../shared/envelope';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../../shared/ingest/app';
import { MAX_QUEUE_MESSAGE_BYTES, QueuePublisher } from '../../../shared/queue/publisher';
import { EventBridgeSink } from '../../../shared/sinks/eventbridge/sink';
import { KafkaSink } from '../../../shared/sinks/kafka/sink';
import type { Sink, SinkName } from '../../../shared/sinks/types';
import {
  createTestConf,
  v2Event,
  validRunsEvent,
  validTestEvent,
  type TestConf,
} from '../../helpers/gateway';
import { limitKeepingSqs } from '../../suites/generators';

let conf: TestConf;

/** Message bodies the stand-in SQS took, per queue URL. */
let sent: Map<string, string[]>;
let sqsCalls: number;

function recordingSqs(): SQSClient {
  return limitKeepingSqs((url, entries) => {
    sqsCalls++;
    const bodies = sent.get(url) ?? [];
    for (const entry of entries) bodies.push(entry.MessageBody ?? '');
    sent.set(url, bodies);
  });
}

/** Sinks of the sync path: the real Kafka and EventBridge sinks (their size checks run before any I/O). */
const syncWrites: Envelope[] = [];
const sinkFor: SinkProvider = async (name: SinkName): Promise<Sink> => {
  if (name === 'kafka') return new KafkaSink({ brokers: ['127.0.0.1:9'], timeoutMs: 200, retries: 0 });
  if (name === 'eventbridge') {
    return new EventBridgeSink({
      eventBusArn: 'arn:aws:events:us-east-1:000000000000:event-bus/test',
      clientConfig: {
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      },
      maxAttempts: 1,
      timeoutMs: 200,
    });
  }
  return {
    name,
    write: async (events) => {
      syncWrites.push(...events);
      return events.map((event) => ({ id: event.id, ok: true as const }));
    },
    health: async () => ({ status: 'ok' }),
    close: async () => undefined,
  };
};

function build(): IngestApp {
  sent = new Map();
  sqsCalls = 0;
  syncWrites.length = 0;
  const sqs = recordingSqs();
  const queueUrls = { postgres: 'q://postgres', kafka: 'q://kafka', eventbridge: 'q://eventbridge' };
  return createIngestApp({
    state: new GatewayStateLoader({
      confDir: conf.dir,
      env: { EVENTGATE_SINKS: 'kafka,eventbridge,postgres,s3' },
    }),
    deliveries: {
      sync: new SyncDelivery({ sinks: sinkFor, timeoutMs: 500 }),
      async: new QueuePublisher({ client: sqs, queueUrls }),
    },
  });
}

const TOPICS = {
  'public.cps.za.runs': { mode: 'async', key: 'job_ref', id_field: 'event_id', sinks: ['postgres'] },
  'public.cps.za.dlchange': { mode: 'async', id_field: 'event_id', sinks: ['postgres'] },
  // Sync, to the sinks with their own per-event limits.
  'public.cps.za.test': { mode: 'sync', sinks: ['kafka', 'eventbridge'] },
  'public.cps.za.status_change': { mode: 'async', id_field: 'event_id', sinks: ['kafka', 'postgres'] },
};

/** Runs `test` against a gateway whose topics have these settings instead. */
async function withTopics(topics: Record<string, unknown>, test: () => Promise<void>): Promise<void> {
  conf.setConfig({ topics: { ...TOPICS, ...topics } });
  try {
    app = build();
    await test();
  } finally {
    conf.setConfig({ topics: TOPICS });
  }
}

beforeAll(async () => {
  conf = await createTestConf();
  conf.setConfig({ topics: TOPICS });
});
afterAll(() => conf.cleanup());

let app: IngestApp;
beforeEach(() => {
  app = build();
});

type Body = Record<string, unknown> & {
  errors?: Array<Record<string, unknown>>;
  results?: Array<Record<string, unknown>>;
};
const bodyOf = (response: { body: string }): Body => JSON.parse(response.body) as Body;

async function post(topic: string, body: unknown, subject: string, headers: Record<string, string> = {}) {
  return app(
    v2Event({
      method: 'POST',
      path: `/topics/${topic}`,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await conf.token(subject)}`,
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

const dlchangeEvent = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_id: 'dl-1',
  tenant_id: 'avms',
  source_app: 'jest',
  source_app_version: '1.0.0',
  environment: 'dev',
  timestamp_event: 1_700_000_000_000,
  catalog_id: 'catalog-1',
  operation: 'append',
  format: 'parquet',
  ...extra,
});

describe('1. a client’s event never causes a 5xx: sizes are measured on what is really sent', () => {
  it('answers 413, not 500, for a 680 KB event whose 600 KB key field is copied into the envelope', async () => {
    const event = validRunsEvent({ job_ref: 'j'.repeat(600_000), extra: { pad: 'p'.repeat(80_000) } });
    expect(JSON.stringify(event).length).toBeLessThan(MAX_QUEUE_MESSAGE_BYTES);
    const response = await post('public.cps.za.runs', event, 'FooBarUser');
    expect(response.statusCode).toBe(413);
    const body = bodyOf(response);
    expect(body).toMatchObject({ success: false, statusCode: 413 });
    expect(body.errors?.[0]).toMatchObject({ type: 'size' });
    expect(String(body.errors?.[0]?.message)).toMatch(/queue message/);
    expect(sqsCalls).toBe(0);
  });

  it('answers 413 for 88,000 emoji in one field: 352 KB in the body, over 1 MB escaped for SQS', async () => {
    const event = dlchangeEvent({ source_app: '\u{1F600}'.repeat(88_000) });
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(360_000);
    const response = await post('public.cps.za.dlchange', event, 'FooUser');
    expect(response.statusCode).toBe(413);
    expect(String(bodyOf(response).errors?.[0]?.message)).toMatch(/queue message/);
    expect(sqsCalls).toBe(0);
  });

  it('accepts the largest event that fits, exactly at the limit, and refuses one byte more', async () => {
    // An envelope with a padding field sized so the queue message is exactly MAX_QUEUE_MESSAGE_BYTES.
    const probe = await post('public.cps.za.dlchange', dlchangeEvent({ pad: '' }), 'FooUser');
    expect(probe.statusCode).toBe(202);
    const [overhead] = [...sent.values()].flat().map((body) => Buffer.byteLength(body));
    const fill = MAX_QUEUE_MESSAGE_BYTES - (overhead as number);
    app = build();
    const fits = await post('public.cps.za.dlchange', dlchangeEvent({ pad: 'p'.repeat(fill) }), 'FooUser');
    expect(fits.statusCode).toBe(202);
    expect(Buffer.byteLength([...sent.values()].flat()[0] as string)).toBe(MAX_QUEUE_MESSAGE_BYTES);
    const over = await post(
      'public.cps.za.dlchange',
      dlchangeEvent({ pad: 'p'.repeat(fill + 1) }),
      'FooUser',
    );
    expect(over.statusCode).toBe(413);
    expect(String(bodyOf(over).errors?.[0]?.message)).toContain(`${MAX_QUEUE_MESSAGE_BYTES + 1} bytes`);
  });

  it('in a batch, refuses only the event over the limit (207) and enqueues the rest', async () => {
    const response = await post(
      'public.cps.za.dlchange',
      [
        dlchangeEvent({ event_id: 'small' }),
        dlchangeEvent({ event_id: 'astral', source_app: '\u{1F600}'.repeat(88_000) }),
      ],
      'FooUser',
    );
    expect(response.statusCode).toBe(207);
    const body = bodyOf(response);
    expect(body.results?.map((result) => result.success)).toEqual([true, false]);
    expect(body.results?.[1]).toMatchObject({ statusCode: 413 });
    expect(sent.get('q://postgres')).toHaveLength(1);
  });

  it('sends a batch of large events that fit one by one in as many SQS calls as the 1 MiB per call needs', async () => {
    // Two events that fill a 1 MiB body: each fits in a message, both do not fit in one call.
    const base = Buffer.byteLength(
      JSON.stringify([
        dlchangeEvent({ event_id: 'large-1', source_app: '' }),
        dlchangeEvent({ event_id: 'large-2', source_app: '' }),
      ]),
    );
    const size = Math.floor((1024 * 1024 - 600 - base) / 2);
    const events = [1, 2].map((n) => dlchangeEvent({ event_id: `large-${n}`, source_app: 's'.repeat(size) }));
    const response = await post('public.cps.za.dlchange', events, 'FooUser');
    expect(response.statusCode).toBe(202);
    expect(sqsCalls).toBe(2);
  });

  it('on an async topic with a kafka sink, answers 413 for an event that fits a queue message but not a Kafka record', async () => {
    const event = { event_type: 'JobStartedEvent', pad: 'k'.repeat(1_000_000) };
    const response = await post('public.cps.za.status_change', event, 'TestUser');
    expect(response.statusCode).toBe(413);
    expect(String(bodyOf(response).errors?.[0]?.message)).toMatch(/Kafka record.*1000000/);
    // 40,000 bytes less fits both.
    const fits = await post(
      'public.cps.za.status_change',
      { ...event, pad: 'k'.repeat(960_000) },
      'TestUser',
    );
    expect(bodyOf(fits).errors?.[0]?.type).not.toBe('size');
  });

  it('on a sync topic, answers 413 for an event over a sink’s own limit instead of a 500 from that sink', async () => {
    // EventBridge takes 256 KiB per entry; Kafka about 1 MB per record.
    const overEventBridge = await post(
      'public.cps.za.test',
      validTestEvent({ extra: 'e'.repeat(300_000) }),
      'TestUser',
    );
    expect(overEventBridge.statusCode).toBe(413);
    expect(String(bodyOf(overEventBridge).errors?.[0]?.message)).toMatch(/EventBridge entry.*262144/);
    await withTopics({ 'public.cps.za.test': { mode: 'sync', sinks: ['kafka'] } }, async () => {
      const overKafka = await post(
        'public.cps.za.test',
        validTestEvent({ extra: 'k'.repeat(999_900) }),
        'TestUser',
      );
      expect(overKafka.statusCode).toBe(413);
      expect(String(bodyOf(overKafka).errors?.[0]?.message)).toMatch(/Kafka record.*1000000/);
    });
  });
});

describe('2. integers beyond 2^53 are delivered digit for digit', () => {
  const BIG = ['9007199254740993', '12345678901234567890', '-99999999999999999999', '18446744073709551615'];

  it('enqueues the digits the client sent, and the worker reads them back unchanged', async () => {
    const text = `{"event_id":"big-1","tenant_id":"avms","source_app":"jest","source_app_version":"1","environment":"dev","timestamp_event":${BIG[0]},"catalog_id":"c","operation":"append","format":"parquet","ids":[${BIG.join(',')}],"nested":{"n":${BIG[1]},"f":1.5,"e":1e20}}`;
    const response = await post('public.cps.za.dlchange', text, 'FooUser');
    expect(response.statusCode).toBe(202);
    const [body] = sent.get('q://postgres') ?? [];
    for (const digits of BIG) expect(body).toContain(digits);
    // Floats stay doubles: 1e20 is written as a double is.
    expect(body).toContain('"f":1.5,"e":100000000000000000000');
    const payload = JSON.stringify(parseEnvelope(body as string).payload);
    expect(payload).toContain(`"timestamp_event":${BIG[0]}`);
    expect(payload).toContain(`"ids":[${BIG.join(',')}]`);
    expect(payload).toContain(`"nested":{"n":${BIG[1]},`);
  });

  it('writes the digits on the sync path too, keyed and identified by the exact text', async () => {
    const topic = { mode: 'sync', sinks: ['postgres'], key: 'timestamp', id_field: 'timestamp' };
    await withTopics({ 'public.cps.za.test': topic }, async () => {
      const text = `{"event_id":"e","tenant_id":"avms","source_app":"jest","environment":"dev","timestamp":${BIG[1]}}`;
      const response = await post('public.cps.za.test', text, 'TestUser');
      expect(response.statusCode).toBe(202);
      const [written] = syncWrites;
      expect(JSON.stringify(written?.payload)).toContain(`"timestamp":${BIG[1]}`);
      expect(written?.key).toBe(BIG[1]);
      // The id derived from 12345678901234567890 is not the one derived from 12345678901234567000.
      const rounded = await post(
        'public.cps.za.test',
        { ...JSON.parse(text), timestamp: 12345678901234567000 },
        'TestUser',
      );
      expect(bodyOf(rounded).eventId).not.toBe(bodyOf(response).eventId);
    });
  });

  it('validates a kept integer as the number it is: type integer passes, type string does not', async () => {
    const statusEvent = (timestamp: string, eventId = '3c1e0f52-8f43-4d8e-9d55-0f6a7e2b1c11') =>
      `{"event_type":"JobStartedEvent","event_id":"${eventId}","job_id":"8a2b4c6d-1e3f-4a5b-9c7d-2e4f6a8b0c1d","status_type":"RUNNING","tenant_id":"avms","source_app":"jest","source_app_version":"1","environment":"dev","timestamp_event":${timestamp}}`;
    const accepted = await post('public.cps.za.status_change', statusEvent(BIG[1] as string), 'TestUser');
    expect(bodyOf(accepted).errors ?? []).toEqual([]);
    expect(accepted.statusCode).toBe(202);
    const asString = await post(
      'public.cps.za.dlchange',
      JSON.stringify(dlchangeEvent()).replace('"source_app":"jest"', `"source_app":${BIG[1]}`),
      'FooUser',
    );
    expect(asString.statusCode).toBe(400);
    expect(bodyOf(asString).errors?.[0]).toMatchObject({ instancePath: '/source_app', keyword: 'type' });
  });

  it('still refuses an integer too large for a double (400), as any number that is not finite', async () => {
    const response = await post(
      'public.cps.za.dlchange',
      JSON.stringify(dlchangeEvent()).replace(
        '"timestamp_event":1700000000000',
        `"timestamp_event":1${'0'.repeat(400)}`,
      ),
      'FooUser',
    );
    expect(response.statusCode).toBe(400);
  });
});

describe('3. an event Postgres can never store is refused at ingest, naming the field', () => {
  it('refuses U+0000 in a value with 400 and the field’s path', async () => {
    const response = await post(
      'public.cps.za.dlchange',
      dlchangeEvent({ source_app: 'bad\u0000app' }),
      'FooUser',
    );
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors).toEqual([
      {
        type: 'validation',
        message: '/source_app holds the character U+0000, which the postgres sink cannot store',
        instancePath: '/source_app',
        keyword: 'storable',
      },
    ]);
    expect(sqsCalls).toBe(0);
  });

  it('refuses U+0000 in a key, deep in the event, and unpaired surrogates', async () => {
    const inKey = await post('public.cps.za.dlchange', dlchangeEvent({ meta: { 'a\u0000b': 1 } }), 'FooUser');
    expect(inKey.statusCode).toBe(400);
    expect(bodyOf(inKey).errors?.[0]).toMatchObject({ instancePath: '/meta/a\u0000b', keyword: 'storable' });
    expect(String(bodyOf(inKey).errors?.[0]?.message)).toBe(
      'the key of /meta/a\u0000b holds the character U+0000, which the postgres sink cannot store',
    );

    const deep = await post(
      'public.cps.za.dlchange',
      dlchangeEvent({ meta: { list: ['ok', { 'x/y': 'a\u0000' }] } }),
      'FooUser',
    );
    expect(bodyOf(deep).errors?.[0]).toMatchObject({ instancePath: '/meta/list/1/x~1y' });

    const surrogate = await post(
      'public.cps.za.dlchange',
      dlchangeEvent({ source_app: 'a\ud800b' }),
      'FooUser',
    );
    expect(surrogate.statusCode).toBe(400);
    expect(String(bodyOf(surrogate).errors?.[0]?.message)).toContain('an unpaired surrogate U+D800');
  });

  it('finds the escapes however the client wrote them: upper case, or among ordinary escapes', async () => {
    const text = (value: string): string =>
      JSON.stringify(dlchangeEvent()).replace('"source_app":"jest"', `"source_app":"${value}"`);
    for (const value of ['a\\uD83Db', '\\u00e9\\uDFFF', '\\u0000']) {
      const response = await post('public.cps.za.dlchange', text(value), 'FooUser');
      expect(response.statusCode).toBe(400);
    }
    for (const value of ['\\u00e9\\u4E2D', '\\uD83D\\uDE00', '\\\\u0000']) {
      const response = await post('public.cps.za.dlchange', text(value), 'FooUser');
      expect(bodyOf(response).errors ?? []).toEqual([]);
      expect(response.statusCode).toBe(202);
    }
  });

  it('refuses only what cannot be stored: a batch is 207, and pairs and noncharacters pass', async () => {
    const response = await post(
      'public.cps.za.dlchange',
      [
        dlchangeEvent({ event_id: 'ok', source_app: '\u{1F600}\uffff\u0001' }),
        dlchangeEvent({ event_id: 'nul', source_app: '\u0000' }),
      ],
      'FooUser',
    );
    expect(response.statusCode).toBe(207);
    expect(bodyOf(response).results?.map((result) => result.statusCode ?? 202)).toEqual([202, 400]);
  });

  it('accepts U+0000 on a topic without a postgres sink, whose sinks store it', async () => {
    await withTopics({ 'public.cps.za.test': { mode: 'sync', sinks: ['s3'] } }, async () => {
      const response = await post(
        'public.cps.za.test',
        validTestEvent({ source_app: 'a\u0000b' }),
        'TestUser',
      );
      expect(response.statusCode).toBe(202);
      expect(JSON.stringify(syncWrites[0]?.payload)).toContain('a\\u0000b');
    });
  });
});

describe('4. derived event ids belong to their producer', () => {
  const statusEvent = (): Record<string, unknown> => ({
    event_type: 'JobStartedEvent',
    event_id: '3c1e0f52-8f43-4d8e-9d55-0f6a7e2b1c11',
    job_id: '8a2b4c6d-1e3f-4a5b-9c7d-2e4f6a8b0c1d',
    status_type: 'RUNNING',
    tenant_id: 'avms',
    source_app: 'jest',
    source_app_version: '1',
    environment: 'dev',
    timestamp_event: 1,
  });

  it('gives two producers different ids for the same business id (id_field) and Idempotency-Key', async () => {
    const victim = bodyOf(await post('public.cps.za.status_change', statusEvent(), 'IntegrationTestUser'));
    const squatter = bodyOf(await post('public.cps.za.status_change', statusEvent(), 'TestUser'));
    expect(victim.eventId).toEqual(expect.any(String));
    expect(squatter.eventId).not.toBe(victim.eventId);
    const header = { 'idempotency-key': 'order-42' };
    const first = bodyOf(
      await post('public.cps.za.status_change', statusEvent(), 'IntegrationTestUser', header),
    );
    const other = bodyOf(await post('public.cps.za.status_change', statusEvent(), 'TestUser', header));
    expect(other.eventId).not.toBe(first.eventId);
  });

  it('keeps one producer’s retries idempotent, whatever the case of its subject', async () => {
    const first = bodyOf(await post('public.cps.za.status_change', statusEvent(), 'TestUser'));
    const again = bodyOf(await post('public.cps.za.status_change', statusEvent(), 'TESTUSER'));
    expect(again.eventId).toBe(first.eventId);
  });

  it('lets the Idempotency-Key header win over id_field when both are present', async () => {
    const header = { 'idempotency-key': 'k-1' };
    const withHeader = bodyOf(await post('public.cps.za.status_change', statusEvent(), 'TestUser', header));
    const otherBusinessId = { ...statusEvent(), event_id: '00000000-0000-4000-8000-000000000000' };
    const sameHeader = bodyOf(await post('public.cps.za.status_change', otherBusinessId, 'TestUser', header));
    expect(sameHeader.eventId).toBe(withHeader.eventId);
    const noHeader = bodyOf(await post('public.cps.za.status_change', statusEvent(), 'TestUser'));
    expect(noHeader.eventId).not.toBe(withHeader.eventId);
  });
});
