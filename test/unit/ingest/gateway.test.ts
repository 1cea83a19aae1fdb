import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { parse as parseYaml } from 'yaml';
import { SyncDelivery } from '../../../shared/delivery/sync';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../../shared/ingest/app';
import { matchRoute, ROUTES } from '../../../shared/ingest/routes';
import { QueuePublisher } from '../../../shared/queue/publisher';
import { READ_ROUTES } from '../../../shared/read/routes';
import type { Sink, SinkName } from '../../../shared/sinks/types';
import {
  createTestConf,
  RecordingDelivery,
  v1Event,
  v2Event,
  validRunsEvent,
  validTestEvent,
  type TestConf,
} from '../../helpers/gateway';

let conf: TestConf;
let app: IngestApp;
let sync: RecordingDelivery;
let asyncDelivery: RecordingDelivery;
let sinkHealth: Partial<Record<SinkName, Awaited<ReturnType<Sink['health']>>>>;

function build(env: NodeJS.ProcessEnv = { EVENTGATE_SINKS: 'postgres,kafka' }): IngestApp {
  sinkHealth = {};
  const state = new GatewayStateLoader({ confDir: conf.dir, env });
  const sinks = async (name: SinkName): Promise<Sink> => ({
    name,
    write: async () => [],
    health: async () => sinkHealth[name] ?? { status: 'ok' },
    close: async () => undefined,
  });
  sync = new RecordingDelivery(new SyncDelivery({ sinks, timeoutMs: 1000 }));
  asyncDelivery = new RecordingDelivery(
    new QueuePublisher({
      // Queue health is covered against a real SQS server in the integration suite.
      client: new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
      queueUrls: {},
    }),
  );
  return createIngestApp({ state, deliveries: { sync, async: asyncDelivery } });
}

// The shipped config makes every topic async; here the test topic is sync so both paths are covered.
const SYNC_TEST_TOPIC = {
  'public.cps.za.test': { mode: 'sync', id_field: 'event_id', max_event_bytes: 65536 },
  'public.cps.za.runs': { mode: 'async', key: 'job_ref', id_field: 'event_id' },
};

beforeAll(async () => {
  conf = await createTestConf();
  conf.setConfig({ topics: SYNC_TEST_TOPIC });
});
afterAll(() => conf.cleanup());
beforeEach(() => {
  app = build();
});

type Body = Record<string, unknown> & { errors?: Array<Record<string, unknown>> };
const bodyOf = (response: { body: string }): Body => JSON.parse(response.body) as Body;

