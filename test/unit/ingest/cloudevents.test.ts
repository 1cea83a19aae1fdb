import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../../shared/ingest/app';
import {
  createTestConf,
  RecordingDelivery,
  v2Event,
  validTestEvent,
  type TestConf,
} from '../../helpers/gateway';

let conf: TestConf;
let app: IngestApp;
let delivery: RecordingDelivery;

beforeAll(async () => {
  conf = await createTestConf();
  conf.setConfig({ topics: { 'public.cps.za.test': { mode: 'sync', id_field: 'event_id' } } });
  // A second producer on the test topic, for the subject-scoped idempotency key.
  const accessFile = path.join(conf.dir, 'access.json');
  const access = JSON.parse(readFileSync(accessFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(accessFile, JSON.stringify({ ...access, 'public.cps.za.test': ['TestUser', 'OtherUser'] }));
});
afterAll(() => conf.cleanup());
beforeEach(() => {
  delivery = new RecordingDelivery();
  app = createIngestApp({
    state: new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }),
    deliveries: { sync: delivery, async: delivery },
  });
});

type Body = {
  statusCode: number;
  eventId?: string;
  errors?: Array<{ type: string; message: string; instancePath?: string; index?: number }>;
  results?: Array<{ success: boolean; eventId?: string; statusCode?: number }>;
};

