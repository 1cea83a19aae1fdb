import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createEnvelope } from '../../../shared/envelope';
import { QueuePublisher } from '../../../shared/queue/publisher';
import { DEAD_LETTER_ATTRIBUTES } from '../../../shared/queue/worker';
import { startLocalRuntime, type LocalRuntime } from '../../../shared/local/runtime';
import { createTestConf, type TestConf } from '../../helpers/gateway';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import {
  consumeKafka,
  postJson,
  queueDepth,
  sqsFor,
  startEverySinkPeers,
  testEvent,
  waitFor,
  type EverySinkPeers,
} from './helpers';

jest.setTimeout(120_000);

// Every sink of an async topic gets the event through its own queue and worker: Kafka on the mock
// broker, EventBridge on the recording server, Postgres on the test cluster.
describe('async delivery through per-sink queues to every sink', () => {
  let peers: EverySinkPeers;
  let database: TestDatabase;
  let runtime: LocalRuntime;
  let sqs: SQSClient;

  beforeAll(async () => {
    [peers, database] = await Promise.all([startEverySinkPeers(), createTestDatabase()]);
    runtime = await startLocalRuntime({
      port: 0,
      confDir: peers.conf.dir,
      stateDir: `${peers.conf.dir}/state`,
      env: { ...process.env, DATABASE_URL: database.url },
      topology: { maximumBatchingWindowSeconds: 0.2, retryBaseSeconds: 1, maxReceiveCount: 3 },
    });
    sqs = sqsFor(runtime);
  });

  afterAll(async () => {
    await runtime?.stop();
    sqs?.destroy();
    await Promise.all([peers?.stop(), database?.drop()]);
  });

  it('answers 202 only once every sink queue holds the event, then delivers it to each sink', async () => {
    const auth = { authorization: `Bearer ${await peers.conf.token('FooUser')}` };
    const response = await postJson(
      `${runtime.url}/topics/public.cps.za.dlchange`,
      testEvent('every-sink'),
      auth,
    );
    expect(response.status).toBe(202);
    const eventId = response.body.eventId as string;
    expect(response.body.mode).toBe('async');

    const rows = await waitFor(
      () =>
        database.query<{ event_id: string; subject: string }>(
          'SELECT event_id, subject FROM public_cps_za_dlchange',
        ),
      (found) => found.length === 1,
      30_000,
      'the Postgres row',
    );
    expect(rows[0]).toEqual({ event_id: eventId, subject: 'FooUser' });

    const { eventBridge } = peers;
    await waitFor(
      async () => eventBridge.entries.length,
      (count) => count === 1,
      30_000,
      'the EventBridge entry',
    );
    expect(eventBridge.entries[0]).toMatchObject({ Source: 'public.cps.za.dlchange', DetailType: 'JSON' });
    expect(JSON.parse(eventBridge.entries[0]?.Detail ?? '{}')).toEqual(testEvent('every-sink'));

    const messages = await consumeKafka(
      peers.kafka.brokers,
      'public.cps.za.dlchange',
      (all) => all.length >= 1,
    );
    expect(messages.map((headers) => headers['eventgate-event-id'])).toEqual([eventId]);

    for (const queue of Object.values(runtime.queues)) {
      await waitFor(
        () => queueDepth(sqs, queue.queueUrl),
        (depth) => depth === 0,
        10_000,
        'an empty queue',
      );
      expect(await queueDepth(sqs, queue.dlqUrl)).toBe(0);
    }
  });
});

