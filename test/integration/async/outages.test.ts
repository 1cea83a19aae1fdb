import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { startLocalRuntime, type LocalRuntime } from '../../../shared/local/runtime';
import { QueuePublisher } from '../../../shared/queue/publisher';
import { createWorkerHandler } from '../../../shared/queue/worker';
import { PostgresSink } from '../../../shared/sinks/postgres/sink';
import { createTestConf, type TestConf } from '../../helpers/gateway';
import { fauxqsSqsClient, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';
import {
  createTestDatabase,
  startPostgres,
  type PostgresPeer,
  type TestDatabase,
} from '../../peers/postgres';
import { postJson, queueDepth, sqsFor, testEvent, waitFor } from './helpers';

jest.setTimeout(120_000);

describe('a sink that is down for a while', () => {
  let conf: TestConf;
  let postgres: PostgresPeer;
  let runtime: LocalRuntime;
  let sqs: SQSClient;
  // Outcomes the Postgres sink reported as failed: proof the outage was really felt by the worker.
  let failedWrites = 0;

  beforeAll(async () => {
    [conf, postgres] = await Promise.all([createTestConf(), startPostgres()]);
    runtime = await startLocalRuntime({
      port: 0,
      confDir: conf.dir,
      stateDir: `${conf.dir}/state`,
      env: { ...process.env, DATABASE_URL: postgres.url, EVENTGATE_SINKS: 'postgres' },
      topology: { maximumBatchingWindowSeconds: 0.2, retryBaseSeconds: 1, maxReceiveCount: 6 },
      decorateSink: (sink) => ({
        name: sink.name,
        health: () => sink.health(),
        close: () => sink.close(),
        write: async (events) => {
          const outcomes = await sink.write(events);
          failedWrites += outcomes.filter((outcome) => !outcome.ok).length;
          return outcomes;
        },
      }),
    });
    sqs = sqsFor(runtime);
  });

  afterAll(async () => {
    await runtime?.stop();
    sqs?.destroy();
    await postgres?.stop();
    conf?.cleanup();
  });

  it('still accepts events, and delivers every one of them once the sink is back', async () => {
    const auth = { authorization: `Bearer ${await conf.token('FooUser')}` };
    const post = (id: string) =>
      postJson(`${runtime.url}/topics/public.cps.za.dlchange`, testEvent(id), auth);
    expect((await post('before-outage')).status).toBe(202);
    const count = async () =>
      Number((await postgres.query<{ n: string }>('SELECT count(*) AS n FROM public_cps_za_dlchange'))[0]?.n);
    await waitFor(count, (n) => n === 1, 20_000, 'the first row');

    await postgres.stopServer();
    const during = await Promise.all(Array.from({ length: 20 }, (_, index) => post(`during-${index}`)));
    expect(during.every((response) => response.status === 202)).toBe(true);
    // Let the worker fail a few times against the stopped database.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await postgres.startServer();

    expect(failedWrites).toBeGreaterThan(0);
    await waitFor(count, (n) => n === 21, 60_000, 'all 21 rows after the outage');
    const queues = runtime.queues.postgres as { queueUrl: string; dlqUrl: string };
    await waitFor(
      () => queueDepth(sqs, queues.queueUrl),
      (depth) => depth === 0,
      20_000,
      'an empty queue',
    );
    expect(await queueDepth(sqs, queues.dlqUrl)).toBe(0);
    const ids = await postgres.query<{ event_id: string }>('SELECT event_id FROM public_cps_za_dlchange');
    expect(new Set(ids.map((row) => row.event_id)).size).toBe(21);
  });
});

describe('a worker that crashes mid-batch', () => {
  let database: TestDatabase;
  let sink: PostgresSink;

  beforeAll(async () => {
    database = await createTestDatabase();
    sink = new PostgresSink({ connectionString: database.url });
  });
  afterAll(async () => {
    await sink?.close();
    await database?.drop();
  });

  const envelopes = (count: number): Envelope[] =>
    Array.from({ length: count }, (_, index) =>
      createEnvelope({ topic: 'crash.test', payload: { index }, subject: 's', correlationId: `c-${index}` }),
    );
  const eventOf = (batch: Envelope[], receiveCount: number): SQSEvent => ({
    Records: batch.map((envelope, index) => ({
      messageId: `m-${index}`,
      receiptHandle: `r-${index}`,
      body: JSON.stringify(envelope),
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: '0',
        SenderId: 's',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
    })),
  });

  it('redelivers the whole batch after a crash and still ends with each event exactly once', async () => {
    const batch = envelopes(50);
    let crashes = 1;
    const worker = createWorkerHandler({
      sinkName: 'postgres',
      sink: async () => ({
        name: 'postgres',
        // The first attempt writes half the batch, then the process "dies" before answering.
        write: async (events) => {
          if (crashes > 0) {
            crashes -= 1;
            await sink.write(events.slice(0, 25));
            throw new Error('worker crashed mid-batch');
          }
          return sink.write(events);
        },
        health: () => sink.health(),
        close: async () => undefined,
      }),
    });
    const first = await worker(eventOf(batch, 1));
    expect(first.batchItemFailures).toHaveLength(50);
    const second = await worker(eventOf(batch, 2));
    expect(second.batchItemFailures).toHaveLength(0);
    const rows = await database.query<{ n: string }>(
      'SELECT count(DISTINCT event_id) AS n, count(*) AS total FROM crash_test',
    );
    expect(rows[0]).toEqual({ n: '50', total: '50' });
  });

  it('fails only the message that is not an envelope', async () => {
    const batch = envelopes(3);
    const event = eventOf(batch, 1);
    (event.Records[1] as { body: string }).body = '{"not":"an envelope"}';
    const worker = createWorkerHandler({ sinkName: 'postgres', sink: async () => sink });
    const response = await worker(event);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    const ids = await database.query<{ event_id: string }>(
      'SELECT event_id FROM crash_test WHERE event_id = ANY($1)',
      [batch.map((envelope) => envelope.id)],
    );
    expect(ids.map((row) => row.event_id).sort()).toEqual([batch[0]?.id, batch[2]?.id].sort());
  });
});

describe('enqueue failures', () => {
  let fauxqs: FauxqsHandle;
  let sqs: SQSClient;
  beforeAll(async () => {
    fauxqs = await startFauxqs();
    sqs = fauxqsSqsClient(fauxqs.endpoint);
  });
  afterAll(async () => {
    sqs?.destroy();
    await fauxqs?.stop();
  });

  const oneEvent = () => [
    createEnvelope({ topic: 't', payload: { a: 1 }, subject: null, correlationId: 'c' }),
  ];

  it('reports each sink whose queue did not take the event, and only those', async () => {
    const good = await sqs.send(new CreateQueueCommand({ QueueName: 'enqueue-good' }));
    const publisher = new QueuePublisher({
      client: sqs,
      queueUrls: {
        postgres: good.QueueUrl as string,
        kafka: `${fauxqs.endpoint}/000000000000/does-not-exist`,
      },
    });
    const events = oneEvent();
    const report = await publisher.deliver(['postgres', 'kafka'], events);
    expect(report.get(events[0]?.id as string)?.map((failure) => failure.type)).toEqual(['kafka']);
    expect(await queueDepth(sqs, good.QueueUrl as string)).toBe(1);
  });

  it('fails every sink when the queue service is unreachable, without throwing', async () => {
    const unreachable = fauxqsSqsClient('http://127.0.0.1:9');
    const publisher = new QueuePublisher({
      client: unreachable,
      queueUrls: { postgres: 'http://127.0.0.1:9/000000000000/q', s3: 'http://127.0.0.1:9/000000000000/r' },
    });
    const events = oneEvent();
    const report = await publisher.deliver(['postgres', 's3'], events);
    expect(
      report
        .get(events[0]?.id as string)
        ?.map((failure) => failure.type)
        .sort(),
    ).toEqual(['postgres', 's3']);
    unreachable.destroy();
  });

  it('sends a batch of 25 events as chunks of at most 10 and keeps their attributes', async () => {
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'enqueue-chunks' }));
    const publisher = new QueuePublisher({ client: sqs, queueUrls: { postgres: queue.QueueUrl as string } });
    const events = Array.from({ length: 25 }, (_, index) =>
      createEnvelope({ topic: 'chunked', payload: { index }, subject: null, correlationId: 'c' }),
    );
    const report = await publisher.deliver(['postgres'], events);
    expect(report.size).toBe(0);
    expect(await queueDepth(sqs, queue.QueueUrl as string)).toBe(25);
  });
});