async function post(body: unknown, headers: Record<string, string>, subject = 'TestUser') {
  const response = await app(
    v2Event({
      method: 'POST',
      path: '/topics/public.cps.za.test',
      headers: { authorization: `Bearer ${await conf.token(subject)}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
  return { status: response.statusCode, body: JSON.parse(response.body) as Body };
}

const cloudEvent = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  specversion: '1.0',
  id: 'ce-1',
  source: 'https://producer.example.com/jobs',
  type: 'com.example.job.finished',
  time: '2026-01-01T12:00:00Z',
  subject: 'job-42',
  datacontenttype: 'application/json',
  dataschema: 'https://schemas.example.com/test/1',
  data: validTestEvent({ event_id: 'data-1' }),
  ...overrides,
});

const STRUCTURED = { 'content-type': 'application/cloudevents+json; charset=utf-8' };
const BATCH = { 'content-type': 'application/cloudevents-batch+json' };

describe('CloudEvents structured mode', () => {
  it('accepts the event in data and keeps the attributes in the envelope', async () => {
    const response = await post(cloudEvent({ traceparent: '00-abc-def-01', sequence: 7 }), STRUCTURED);
    expect(response.status).toBe(202);
    const [envelope] = delivery.delivered;
    expect(envelope?.payload).toEqual(validTestEvent({ event_id: 'data-1' }));
    expect(envelope?.cloudEvent).toEqual({
      specversion: '1.0',
      id: 'ce-1',
      source: 'https://producer.example.com/jobs',
      type: 'com.example.job.finished',
      time: '2026-01-01T12:00:00Z',
      subject: 'job-42',
      datacontenttype: 'application/json',
      dataschema: 'https://schemas.example.com/test/1',
      traceparent: '00-abc-def-01',
      sequence: 7,
    });
    expect(envelope?.id).toBe(response.body.eventId);
  });

  it.each(['id', 'source', 'specversion', 'type'])('answers 400 when %s is missing', async (attribute) => {
    const event = cloudEvent();
    delete event[attribute];
    const response = await post(event, STRUCTURED);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]).toMatchObject({ type: 'cloudevents' });
    expect(response.body.errors?.[0]?.message).toContain(attribute);
    expect(delivery.calls).toHaveLength(0);
  });

  it.each([
    ['an empty id', { id: '' }, /missing required attribute\(s\): id/],
    ['a numeric source', { source: 5 }, /source/],
    ['specversion 0.3', { specversion: '0.3' }, /specversion '0.3'/],
    ['a time that is not RFC 3339', { time: 'yesterday' }, /RFC 3339/],
    ['an upper-case extension name', { traceParent: 'x' }, /lower-case/],
    ['a nested extension', { ext: { a: 1 } }, /extension 'ext'/],
    ['no data', { data: undefined }, /no data/],
    ['data that is not JSON', { datacontenttype: 'text/plain' }, /not JSON/],
    ['huge attributes', { big: 'x'.repeat(5000) }, /more than 4096 bytes/],
  ])('answers 400 for %s', async (_label, overrides, message) => {
    const response = await post(cloudEvent(overrides), STRUCTURED);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toMatch(message);
    expect(delivery.calls).toHaveLength(0);
  });

  it('validates data against the topic schema and reports the path inside data', async () => {
    const response = await post(cloudEvent({ data: validTestEvent({ timestamp: 'soon' }) }), STRUCTURED);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]).toMatchObject({ type: 'validation', instancePath: '/timestamp' });
  });

  it('accepts data_base64 holding JSON, and refuses one that does not', async () => {
    const data = Buffer.from(JSON.stringify(validTestEvent({ event_id: 'b64' }))).toString('base64');
    const ok = await post(cloudEvent({ data: undefined, data_base64: data }), STRUCTURED);
    expect(ok.status).toBe(202);
    expect(delivery.delivered[0]?.payload).toMatchObject({ event_id: 'b64' });
    const bad = await post(cloudEvent({ data: undefined, data_base64: 'bm90IGpzb24=' }), STRUCTURED);
    expect(bad.status).toBe(400);
  });

  it('answers 400 for malformed JSON and an array sent as one event, 415 for other formats', async () => {
    expect((await post('{"specversion":', STRUCTURED)).status).toBe(400);
    expect((await post([cloudEvent()], STRUCTURED)).status).toBe(400);
    expect((await post(cloudEvent(), { 'content-type': 'application/cloudevents+avro' })).status).toBe(415);
  });
});

describe('CloudEvents idempotency', () => {
  it('makes the CloudEvent id the idempotency key: a retry yields the same event id', async () => {
    const first = await post(cloudEvent(), STRUCTURED);
    const retry = await post(cloudEvent({ time: '2026-01-01T12:00:01Z' }), STRUCTURED);
    expect(retry.body.eventId).toBe(first.body.eventId);
    const other = await post(cloudEvent({ id: 'ce-2' }), STRUCTURED);
    expect(other.body.eventId).not.toBe(first.body.eventId);
    const otherSource = await post(cloudEvent({ source: '/elsewhere' }), STRUCTURED);
    expect(otherSource.body.eventId).not.toBe(first.body.eventId);
  });

  it('scopes the key to the authenticated subject, so one producer cannot claim the ids of another', async () => {
    const mine = await post(cloudEvent(), STRUCTURED, 'TestUser');
    const theirs = await post(cloudEvent(), STRUCTURED, 'OtherUser');
    expect(mine.status).toBe(202);
    expect(theirs.status).toBe(202);
    expect(theirs.body.eventId).not.toBe(mine.body.eventId);
  });

  it('prefers the CloudEvent id over Idempotency-Key and the topic id_field', async () => {
    const plain = await post(cloudEvent(), STRUCTURED);
    const withHeader = await post(cloudEvent(), { ...STRUCTURED, 'idempotency-key': 'other-key' });
    expect(withHeader.body.eventId).toBe(plain.body.eventId);
  });
});

describe('CloudEvents batched mode', () => {
  it('accepts a batch, each event with its own attributes, and reports failures per index', async () => {
    const missingType = cloudEvent({ id: 'ce-b2' });
    delete missingType.type;
    const response = await post(
      [cloudEvent({ id: 'ce-b1' }), missingType, cloudEvent({ id: 'ce-b3', data: { bad: true } }), 7],
      BATCH,
    );
    expect(response.status).toBe(207);
    expect(response.body.results?.map((result) => result.success)).toEqual([true, false, false, false]);
    expect(response.body.results?.map((result) => result.statusCode ?? 202)).toEqual([202, 400, 400, 400]);
    expect(delivery.delivered.map((envelope) => envelope.cloudEvent?.id)).toEqual(['ce-b1']);
  });

  it('answers 400 for a batch body that is not an array, and for an empty one', async () => {
    expect((await post(cloudEvent(), BATCH)).status).toBe(400);
    expect((await post([], BATCH)).status).toBe(400);
  });
});

describe('CloudEvents binary mode', () => {
  const binaryHeaders = (overrides: Record<string, string> = {}): Record<string, string> => ({
    'content-type': 'application/json',
    'ce-specversion': '1.0',
    'ce-id': 'bin-1',
    'ce-source': '/producer/binary',
    'ce-type': 'com.example.binary',
    'ce-subject': 'caf%C3%A9',
    'ce-time': '2026-01-01T12:00:00.123+02:00',
    ...overrides,
  });

  it('takes the attributes from ce-* headers (percent-decoded) and the event from the body', async () => {
    const response = await post(validTestEvent({ event_id: 'bin' }), binaryHeaders());
    expect(response.status).toBe(202);
    expect(delivery.delivered[0]?.payload).toEqual(validTestEvent({ event_id: 'bin' }));
    expect(delivery.delivered[0]?.cloudEvent).toEqual({
      specversion: '1.0',
      id: 'bin-1',
      source: '/producer/binary',
      type: 'com.example.binary',
      subject: 'café',
      time: '2026-01-01T12:00:00.123+02:00',
      datacontenttype: 'application/json',
    });
  });

  it.each(['ce-id', 'ce-source', 'ce-type'])('answers 400 without %s', async (header) => {
    const headers = binaryHeaders();
    delete headers[header];
    const response = await post(validTestEvent(), headers);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toContain(header.slice(3));
  });

  it('answers 400 for a bad header encoding and a bad specversion, and treats an array body as one event', async () => {
    expect((await post(validTestEvent(), binaryHeaders({ 'ce-subject': '%E0%A4%A' }))).status).toBe(400);
    expect((await post(validTestEvent(), binaryHeaders({ 'ce-specversion': '2.0' }))).status).toBe(400);
    const array = await post([validTestEvent()], binaryHeaders());
    expect(array.status).toBe(400);
    expect(array.body.results).toBeUndefined();
    expect(delivery.calls).toHaveLength(0);
  });

  it('leaves plain JSON without ce-specversion as it was', async () => {
    const response = await post(validTestEvent({ event_id: 'plain' }), {
      'content-type': 'application/json',
      'ce-id': 'x',
    });
    expect(response.status).toBe(202);
    expect(delivery.delivered[0]?.cloudEvent).toBeUndefined();
  });
});