async function post(topic: string, body: unknown, headers: Record<string, string> = {}) {
  return app(
    v2Event({
      method: 'POST',
      path: `/topics/${topic}`,
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

async function authed(subject = 'TestUser'): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await conf.token(subject)}` };
}

describe('catalogue routes', () => {
  it('serves the OpenAPI document, which lists exactly the routes the gateway serves', async () => {
    const response = await app(v2Event({ method: 'GET', path: '/api' }));
    expect(response.statusCode).toBe(200);
    expect(response.headers['Content-Type']).toBe('application/yaml');
    const spec = parseYaml(response.body) as { paths: Record<string, Record<string, unknown>> };
    // One operation per topic is documented on top of the generic routes: each must be served by
    // the generic POST route, for exactly the topics the gateway has.
    const topicOf = (item: Record<string, unknown>): string | undefined =>
      (item.post as Record<string, unknown> | undefined)?.['x-eventgate-topic'] as string | undefined;
    const perTopic = Object.entries(spec.paths).filter(([, item]) => topicOf(item) !== undefined);
    for (const [path, item] of perTopic) {
      expect(Object.keys(item).filter((key) => key !== 'parameters')).toEqual(['post']);
      expect(matchRoute('POST', path)).toMatchObject({
        kind: 'found',
        path: '/topics/{topic}',
        method: 'POST',
        params: { topic: topicOf(item) },
      });
    }
    const topics = JSON.parse((await app(v2Event({ method: 'GET', path: '/topics' }))).body) as string[];
    expect(perTopic.map(([, item]) => topicOf(item)).sort()).toEqual([...topics].sort());
    const documented = Object.entries(spec.paths)
      .filter(([, item]) => topicOf(item) === undefined)
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((key) => ['get', 'post', 'put', 'delete', 'patch', 'options'].includes(key))
          .map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    // The read function serves its routes from the same document.
    const served = [...ROUTES, ...READ_ROUTES]
      .flatMap((route) => route.methods.map((method) => `${method} ${route.path}`))
      .sort();
    expect(documented).toEqual(served);
  });

  it('serves Swagger UI from its own assets, with no CDN', async () => {
    const page = await app(v2Event({ method: 'GET', path: '/docs' }));
    expect(page.statusCode).toBe(200);
    expect(page.headers['Content-Type']).toMatch(/text\/html/);
    expect(page.body).not.toMatch(/https?:\/\//);
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']) {
      expect(page.body).toContain(`docs/${asset}`);
      const response = await app(v2Event({ method: 'GET', path: `/docs/${asset}` }));
      expect(response.statusCode).toBe(200);
      expect(response.body.length).toBeGreaterThan(20);
    }
    expect((await app(v2Event({ method: 'GET', path: '/docs/../../etc/passwd' }))).statusCode).toBe(404);
    expect((await app(v2Event({ method: 'GET', path: '/docs/package.json' }))).statusCode).toBe(404);
  });

  it('redirects /token to the token provider with 303', async () => {
    const response = await app(v2Event({ method: 'GET', path: '/token' }));
    expect(response.statusCode).toBe(303);
    expect(response.headers.Location).toBe('https://login.example.com/token');
  });

  it('lists topics in a stable order and serves a schema case-insensitively with its mode', async () => {
    const list = await app(v2Event({ method: 'GET', path: '/topics' }));
    expect(JSON.parse(list.body)).toEqual([
      'public.cps.za.dlchange',
      'public.cps.za.runs',
      'public.cps.za.status_change',
      'public.cps.za.test',
    ]);
    const schema = await app(v2Event({ method: 'GET', path: '/topics/PUBLIC.CPS.ZA.TEST' }));
    expect(schema.statusCode).toBe(200);
    expect(bodyOf(schema).title).toBe('public.cps.za.test');
    expect(schema.headers['X-EventGate-Topic-Mode']).toBe('sync');
    expect(schema.headers['X-EventGate-Topic-Sinks']).toBe('kafka,postgres');
    const missing = await app(v2Event({ method: 'GET', path: '/topics/nope' }));
    expect(missing.statusCode).toBe(404);
    expect(bodyOf(missing)).toEqual({
      success: false,
      statusCode: 404,
      errors: [{ type: 'topic', message: "Topic 'nope' not found" }],
    });
  });

  it('answers 404 for unknown routes and 405 with Allow for a known route and wrong method', async () => {
    const unknown = await app(v2Event({ method: 'GET', path: '/nothing/here' }));
    expect(unknown.statusCode).toBe(404);
    expect(bodyOf(unknown).errors?.[0]?.type).toBe('route');
    const wrong = await app(v2Event({ method: 'DELETE', path: '/topics/public.cps.za.test' }));
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.Allow).toBe('GET, POST, OPTIONS');
    const postApi = await app(v2Event({ method: 'POST', path: '/api' }));
    expect(postApi.statusCode).toBe(405);
    expect(postApi.headers.Allow).toBe('GET, OPTIONS');
  });

  it('answers HEAD like GET without a body', async () => {
    const response = await app(v2Event({ method: 'HEAD', path: '/topics' }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
  });
});

describe('health', () => {
  it('is 200 with per-dependency status when every sink in use is healthy', async () => {
    const response = await app(v2Event({ method: 'GET', path: '/health' }));
    const body = bodyOf(response);
    // Async topics need their queues, and none is configured in this unit setup.
    expect(response.statusCode).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.failures).toEqual({ kafka: 'queue not configured', postgres: 'queue not configured' });
    expect((body.dependencies as Record<string, string>).eventbridge).toBe('not configured');
  });

  it('reports signing keys that cannot be loaded as 503', async () => {
    conf.setConfig({ token_public_keys_url: `${conf.dir}/no-such-keys.json` });
    app = build({ EVENTGATE_SINKS: 'postgres' });
    const response = await app(v2Event({ method: 'GET', path: '/health' }));
    expect(response.statusCode).toBe(503);
    expect(Object.keys(bodyOf(response).failures as object)).toContain('tokens');
    conf.setConfig({ token_public_keys_url: `${conf.dir}/jwks.json` });
  });

  it('is 503 while no signing key is configured: every producer would get 401', async () => {
    conf.setConfig({ token_public_keys_url: '' });
    app = build({ EVENTGATE_SINKS: 'postgres' });
    const response = await app(v2Event({ method: 'GET', path: '/health' }));
    expect(response.statusCode).toBe(503);
    expect((bodyOf(response).failures as Record<string, string>).tokens).toMatch(
      /no signing keys configured/,
    );
    conf.setConfig({ token_public_keys_url: `${conf.dir}/jwks.json` });
  });

  it('reports a failing sink of a sync topic as 503 with the reason', async () => {
    conf.setConfig({
      topics: { 'public.cps.za.test': { mode: 'sync' } },
    });
    const env = { EVENTGATE_SINKS: 'postgres' };
    app = build(env);
    // Only the sync topic keeps its settings; the other topics are async and need the queue.
    sinkHealth.postgres = { status: 'down', message: 'connection refused' };
    const response = await app(v2Event({ method: 'GET', path: '/health' }));
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response).failures).toEqual({ postgres: 'queue not configured' });
    conf.setConfig({
      topics: {
        'public.cps.za.test': { mode: 'sync' },
        'public.cps.za.runs': { mode: 'sync' },
        'public.cps.za.dlchange': { mode: 'sync' },
        'public.cps.za.status_change': { mode: 'sync' },
      },
    });
    app = build(env);
    sinkHealth.postgres = { status: 'down', message: 'connection refused' };
    const allSync = await app(v2Event({ method: 'GET', path: '/health' }));
    expect(allSync.statusCode).toBe(503);
    expect(bodyOf(allSync).failures).toEqual({ postgres: 'connection refused' });
    sinkHealth.postgres = { status: 'ok' };
    const healthy = await app(v2Event({ method: 'GET', path: '/health' }));
    expect(healthy.statusCode).toBe(200);
    expect(typeof bodyOf(healthy).uptime_seconds).toBe('number');
  });

  afterAll(async () => {
    const original = await createTestConf();
    original.setConfig({ topics: SYNC_TEST_TOPIC });
    conf.cleanup();
    conf = original;
  });
});

describe('POST /topics/{topic}: check order and error shapes', () => {
  it('accepts a valid event with 202, an event id and the correlation id echoed', async () => {
    const response = await post('public.cps.za.test', validTestEvent(), {
      ...(await authed()),
      'x-correlation-id': 'corr-123',
    });
    expect(response.statusCode).toBe(202);
    const body = bodyOf(response);
    expect(body).toMatchObject({ success: true, statusCode: 202, topic: 'public.cps.za.test', mode: 'sync' });
    expect(body.eventId).toMatch(/^[0-9a-f-]{36}$/);
    // The very text JSON.stringify writes for the documented object, key order included.
    expect(response.body).toBe(
      JSON.stringify({
        success: true,
        statusCode: 202,
        eventId: body.eventId,
        topic: 'public.cps.za.test',
        mode: 'sync',
      }),
    );
    expect(response.headers).toEqual({
      'Content-Type': 'application/json',
      'X-Correlation-ID': 'corr-123',
    });
    expect(response.headers['X-Correlation-ID']).toBe('corr-123');
    expect(sync.delivered).toHaveLength(1);
    expect(sync.delivered[0]).toMatchObject({
      topic: 'public.cps.za.test',
      subject: 'TestUser',
      correlationId: 'corr-123',
    });
  });

  it('sends async topics to the queue delivery and sync topics to the sinks', async () => {
    const headers = await authed('IntegrationTestUser');
    const response = await post(
      'public.cps.za.status_change',
      {
        event_type: 'JobStartedEvent',
        event_id: '0b8d2c7e-3a41-4c55-9f1e-4d2b6a7c8e90',
        job_id: '5f7e1a2b-9c3d-4e8f-a1b2-c3d4e5f6a7b8',
        status_type: 'RUNNING',
      },
      headers,
    );
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response).mode).toBe('async');
    expect(asyncDelivery.delivered).toHaveLength(1);
    expect(asyncDelivery.delivered[0]?.key).toBe('5f7e1a2b-9c3d-4e8f-a1b2-c3d4e5f6a7b8');
    expect(sync.calls).toHaveLength(0);
  });

  it('generates a correlation id when the caller sends none or an unsafe one', async () => {
    const response = await post('public.cps.za.test', validTestEvent(), {
      ...(await authed()),
      'x-correlation-id': 'bad id with spaces',
    });
    expect(response.headers['X-Correlation-ID']).toBe('req-v2');
    const v1 = await app(
      v1Event({ method: 'GET', path: '/topics', headers: { 'X-Request-ID': 'from-request-id' } }),
    );
    expect(v1.headers['X-Correlation-ID']).toBe('from-request-id');
  });

  it('401 for a missing, malformed, forged or expired token, even for unknown topics', async () => {
    expect((await post('public.cps.za.test', validTestEvent())).statusCode).toBe(401);
    expect((await post('no.such.topic', validTestEvent())).statusCode).toBe(401);
    const expired = await conf.token('TestUser', { expiresIn: '-1m' });
    const response = await post('public.cps.za.test', validTestEvent(), {
      authorization: `Bearer ${expired}`,
    });
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toEqual({
      success: false,
      statusCode: 401,
      errors: [{ type: 'auth', message: 'Invalid or missing token' }],
    });
    const forged = `${(await conf.token('TestUser')).slice(0, -4)}AAAA`;
    expect(
      (await post('public.cps.za.test', validTestEvent(), { authorization: `Bearer ${forged}` })).statusCode,
    ).toBe(401);
    expect(
      (await post('public.cps.za.test', validTestEvent(), { authorization: 'Basic dXNlcjpwYXNz' }))
        .statusCode,
    ).toBe(401);
  });

  it('accepts the legacy bearer: header', async () => {
    const token = await conf.token('TestUser');
    expect((await post('public.cps.za.test', validTestEvent(), { bearer: token })).statusCode).toBe(202);
  });

  it('404 for an unknown topic once authenticated, before any body check', async () => {
    const response = await post('no.such.topic', 'not json', await authed());
    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).errors).toEqual([{ type: 'topic', message: "Topic 'no.such.topic' not found" }]);
  });

  it('403 for a subject not allowed on the topic, before the body is parsed', async () => {
    const response = await post('public.cps.za.test', '{broken', await authed('SomeoneElse'));
    expect(response.statusCode).toBe(403);
    expect(bodyOf(response).errors).toEqual([
      { type: 'auth', message: "User 'SomeoneElse' is not authorized for topic 'public.cps.za.test'" },
    ]);
  });

  it('matches the subject case-insensitively', async () => {
    expect((await post('public.cps.za.test', validTestEvent(), await authed('testuser'))).statusCode).toBe(
      202,
    );
  });

  it('403 permission for a restricted user whose field values are not allowed', async () => {
    const headers = await authed('RestrictedTestUser');
    expect((await post('public.cps.za.runs', validRunsEvent(), headers)).statusCode).toBe(202);
    const wrong = await post('public.cps.za.runs', validRunsEvent({ environment: 'prod' }), headers);
    expect(wrong.statusCode).toBe(403);
    expect(bodyOf(wrong).errors?.[0]).toEqual({
      type: 'permission',
      message: "Field 'environment' value not permitted for user 'RestrictedTestUser'",
    });
    const { tenant_id: _omitted, ...withoutTenant } = validRunsEvent();
    const missing = await post('public.cps.za.runs', withoutTenant, headers);
    expect(missing.statusCode).toBe(403);
    expect(bodyOf(missing).errors?.[0]?.message).toBe("Required field 'tenant_id' missing from message");
  });

  it('400 validation listing every schema error with its instancePath, formats enforced', async () => {
    const response = await post('public.cps.za.test', { event_id: 7, tenant_id: 'x' }, await authed());
    expect(response.statusCode).toBe(400);
    const errors = bodyOf(response).errors ?? [];
    expect(errors.every((error) => error.type === 'validation')).toBe(true);
    expect(errors.map((error) => error.instancePath)).toEqual(expect.arrayContaining(['/event_id', '']));
    expect(errors.length).toBeGreaterThanOrEqual(4);
    const badUuid = await post(
      'public.cps.za.status_change',
      { event_type: 'JobStartedEvent', event_id: 'not-a-uuid', job_id: 'also-not', status_type: 'RUNNING' },
      await authed(),
    );
    expect(badUuid.statusCode).toBe(400);
    expect((bodyOf(badUuid).errors ?? []).map((error) => error.instancePath).sort()).toEqual([
      '/event_id',
      '/job_id',
    ]);
  });

  it.each([
    ['malformed JSON', '{"event_id": '],
    ['a JSON string', '"hello"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['an empty body', ''],
    ['an empty array', '[]'],
  ])('400 validation for %s', async (_, body) => {
    const response = await post('public.cps.za.test', body, await authed());
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ success: false, statusCode: 400 });
    expect(bodyOf(response).errors?.[0]?.type).toBe('validation');
  });

  it('400 for a body that is not UTF-8', async () => {
    const event = v2Event({
      method: 'POST',
      path: '/topics/public.cps.za.test',
      headers: { 'content-type': 'application/json', ...(await authed()) },
      body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'),
    });
    event.isBase64Encoded = true;
    expect((await app(event)).statusCode).toBe(400);
  });

  it('415 for a content type other than JSON; application/*+json and charset are fine', async () => {
    const headers = await authed();
    const form = await post('public.cps.za.test', validTestEvent(), {
      ...headers,
      'content-type': 'text/plain',
    });
    expect(form.statusCode).toBe(415);
    expect(bodyOf(form).errors?.[0]?.type).toBe('content_type');
    // application/cloudevents+json is a CloudEvent, not a plain event: see cloudevents.test.ts.
    for (const type of ['application/json; charset=utf-8', 'application/vnd.example.event+json']) {
      expect(
        (await post('public.cps.za.test', validTestEvent(), { ...headers, 'content-type': type })).statusCode,
      ).toBe(202);
    }
  });

  it('413 for a body over max_body_bytes, before the token is even checked', async () => {
    const huge = JSON.stringify(validTestEvent({ additional_info: { blob: 'x'.repeat(1024 * 1024) } }));
    const response = await post('public.cps.za.test', huge);
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response).errors?.[0]?.type).toBe('size');
  });

  it('413 for an event that only grows past max_event_bytes when written out again', async () => {
    // 3,000 × `1e20` is 15 kB as sent and 66 kB once serialised (each becomes 21 digits).
    const numbers = `[${Array.from({ length: 3000 }, () => '1e20').join(',')}]`;
    const body = JSON.stringify(validTestEvent({ additional_info: { n: 0 } })).replace(
      '{"n":0}',
      `{"n":${numbers}}`,
    );
    const response = await post('public.cps.za.test', body, await authed());
    expect(response.statusCode).toBe(413);
  });

  it('413 for an event over the topic max_event_bytes', async () => {
    const big = validTestEvent({ additional_info: { blob: 'x'.repeat(70_000) } });
    const response = await post('public.cps.za.test', big, await authed());
    expect(response.statusCode).toBe(413);
  });

  it('500 naming each failed sink, in the error shape, with the event id', async () => {
    sync.failing = new Set(['kafka', 'postgres']);
    const response = await post('public.cps.za.test', validTestEvent(), await authed());
    expect(response.statusCode).toBe(500);
    const body = bodyOf(response);
    expect(body.success).toBe(false);
    expect(body.errors).toEqual([
      { type: 'kafka', message: 'kafka is down' },
      { type: 'postgres', message: 'postgres is down' },
    ]);
    expect(body.eventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts REST API (v1) events the same way', async () => {
    const response = await app(
      v1Event({
        method: 'POST',
        path: '/topics/public.cps.za.test',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${await conf.token('TestUser')}`,
        },
        body: JSON.stringify(validTestEvent()),
      }),
    );
    expect(response.statusCode).toBe(202);
  });
});

