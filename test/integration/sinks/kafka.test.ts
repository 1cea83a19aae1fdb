import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import {
  CORRELATION_ID_HEADER,
  SCHEMA_VERSION_HEADER,
  EVENT_ID_HEADER,
  KafkaSink,
  RECEIVED_AT_HEADER,
  TOPIC_HEADER,
  type KafkaSinkOptions,
} from '../../../shared/sinks/kafka/sink';
import { startKafkaMock, type KafkaMockHandle } from '../../peers/kafka';
import { unusedPort } from '../../peers/unused-port';

interface ReadMessage {
  topic: string;
  key: string | null;
  value: string | null;
  timestamp: string;
  headers: Record<string, string>;
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) text[name] = value.toString();
  }
  return text;
}

/** Consumes `topics` from the beginning until `until` says enough has arrived. */
async function readBack(
  brokers: string[],
  topics: string[],
  until: (received: ReadMessage[]) => boolean,
): Promise<ReadMessage[]> {
  const kafka = new Kafka({ brokers, clientId: 'eventgate-test-reader', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `eventgate-test-${randomUUID()}`,
    sessionTimeout: 3000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 500,
  });
  const received: ReadMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} messages arrived`)), 20_000);
      consumer
        .run({
          eachMessage: async ({ topic, message }) => {
            received.push({
              topic,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              timestamp: message.timestamp,
              headers: headerText(message.headers),
            });
            if (until(received)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

function envelope(topic: string, payload: Record<string, unknown>, key: string | null = null): Envelope {
  return createEnvelope({ topic, payload, subject: 'tester', correlationId: randomUUID(), key });
}

function uniqueTopic(): string {
  return `it.kafka.${randomUUID()}`;
}

describe('KafkaSink against the librdkafka mock cluster', () => {
  let mock: KafkaMockHandle;
  const sinks: KafkaSink[] = [];

  function sink(options: Partial<KafkaSinkOptions> = {}): KafkaSink {
    const created = new KafkaSink({ brokers: mock.brokers, timeoutMs: 5_000, ...options });
    sinks.push(created);
    return created;
  }

  beforeAll(async () => {
    mock = await startKafkaMock();
  });

  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((created) => created.close()));
  });

  afterAll(async () => {
    await mock?.stop();
  });

  it('delivers a batch across topics with values, keys, headers and timestamps intact', async () => {
    const [orders, payments] = [uniqueTopic(), uniqueTopic()];
    const events = [
      envelope(orders, { order: 1, note: 'zaž' }, 'customer-7'),
      envelope(payments, { payment: 2 }),
      { ...envelope(orders, { order: 3 }, 'customer-8'), schemaVersion: 3 },
    ];

    const outcomes = await sink().write(events);

    expect(outcomes).toEqual(events.map((event) => ({ id: event.id, ok: true })));
    const received = await readBack(mock.brokers, [orders, payments], (all) => all.length >= events.length);
    expect(received).toHaveLength(events.length);
    for (const event of events) {
      const message = received.find((candidate) => candidate.headers[EVENT_ID_HEADER] === event.id);
      expect(message).toEqual({
        topic: event.topic,
        key: event.key,
        value: JSON.stringify(event.payload),
        timestamp: String(Date.parse(event.receivedAt)),
        headers: {
          [EVENT_ID_HEADER]: event.id,
          [TOPIC_HEADER]: event.topic,
          [RECEIVED_AT_HEADER]: event.receivedAt,
          [CORRELATION_ID_HEADER]: event.correlationId,
          ...(event.schemaVersion === undefined ? {} : { [SCHEMA_VERSION_HEADER]: '3' }),
        },
      });
    }
  });

  it('publishes to the mapped Kafka topic, gzip-compressed', async () => {
    const eventGateTopic = uniqueTopic();
    const kafkaTopic = uniqueTopic();
    const event = envelope(eventGateTopic, { mapped: true, filler: 'x'.repeat(2_000) });

    const outcomes = await sink({ topicMap: { [eventGateTopic]: kafkaTopic }, compression: 'gzip' }).write([
      event,
    ]);

    expect(outcomes).toEqual([{ id: event.id, ok: true }]);
    const [message] = await readBack(mock.brokers, [kafkaTopic], (all) => all.length >= 1);
    expect(message?.topic).toBe(kafkaTopic);
    expect(message?.value).toBe(JSON.stringify(event.payload));
    expect(message?.headers[TOPIC_HEADER]).toBe(eventGateTopic);
  });

  it('fails an oversized event alone and sends the rest of the batch', async () => {
    const topic = uniqueTopic();
    // One key puts every message on one partition, so their order shows what was sent.
    const small1 = envelope(topic, { n: 1 }, 'same');
    const big = envelope(topic, { n: 2, filler: 'x'.repeat(20_000) }, 'same');
    const small2 = envelope(topic, { n: 3 }, 'same');
    const kafka = sink({ maxMessageBytes: 10_000 });

    const outcomes = await kafka.write([small1, big, small2]);
    const marker = envelope(topic, { n: 4 }, 'same');
    await kafka.write([marker]);

    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    const failure = outcomes[1];
    expect(failure?.ok === false && failure.error.retryable).toBe(false);
    expect(failure?.ok === false && failure.error.message).toMatch(/over the 10000-byte Kafka message limit/);
    const received = await readBack(mock.brokers, [topic], (all) =>
      all.some((message) => message.headers[EVENT_ID_HEADER] === marker.id),
    );
    expect(received.map((message) => message.headers[EVENT_ID_HEADER])).toEqual([
      small1.id,
      small2.id,
      marker.id,
    ]);
  });

  it('reports ok health when the cluster answers metadata', async () => {
    await expect(sink().health()).resolves.toEqual({ status: 'ok' });
  });
});

describe('KafkaSink when the brokers are down', () => {
  it('fails every event as retryable, without throwing, when nothing listens', async () => {
    const port = await unusedPort();
    const kafka = new KafkaSink({ brokers: [`127.0.0.1:${port}`], timeoutMs: 2_000, retries: 1 });
    const events = [envelope(uniqueTopic(), { n: 1 }), envelope(uniqueTopic(), { n: 2 })];
    try {
      const outcomes = await kafka.write(events);

      expect(outcomes.map((outcome) => outcome.id)).toEqual(events.map((event) => event.id));
      for (const outcome of outcomes) {
        expect(outcome.ok).toBe(false);
        if (!outcome.ok) {
          expect(outcome.error.sink).toBe('kafka');
          expect(outcome.error.retryable).toBe(true);
        }
      }
      const health = await kafka.health();
      expect(health.status).toBe('down');
    } finally {
      await kafka.close();
    }
  });

  it('fails retryably once the cluster it was writing to has stopped', async () => {
    const first = await startKafkaMock();
    const topic = uniqueTopic();
    const kafka = new KafkaSink({ brokers: first.brokers, timeoutMs: 2_000, retries: 1 });
    try {
      const before = envelope(topic, { phase: 'before' });
      expect(await kafka.write([before])).toEqual([{ id: before.id, ok: true }]);

      await first.stop();
      const during = [envelope(topic, { phase: 'during', n: 1 }), envelope(topic, { phase: 'during', n: 2 })];
      const outcomes = await kafka.write(during);

      expect(outcomes).toHaveLength(2);
      expect(outcomes.every((outcome) => !outcome.ok && outcome.error.retryable)).toBe(true);
    } finally {
      await kafka.close();
      await first.stop();
    }
  });
});
