import { startLocalRuntime, type LocalRuntime } from '../../shared/local/runtime';
import { redrive } from '../../shared/queue/redrive/move-loop';
import type { Sink } from '../../shared/sinks/types';
import {
  consumeKafka,
  postJson,
  queueDepth,
  sqsFor,
  startEverySinkPeers,
  testEvent,
  waitFor,
  type EverySinkPeers,
} from '../integration/async/helpers';
import { startPostgres, type PostgresPeer } from '../peers/postgres';

jest.setTimeout(240_000);

const TOPIC = 'public.cps.za.dlchange';
const REQUESTS = 30;
const EVENTS_PER_REQUEST = 10;
const N = REQUESTS * EVENTS_PER_REQUEST;

/** A Kafka sink whose first writes of a whole batch die halfway, as a worker killed mid-batch would. */
function crashingMidBatch(sink: Sink, crashes: number): Sink {
  let left = crashes;
  return {
    name: sink.name,
    health: () => sink.health(),
    close: () => sink.close(),
    async write(events) {
      if (left > 0 && events.length > 1) {
        left -= 1;
        await sink.write(events.slice(0, Math.ceil(events.length / 2)));
        throw new Error('worker died mid-batch');
      }
      return sink.write(events);
    },
  };
}

// Bounded chaos on the local runtime: N events accepted while Postgres goes down and comes back,
// EventBridge rejects whole calls and the Kafka worker dies mid-batch. After the queues drain and
// every DLQ is replayed, each sink holds every event, exactly once by its event id.
describe('no event is lost', () => {
  let peers: EverySinkPeers;
  let postgres: PostgresPeer;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    [peers, postgres] = await Promise.all([startEverySinkPeers(), startPostgres()]);
    runtime = await startLocalRuntime({
      port: 0,
      confDir: peers.conf.dir,
      stateDir: `${peers.conf.dir}/state`,
      env: { ...process.env, DATABASE_URL: postgres.url },
      topology: {
        batchSize: 25,
        maximumBatchingWindowSeconds: 0.2,
        retryBaseSeconds: 1,
        retryMaxSeconds: 2,
        maxReceiveCount: 3,
      },
      decorateSink: (sink) => (sink.name === 'kafka' ? crashingMidBatch(sink, 3) : sink),
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await Promise.all([postgres?.stop(), peers?.stop()]);
  });

  it('delivers every accepted event to every sink exactly once by id, after a DLQ replay', async () => {
    const sqs = sqsFor(runtime);
    const auth = { authorization: `Bearer ${await peers.conf.token('FooUser')}` };
    const accepted = new Set<string>();
    for (let request = 0; request < REQUESTS; request += 1) {
      if (request === 5) await postgres.stopServer();
      if (request === 10) peers.eventBridge.failWholeCall(500, { times: 6 });
      if (request === 25) {
        // Postgres stays down until an event has used up its receives and sits in the DLQ, so the
        // replay below always has something to do, however fast the queue path runs.
        const dlqUrl = runtime.queues.postgres?.dlqUrl as string;
        await waitFor(
          () => queueDepth(sqs, dlqUrl),
          (depth) => depth > 0,
          60_000,
          'an event in the postgres DLQ while Postgres is down',
        );
        await postgres.startServer();
      }
      const events = Array.from({ length: EVENTS_PER_REQUEST }, (_, index) =>
        testEvent(`chaos-${request}-${index}`),
      );
      const response = await postJson(`${runtime.url}/topics/${TOPIC}`, events, auth);
      expect(response.status).toBe(202);
      for (const result of response.body.results as Array<{ eventId: string }>) accepted.add(result.eventId);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(accepted.size).toBe(N);

    const queues = Object.values(runtime.queues);
    const settled = async (): Promise<number> =>
      (await Promise.all(queues.map((queue) => queueDepth(sqs, queue.queueUrl)))).reduce((a, b) => a + b, 0);
    await waitFor(settled, (depth) => depth === 0, 90_000, 'every sink queue to drain');

    let replayed = 0;
    for (const queue of queues) {
      const result = await redrive(sqs, { sourceQueueUrl: queue.dlqUrl, targetQueueUrl: queue.queueUrl });
      expect(result.failed).toBe(0);
      replayed += result.moved;
    }
    await waitFor(settled, (depth) => depth === 0, 90_000, 'the replayed events to drain');
    for (const queue of queues) expect(await queueDepth(sqs, queue.dlqUrl)).toBe(0);

    const rows = await postgres.query<{ event_id: string }>('SELECT event_id FROM public_cps_za_dlchange');
    const postgresIds = new Set(rows.map((row) => row.event_id));

    const kafkaMessages = await consumeKafka(
      peers.kafka.brokers,
      TOPIC,
      (all) => new Set(all.map((headers) => headers['eventgate-event-id'])).size >= N,
    );
    const kafkaIds = kafkaMessages.map((headers) => headers['eventgate-event-id'] as string);

    // PutEvents carries no envelope id, so EventBridge entries are matched by the event's own id.
    const eventBridgeIds = peers.eventBridge.entries.map(
      (entry) => (JSON.parse(entry.Detail ?? '{}') as { event_id: string }).event_id,
    );

    console.log(
      `no-loss: accepted ${N}; postgres ${rows.length} rows (${postgresIds.size} distinct); ` +
        `kafka ${kafkaIds.length} messages (${new Set(kafkaIds).size} distinct); ` +
        `eventbridge ${eventBridgeIds.length} entries (${new Set(eventBridgeIds).size} distinct); ` +
        `replayed from DLQs ${replayed}`,
    );
    expect(postgresIds).toEqual(accepted);
    expect(rows).toHaveLength(N);
    expect(new Set(kafkaIds)).toEqual(accepted);
    expect(new Set(eventBridgeIds).size).toBe(N);
    // The outage must really have pushed events through the DLQ path for this test to mean anything.
    expect(replayed).toBeGreaterThan(0);
    sqs.destroy();
  });
});