describe('batches', () => {
  it('202 when every event of the batch is accepted, one event id each', async () => {
    const response = await post(
      'public.cps.za.test',
      [validTestEvent(), validTestEvent({ event_id: 'e-2' })],
      await authed(),
    );
    expect(response.statusCode).toBe(202);
    const body = bodyOf(response);
    expect(body).toMatchObject({ success: true, accepted: 2, rejected: 0 });
    expect(sync.calls).toHaveLength(1);
    expect(sync.calls[0]?.events).toHaveLength(2);
  });

  it('207 with a result per index when some events are invalid; only valid ones are delivered', async () => {
    const response = await post(
      'public.cps.za.test',
      [validTestEvent(), { event_id: 'broken' }, 'not an object', validTestEvent({ event_id: 'e-3' })],
      await authed(),
    );
    expect(response.statusCode).toBe(207);
    const body = bodyOf(response);
    const results = body.results as Array<Record<string, unknown>>;
    expect(results.map((result) => result.success)).toEqual([true, false, false, true]);
    expect(results[1]?.statusCode).toBe(400);
    expect(results[0]?.eventId).toBeDefined();
    expect((body.errors ?? []).every((error) => typeof error.index === 'number')).toBe(true);
    expect(sync.delivered.map((event) => (event.payload as { event_id: string }).event_id)).toEqual([
      'e-1',
      'e-3',
    ]);
  });

  it('400 when no event of the batch is valid', async () => {
    const response = await post('public.cps.za.test', [{ a: 1 }, { b: 2 }], await authed());
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).success).toBe(false);
    expect(sync.calls).toHaveLength(0);
  });

  it('413 when the batch holds more events than max_batch_events', async () => {
    const events = Array.from({ length: 501 }, (_, index) => validTestEvent({ event_id: `e-${index}` }));
    expect((await post('public.cps.za.test', events, await authed())).statusCode).toBe(413);
  });

  it('207 when delivery fails for a batch with invalid events too; 500 when delivery fails for all', async () => {
    sync.failing = new Set(['postgres']);
    const mixed = await post('public.cps.za.test', [validTestEvent(), { nope: true }], await authed());
    expect(mixed.statusCode).toBe(500);
    const allFailed = await post('public.cps.za.test', [validTestEvent(), validTestEvent()], await authed());
    expect(allFailed.statusCode).toBe(500);
    expect((bodyOf(allFailed).results as unknown[]).length).toBe(2);
  });
});