describe('async delivery to Postgres: duplicates, poison events, idempotent retries, bursts', () => {
  let conf: TestConf;
  let database: TestDatabase;
  let runtime: LocalRuntime;
  let sqs: SQSClient;
  let auth: Record<string, string>;

  const run = (id: string, extra: Record<string, unknown> = {}) => ({
    event_id: id,
    job_ref: id,
    tenant_id: 't',
    source_app: 'a',
    source_app_version: '1',
    environment: 'dev',
    timestamp_start: 1,
    timestamp_end: 2,
    jobs: [],
    ...extra,
  });

  const rowCount = async (table: string): Promise<number> =>
    Number((await database.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n ?? 0);

  beforeAll(async () => {
    [conf, database] = await Promise.all([createTestConf(), createTestDatabase()]);
    // Operators come from the configuration already loaded: a config change cannot make its own.
    conf.setConfig({ operators: ['ReleaseOperator'] });
    runtime = await startLocalRuntime({
      port: 0,
      confDir: conf.dir,
      stateDir: `${conf.dir}/state`,
      env: { ...process.env, DATABASE_URL: database.url, EVENTGATE_SINKS: 'postgres' },
      topology: { maximumBatchingWindowSeconds: 0.2, retryBaseSeconds: 1, maxReceiveCount: 3 },
    });
    sqs = sqsFor(runtime);
    auth = { authorization: `Bearer ${await conf.token('IntegrationTestUser')}` };
  });

  afterAll(async () => {
    await runtime?.stop();
    sqs?.destroy();
    await database?.drop();
    conf?.cleanup();
  });

  it('answers /health from the queue delivery: 200 while the sink queue answers', async () => {
    const response = await fetch(`${runtime.url}/health`);
    const body = (await response.json()) as { dependencies: Record<string, string> };
    expect(response.status).toBe(200);
    expect(body.dependencies).toMatchObject({ postgres: 'ok', kafka: 'not configured' });
  });

  it("asks each sink's queue when asked for health, and says why a queue does not answer", async () => {
    const queueUrl = runtime.queues.postgres?.queueUrl as string;
    const publisher = new QueuePublisher({
      client: sqs,
      queueUrls: { postgres: queueUrl, kafka: queueUrl.replace(/[^/]+$/, 'no-such-queue') },
    });
    const verdicts = await publisher.health(['postgres', 'kafka', 's3'], 5000);
    expect(verdicts.get('postgres')).toBe('ok');
    expect(verdicts.get('kafka')).toMatch(/\S/);
    expect(verdicts.get('kafka')).not.toBe('ok');
    expect(verdicts.get('s3')).toBe('queue not configured');
  });

  it('absorbs a duplicate delivery of the same envelope: one row', async () => {
    const envelope = createEnvelope({
      topic: 'public.cps.za.status_change',
      payload: {
        event_type: 'JobStartedEvent',
        event_id: '5b0d3c1e-7a2f-4c8e-9b61-3f2a8d7e6c10',
        job_id: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
        status_type: 'RUNNING',
        timestamp_event: 1_767_225_600_000,
      },
      subject: 'someone',
      correlationId: 'dup-test',
    });
    const queueUrl = runtime.queues.postgres?.queueUrl as string;
    for (let copy = 0; copy < 2; copy += 1) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(envelope) }));
    }
    await waitFor(
      () => queueDepth(sqs, queueUrl),
      (depth) => depth === 0,
      20_000,
      'both copies consumed',
    );
    const rows = await database.query(
      'SELECT event_id FROM public_cps_za_status_change WHERE event_id = $1',
      [envelope.id],
    );
    expect(rows).toHaveLength(1);
  });

  it('creates no second row when a client retries with the same Idempotency-Key', async () => {
    const headers = { ...auth, 'idempotency-key': 'client-retry-1' };
    const event = testEvent('retry', {
      event_type: 'JobStartedEvent',
      event_id: '3c1e0f52-8f43-4d8e-9d55-0f6a7e2b1c11',
      job_id: '8a2b4c6d-1e3f-4a5b-9c7d-2e4f6a8b0c1d',
      status_type: 'RUNNING',
    });
    const first = await postJson(`${runtime.url}/topics/public.cps.za.status_change`, event, headers);
    const retry = await postJson(`${runtime.url}/topics/public.cps.za.status_change`, event, headers);
    expect(first.status).toBe(202);
    expect(retry.body.eventId).toBe(first.body.eventId);
    const queueUrl = runtime.queues.postgres?.queueUrl as string;
    await waitFor(
      () => queueDepth(sqs, queueUrl),
      (depth) => depth === 0,
      20_000,
      'the queue to drain',
    );
    const rows = await database.query(
      'SELECT event_id FROM public_cps_za_status_change WHERE event_id = $1',
      [first.body.eventId],
    );
    expect(rows).toHaveLength(1);
  });

  it('refuses at ingest an event Postgres can never store, naming the field, and delivers its batch-mates', async () => {
    const queues = runtime.queues.postgres as { queueUrl: string; dlqUrl: string };
    const runsAuth = { authorization: `Bearer ${await conf.token('FooBarUser')}` };
    // jsonb rejects the NUL character: the row could never be written, whatever the retries.
    const batch = [run('good-1'), run('poison', { source_app: 'bad\u0000app' }), run('good-2')];
    const response = await postJson(`${runtime.url}/topics/public.cps.za.runs`, batch, runsAuth);
    expect(response.status).toBe(207);
    const results = response.body.results as Array<{
      eventId?: string;
      statusCode?: number;
      errors?: unknown[];
    }>;
    expect(results[1]).toMatchObject({
      statusCode: 400,
      errors: [{ type: 'validation', instancePath: '/source_app', keyword: 'storable' }],
    });
    await waitFor(
      () =>
        database.query<{ event_id: string }>(
          "SELECT event_id FROM public_cps_za_runs WHERE payload->>'job_ref' LIKE 'good-%'",
        ),
      (rows) => rows.length === 2,
      30_000,
      'the two good rows',
    );
    const delivered = await database.query<{ event_id: string }>(
      "SELECT event_id FROM public_cps_za_runs WHERE payload->>'job_ref' LIKE 'good-%'",
    );
    expect(delivered.map((row) => row.event_id).sort()).toEqual(
      [results[0]?.eventId, results[2]?.eventId].sort(),
    );
    expect(await queueDepth(sqs, queues.dlqUrl)).toBe(0);
  });

  it('parks a poison event that still reaches the queue in the DLQ on its first receive, with the reason', async () => {
    const queues = runtime.queues.postgres as { queueUrl: string; dlqUrl: string };
    const poison = createEnvelope({
      topic: 'public.cps.za.runs',
      payload: run('queued-poison', { source_app: 'bad\u0000app' }),
      subject: 'FooBarUser',
      correlationId: 'poison-test',
      key: 'queued-poison',
    });
    const good = createEnvelope({
      topic: 'public.cps.za.runs',
      payload: run('queued-good'),
      subject: 'FooBarUser',
      correlationId: 'poison-test',
      key: 'queued-good',
    });
    const started = Date.now();
    await new QueuePublisher({ client: sqs, queueUrls: { postgres: queues.queueUrl } }).deliver(
      ['postgres'],
      [poison, good],
    );
    await waitFor(
      () => queueDepth(sqs, queues.dlqUrl),
      (depth) => depth === 1,
      20_000,
      'the poison event in the DLQ',
    );
    // One receive, not maxReceiveCount receives with their back-off between them.
    expect(Date.now() - started).toBeLessThan(10_000);
    await waitFor(
      () => queueDepth(sqs, queues.queueUrl),
      (depth) => depth === 0,
      10_000,
      'an empty queue',
    );
    const rows = await database.query('SELECT event_id FROM public_cps_za_runs WHERE event_id = $1', [
      good.id,
    ]);
    expect(rows).toHaveLength(1);
    const parked = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(
      parked.Messages?.map((message) => (JSON.parse(message.Body ?? '{}') as { id: string }).id),
    ).toEqual([poison.id]);
    const attributes = parked.Messages?.[0]?.MessageAttributes ?? {};
    expect(attributes[DEAD_LETTER_ATTRIBUTES.sink]?.StringValue).toBe('postgres');
    expect(attributes[DEAD_LETTER_ATTRIBUTES.attempt]?.StringValue).toBe('1');
    expect(attributes[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toMatch(/rejected by postgres: .*22P05/);
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: queues.dlqUrl,
        ReceiptHandle: parked.Messages?.[0]?.ReceiptHandle,
      }),
    );
  });

  it('ends a burst of 1,000 accepted events per topic with exactly 1,000 rows per topic table', async () => {
    const topics = [
      { name: 'public.cps.za.dlchange', table: 'public_cps_za_dlchange', subject: 'FooUser' },
      { name: 'public.cps.za.test', table: 'public_cps_za_test', subject: 'TestUser' },
    ];
    // The test topic is sync in the shipped config; this burst is about the queue path.
    conf.setConfig({ topics: { 'public.cps.za.test': { mode: 'async' } } });
    const reload = await fetch(`${runtime.url}/terminate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await conf.token('ReleaseOperator')}` },
    });
    expect(reload.status).toBe(200);
    let accepted = 0;
    for (const topic of topics) {
      const headers = { authorization: `Bearer ${await conf.token(topic.subject)}` };
      const requests = Array.from({ length: 10 }, (_, request) =>
        postJson(
          `${runtime.url}/topics/${topic.name}`,
          Array.from({ length: 100 }, (_, index) => testEvent(`burst-${request}-${index}`)),
          headers,
        ),
      );
      for (const result of await Promise.all(requests)) {
        expect(result.status).toBe(202);
        accepted += result.body.accepted as number;
      }
    }
    expect(accepted).toBe(2000);
    for (const topic of topics) {
      await waitFor(
        () => rowCount(topic.table),
        (count) => count >= 1000,
        90_000,
        `1,000 rows in ${topic.table}`,
      );
    }
    const queues = runtime.queues.postgres as { queueUrl: string; dlqUrl: string };
    await waitFor(
      () => queueDepth(sqs, queues.queueUrl),
      (depth) => depth === 0,
      20_000,
      'the queue to drain',
    );
    for (const topic of topics) expect(await rowCount(topic.table)).toBe(1000);
    expect(await queueDepth(sqs, queues.dlqUrl)).toBe(0);
  });
});
