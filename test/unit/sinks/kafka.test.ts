import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompressionTypes, type Kafka, type KafkaConfig, type ProducerBatch } from 'kafkajs';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { ConfigError } from '../../../shared/config/errors';
import type { KafkaConfigKeys } from '../../../shared/sinks/kafka/settings';
import {
  EVENT_ID_HEADER,
  KafkaSink,
  kafkaSinkOptionsFromConfig,
  type KafkaCompression,
  type KafkaSinkOptions,
} from '../../../shared/sinks/kafka/sink';

function envelope(topic: string, payload: unknown, key: string | null = null): Envelope {
  return createEnvelope({ topic, payload, subject: 'tester', correlationId: 'corr-1', key });
}

/** A kafkajs client whose producer records calls and behaves as each test says. */
function stubClient(behaviour: { connect?: () => Promise<void>; sendBatch?: () => Promise<unknown> } = {}) {
  const batches: ProducerBatch[] = [];
  const configs: KafkaConfig[] = [];
  const counts = { connect: 0, producers: 0, disconnect: 0 };
  const createClient = (config: KafkaConfig): Kafka => {
    configs.push(config);
    return {
      producer: () => {
        counts.producers += 1;
        return {
          connect: async () => {
            counts.connect += 1;
            await behaviour.connect?.();
          },
          sendBatch: async (batch: ProducerBatch) => {
            batches.push(batch);
            return (await behaviour.sendBatch?.()) ?? [];
          },
          disconnect: async () => {
            counts.disconnect += 1;
          },
        };
      },
    } as unknown as Kafka;
  };
  return { createClient, batches, configs, counts };
}

function sinkWith(stub: ReturnType<typeof stubClient>, options: Partial<KafkaSinkOptions> = {}): KafkaSink {
  return new KafkaSink({ brokers: ['broker-1:9092'], createClient: stub.createClient, ...options });
}

describe('KafkaSink.write', () => {
  it('sends a whole batch in one sendBatch, grouped by Kafka topic, acknowledged by all replicas', async () => {
    const stub = stubClient();
    const events = [
      envelope('orders', { n: 1 }, 'k1'),
      envelope('payments', { n: 2 }),
      envelope('orders', { n: 3 }),
    ];

    const outcomes = await sinkWith(stub, {
      compression: 'gzip',
      topicMap: { payments: 'finance.payments' },
    }).write(events);

    expect(outcomes).toEqual(events.map((event) => ({ id: event.id, ok: true })));
    expect(stub.batches).toHaveLength(1);
    const [batch] = stub.batches;
    expect(batch?.acks).toBe(-1);
    expect(batch?.compression).toBe(CompressionTypes.GZIP);
    expect(batch?.topicMessages?.map((group) => [group.topic, group.messages.length])).toEqual([
      ['orders', 2],
      ['finance.payments', 1],
    ]);
    const first = batch?.topicMessages?.[0]?.messages[0];
    expect(first?.key).toBe('k1');
    expect(first?.value).toBe('{"n":1}');
    expect(first?.headers?.[EVENT_ID_HEADER]).toBe(events[0]?.id);
    expect(batch?.topicMessages?.[1]?.messages[0]?.key).toBeNull();
  });

  it('connects once and reuses the producer across writes', async () => {
    const stub = stubClient();
    const sink = sinkWith(stub);

    await sink.write([envelope('orders', 1)]);
    await sink.write([envelope('orders', 2)]);

    expect(stub.counts).toMatchObject({ producers: 1, connect: 1 });
    expect(stub.configs).toHaveLength(1);
  });

  it('fails every event retryably when sendBatch fails, and reconnects on the next write', async () => {
    let failing = true;
    const stub = stubClient({
      sendBatch: async () => {
        if (failing) throw new Error('Broker not available');
      },
    });
    const sink = sinkWith(stub);
    const events = [envelope('orders', 1), envelope('orders', 2)];

    const outcomes = await sink.write(events);
    failing = false;
    const retried = await sink.write(events);

    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) {
        expect(outcome.error).toMatchObject({ sink: 'kafka', retryable: true });
        expect(outcome.error.message).toBe('Kafka write failed: Broker not available');
      }
    }
    expect(retried.every((outcome) => outcome.ok)).toBe(true);
    expect(stub.counts.producers).toBe(2);
  });

  it('gives up on a connection that never completes after timeoutMs', async () => {
    const stub = stubClient({ connect: () => new Promise<void>(() => undefined) });

    const outcomes = await sinkWith(stub, { timeoutMs: 50 }).write([envelope('orders', 1)]);

    expect(outcomes[0]?.ok === false && outcomes[0].error.message).toMatch(/timed out after 50 ms/);
    expect(outcomes[0]?.ok === false && outcomes[0].error.retryable).toBe(true);
  });

  it('fails an oversized event alone without sending it', async () => {
    const stub = stubClient();
    const small = envelope('orders', { n: 1 });
    const big = envelope('orders', { filler: 'x'.repeat(2_000) });

    const outcomes = await sinkWith(stub, { maxMessageBytes: 1_000 }).write([small, big]);

    expect(outcomes[0]).toEqual({ id: small.id, ok: true });
    expect(outcomes[1]?.ok === false && outcomes[1].error.retryable).toBe(false);
    expect(stub.batches[0]?.topicMessages?.[0]?.messages).toHaveLength(1);
  });

  it('sends nothing for an empty batch or a batch of only oversized events', async () => {
    const stub = stubClient();
    const sink = sinkWith(stub, { maxMessageBytes: 10 });

    expect(await sink.write([])).toEqual([]);
    const outcomes = await sink.write([envelope('orders', { filler: 'x'.repeat(100) })]);

    expect(outcomes[0]?.ok).toBe(false);
    expect(stub.counts.connect).toBe(0);
  });

  it('fails retryably and reports "not configured" without brokers', async () => {
    const sink = new KafkaSink({ brokers: [] });
    const outcomes = await sink.write([envelope('orders', 1)]);

    expect(outcomes[0]?.ok === false && outcomes[0].error.message).toMatch(/not configured/);
    await expect(sink.health()).resolves.toEqual({ status: 'not configured' });
  });

  it('rejects a compression kafkajs has no codec for', () => {
    expect(() => new KafkaSink({ brokers: ['b:9092'], compression: 'snappy' as KafkaCompression })).toThrow(
      ConfigError,
    );
  });

  it('turns MSK IAM into an OAUTHBEARER token signed with the given credentials', async () => {
    const stub = stubClient();
    const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
    await sinkWith(stub, { sasl: { mechanism: 'aws', region: 'eu-central-1', credentials } }).write([
      envelope('t', 1),
    ]);

    const sasl = stub.configs[0]?.sasl as {
      mechanism: string;
      oauthBearerProvider: () => Promise<{ value: string }>;
    };
    expect(sasl.mechanism).toBe('oauthbearer');
    const { value } = await sasl.oauthBearerProvider();
    const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
    expect(url.host).toBe('kafka.eu-central-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIDEXAMPLE\/\d{8}\/eu-central-1\/kafka-cluster\//,
    );
  });
});

describe('kafkaSinkOptionsFromConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eventgate-kafka-'));
    writeFileSync(path.join(dir, 'ca.pem'), 'CA PEM');
    writeFileSync(path.join(dir, 'cert.pem'), 'CERT PEM');
    writeFileSync(path.join(dir, 'key.pem'), 'KEY PEM');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is undefined without a bootstrap server', () => {
    expect(kafkaSinkOptionsFromConfig({})).toBeUndefined();
    expect(kafkaSinkOptionsFromConfig({ kafka_bootstrap_server: ' , ' })).toBeUndefined();
  });

  it('splits the comma-separated bootstrap servers and maps the kafka block', () => {
    const config: KafkaConfigKeys = {
      kafka_bootstrap_server: 'b1:9092, b2:9092',
      kafka: {
        client_id: 'gw',
        compression: 'gzip',
        idempotent: true,
        topic_map: { a: 'b' },
        timeout_ms: 1234,
        sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      },
    };
    expect(kafkaSinkOptionsFromConfig(config)).toEqual({
      brokers: ['b1:9092', 'b2:9092'],
      clientId: 'gw',
      compression: 'gzip',
      idempotent: true,
      topicMap: { a: 'b' },
      timeoutMs: 1234,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
  });

  it('reads the legacy kafka_ssl_* files into TLS options', () => {
    const options = kafkaSinkOptionsFromConfig({
      kafka_bootstrap_server: 'b1:9093',
      kafka_ssl_ca_path: path.join(dir, 'ca.pem'),
      kafka_ssl_cert_path: path.join(dir, 'cert.pem'),
      kafka_ssl_key_path: path.join(dir, 'key.pem'),
      kafka_ssl_key_password: 'pw',
    });
    expect(options?.ssl).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', passphrase: 'pw' });
  });

  it('lets the kafka.ssl block win over the legacy paths', () => {
    const options = kafkaSinkOptionsFromConfig({
      kafka_bootstrap_server: 'b1:9093',
      kafka_ssl_ca_path: path.join(dir, 'missing.pem'),
      kafka: { ssl: { ca_path: path.join(dir, 'ca.pem'), reject_unauthorized: false } },
    });
    expect(options?.ssl).toEqual({ ca: 'CA PEM', rejectUnauthorized: false });
    expect(kafkaSinkOptionsFromConfig({ kafka_bootstrap_server: 'b', kafka: { ssl: true } })?.ssl).toBe(true);
  });

  it('names the file it cannot read', () => {
    expect(() =>
      kafkaSinkOptionsFromConfig({
        kafka_bootstrap_server: 'b',
        kafka_ssl_ca_path: path.join(dir, 'nope.pem'),
      }),
    ).toThrow(/cannot read Kafka CA certificate .*nope\.pem/);
  });

  it('refuses Kerberos, which kafkajs cannot speak', () => {
    expect(() =>
      kafkaSinkOptionsFromConfig({ kafka_bootstrap_server: 'b', kafka_sasl_kerberos_principal: 'svc@REALM' }),
    ).toThrow(/GSSAPI/);
  });

  it('refuses compressions without a bundled codec and incomplete SASL settings', () => {
    expect(() =>
      kafkaSinkOptionsFromConfig({ kafka_bootstrap_server: 'b', kafka: { compression: 'zstd' } }),
    ).toThrow(ConfigError);
    expect(() =>
      kafkaSinkOptionsFromConfig({
        kafka_bootstrap_server: 'b',
        kafka: { sasl: { mechanism: 'plain', username: 'u' } },
      }),
    ).toThrow(/needs a username and a password/);
  });

  it('maps MSK IAM with its region and turns TLS on', () => {
    const options = kafkaSinkOptionsFromConfig({
      kafka_bootstrap_server: 'b-1.msk:9098',
      kafka: { sasl: { mechanism: 'aws', region: 'eu-west-1' } },
    });
    expect(options?.sasl).toEqual({ mechanism: 'aws', region: 'eu-west-1' });
    expect(options?.ssl).toBe(true);
  });
});