describe('idempotency', () => {
  it('derives the same event id from the same Idempotency-Key, and different ids from different keys', async () => {
    const headers = await authed();
    const first = bodyOf(
      await post('public.cps.za.test', validTestEvent(), { ...headers, 'idempotency-key': 'k-1' }),
    );
    const again = bodyOf(
      await post('public.cps.za.test', validTestEvent(), { ...headers, 'idempotency-key': 'k-1' }),
    );
    const other = bodyOf(
      await post('public.cps.za.test', validTestEvent(), { ...headers, 'idempotency-key': 'k-2' }),
    );
    expect(first.eventId).toBe(again.eventId);
    expect(other.eventId).not.toBe(first.eventId);
  });

  it("uses the topic's id field when no header is sent", async () => {
    const headers = await authed();
    const first = bodyOf(await post('public.cps.za.test', validTestEvent({ event_id: 'same' }), headers));
    const again = bodyOf(await post('public.cps.za.test', validTestEvent({ event_id: 'same' }), headers));
    expect(first.eventId).toBe(again.eventId);
  });

  it('rejects an unusable Idempotency-Key with 400', async () => {
    const response = await post('public.cps.za.test', validTestEvent(), {
      ...(await authed()),
      'idempotency-key': 'has space',
    });
    expect(response.statusCode).toBe(400);
  });
});

describe('POST /terminate', () => {
  const OPERATOR = 'Release-Operator';
  const terminate = (headers: Record<string, string> = {}) =>
    app(v2Event({ method: 'POST', path: '/terminate', headers }));

  beforeAll(() => conf.setConfig({ operators: [OPERATOR] }));
  afterAll(() => conf.setConfig({ operators: [], max_batch_events: 500 }));

  it('reloads configuration without stopping the process, for an operator', async () => {
    conf.setConfig({ max_batch_events: 1 });
    const headers = await authed();
    // Subjects match ignoring case, as in the access map.
    const response = await terminate(await authed(OPERATOR.toUpperCase()));
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response).success).toBe(true);
    expect((await post('public.cps.za.test', [validTestEvent(), validTestEvent()], headers)).statusCode).toBe(
      413,
    );
    conf.setConfig({ max_batch_events: 500 });
    expect((await terminate(await authed(OPERATOR))).statusCode).toBe(200);
    expect((await post('public.cps.za.test', [validTestEvent(), validTestEvent()], headers)).statusCode).toBe(
      202,
    );
  });

  it('is refused without a valid token (401) and to subjects that are not operators (403)', async () => {
    const headers = await authed();
    // Loaded before the change below, which only a reload would pick up.
    expect((await post('public.cps.za.test', validTestEvent(), headers)).statusCode).toBe(202);
    conf.setConfig({ max_batch_events: 1 });
    try {
      const anonymous = await terminate();
      expect(anonymous.statusCode).toBe(401);
      expect(bodyOf(anonymous).errors).toEqual([{ type: 'auth', message: 'Invalid or missing token' }]);
      expect((await terminate({ authorization: 'Bearer a.b.c' })).statusCode).toBe(401);
      const producer = await terminate(await authed('TestUser'));
      expect(producer.statusCode).toBe(403);
      expect(bodyOf(producer).errors?.[0]).toMatchObject({
        type: 'auth',
        message: "User 'TestUser' is not an operator",
      });
      // Nothing was reloaded: a batch of two is still fine.
      expect(
        (await post('public.cps.za.test', [validTestEvent(), validTestEvent()], headers)).statusCode,
      ).toBe(202);
    } finally {
      conf.setConfig({ max_batch_events: 500 });
    }
  });

  it('is refused to everyone when no operators are configured', async () => {
    conf.setConfig({ operators: [] });
    const fresh = build();
    const response = await fresh(
      v2Event({ method: 'POST', path: '/terminate', headers: await authed(OPERATOR) }),
    );
    expect(response.statusCode).toBe(403);
    expect(String(bodyOf(response).errors?.[0]?.message)).toMatch(/No operators are configured/);
    conf.setConfig({ operators: [OPERATOR] });
  });

  it('answers a failed reload with the file and the reason, and keeps the previous configuration', async () => {
    const headers = await authed(OPERATOR);
    expect((await terminate(headers)).statusCode).toBe(200);
    const accessFile = path.join(conf.dir, 'access.json');
    const good = readFileSync(accessFile, 'utf8');
    writeFileSync(accessFile, '{ "public.cps.za.test": ["TestUser"], oops }');
    try {
      const response = await terminate(headers);
      expect(response.statusCode).toBe(500);
      const [error] = bodyOf(response).errors ?? [];
      expect(error).toMatchObject({ type: 'config', file: accessFile });
      expect(String(error?.message)).toContain(`${accessFile} is not valid JSON`);
      expect(String(error?.message)).not.toBe('Unexpected server error');
      // The previous configuration still serves.
      expect((await post('public.cps.za.test', validTestEvent(), await authed())).statusCode).toBe(202);
    } finally {
      writeFileSync(accessFile, good);
    }
    conf.setConfig({ token_max_lifetime_seconds: -1 });
    try {
      const response = await terminate(headers);
      expect(response.statusCode).toBe(500);
      expect(bodyOf(response).errors?.[0]).toMatchObject({
        type: 'config',
        file: path.join(conf.dir, 'config.json'),
      });
      expect(String(bodyOf(response).errors?.[0]?.message)).toMatch(/token_max_lifetime_seconds/);
    } finally {
      conf.setConfig({ token_max_lifetime_seconds: 24 * 3600 });
    }
    expect((await terminate(headers)).statusCode).toBe(200);
  });
});
