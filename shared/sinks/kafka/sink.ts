import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import {
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type KafkaConfig,
  type Message,
  type Producer,
  type SASLOptions,
  type TopicMessages,
} from 'kafkajs';
import type { Envelope } from '../../envelope';
import { ConfigError } from '../../config/errors';
import type { KafkaConfigKeys, KafkaSettings } from './settings';
import { defaultAwsCredentials, mskIamToken, type AwsCredentialsProvider } from './msk-iam';
import { kafkaHeaders, kafkaRecordBytes, KAFKA_MAX_MESSAGE_BYTES } from '../limits';
import { failAll, SinkError, type DeliveryOutcome, type Sink, type SinkHealth } from '../types';
import { withTimeout } from '../../timeout';
import { describeError } from '../../errors/describe';

export type KafkaSasl =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** Amazon MSK IAM, sent as an OAUTHBEARER token signed with the given (or default) AWS credentials. */
  | { mechanism: 'aws'; region: string; credentials?: AwsCredentialsProvider };

/** Codecs kafkajs ships with; snappy, lz4 and zstd need extra codec packages we do not carry. */
export type KafkaCompression = 'none' | 'gzip';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId?: string;
  ssl?: boolean | tls.ConnectionOptions;
  sasl?: KafkaSasl;
  compression?: KafkaCompression;
  /** Off by default: an idempotent producer needs a broker that reports its controller correctly. */
  idempotent?: boolean;
  /** EventGate topic → Kafka topic; unmapped topics keep their name. */
  topicMap?: Record<string, string>;
  /** Budget for one write (connect + send), also the broker's ack timeout. Default 10 000. */
  timeoutMs?: number;
  /** Budget for the health check. Default 3 000. */
  healthTimeoutMs?: number;
  /** Records larger than this (value + key + headers) fail alone, before the batch is sent. Default 1 000 000. */
  maxMessageBytes?: number;
  /** Retries kafkajs makes inside one call before giving up. Default 2: the queue is the long-term retry. */
  retries?: number;
  /** kafkajs's own logging; silent by default because every failure is reported through the outcomes. */
  logLevel?: KafkaLogLevel;
  /** Builds the kafkajs client; tests use it to stub the producer. */
  createClient?: (config: KafkaConfig) => Kafka;
}

export {
  KAFKA_EVENT_ID_HEADER as EVENT_ID_HEADER,
  KAFKA_TOPIC_HEADER as TOPIC_HEADER,
  KAFKA_RECEIVED_AT_HEADER as RECEIVED_AT_HEADER,
  KAFKA_CORRELATION_ID_HEADER as CORRELATION_ID_HEADER,
  KAFKA_SCHEMA_VERSION_HEADER as SCHEMA_VERSION_HEADER,
} from '../limits';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 3_000;
const DEFAULT_MAX_MESSAGE_BYTES = KAFKA_MAX_MESSAGE_BYTES;
const DEFAULT_RETRIES = 2;
const SUPPORTED_COMPRESSION: Record<KafkaCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

function messageBytes(message: Message): number {
  return kafkaRecordBytes(
    message.value === null || message.value === undefined ? null : String(message.value),
    message.key === null || message.key === undefined ? null : String(message.key),
    message.headers ?? {},
  );
}

/**
 * Publishes events to Kafka: one `sendBatch` per write, acknowledged by all in-sync replicas.
 * The value is the event as the client sent it; the gateway's facts ride in headers, so
 * consumers can deduplicate on `eventgate-event-id`.
 */
export class KafkaSink implements Sink {
  readonly name = 'kafka' as const;
  private readonly timeoutMs: number;
  private readonly healthTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private readonly compression: CompressionTypes;
  private client: Kafka | undefined;
  private producer: Promise<Producer> | undefined;

  constructor(private readonly options: KafkaSinkOptions) {
    const compression = options.compression ?? 'none';
    const codec = SUPPORTED_COMPRESSION[compression];
    if (codec === undefined) {
      throw new ConfigError(
        `Kafka compression "${String(compression)}" is not supported; use "gzip" or "none" (kafkajs ships no other codec)`,
      );
    }
    this.compression = codec;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.healthTimeoutMs = options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  private get configured(): boolean {
    return this.options.brokers.length > 0;
  }

  async write(events: readonly Envelope[]): Promise<DeliveryOutcome[]> {
    if (events.length === 0) return [];
    if (!this.configured)
      return failAll(events, new SinkError('kafka', 'Kafka is not configured (no brokers)'));

    const outcomes: DeliveryOutcome[] = [];
    const sendable: number[] = [];
    const byTopic = new Map<string, Message[]>();
    events.forEach((event, index) => {
      const message = this.toMessage(event);
      const bytes = messageBytes(message);
      if (bytes > this.maxMessageBytes) {
        const error = new SinkError(
          'kafka',
          `event ${event.id} is ${bytes} bytes, over the ${this.maxMessageBytes}-byte Kafka message limit`,
          false,
        );
        outcomes[index] = { id: event.id, ok: false, error };
        return;
      }
      const topic = this.kafkaTopic(event.topic);
      const messages = byTopic.get(topic) ?? [];
      messages.push(message);
      byTopic.set(topic, messages);
      sendable.push(index);
    });

    if (sendable.length > 0) {
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      const failure = await this.send(topicMessages);
      for (const index of sendable) {
        const id = (events[index] as Envelope).id;
        outcomes[index] = failure ? { id, ok: false, error: failure } : { id, ok: true };
      }
    }
    return outcomes;
  }

  async health(): Promise<SinkHealth> {
    if (!this.configured) return { status: 'not configured' };
    const admin = this.kafka().admin({ retry: { retries: 0 } });
    try {
      await withTimeout(
        admin.connect().then(() => admin.describeCluster()),
        this.healthTimeoutMs,
        'Kafka metadata request',
      );
      return { status: 'ok' };
    } catch (error) {
      return { status: 'down', message: describeError(error) };
    } finally {
      admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await producer.then((p) => p.disconnect()).catch(() => undefined);
  }

  private toMessage(event: Envelope): Message {
    return {
      key: event.key,
      value: JSON.stringify(event.payload),
      timestamp: String(Date.parse(event.receivedAt)),
      headers: kafkaHeaders(event),
    };
  }

  private kafkaTopic(topic: string): string {
    return this.options.topicMap?.[topic] ?? topic;
  }

  /** Sends the whole batch in one request; returns the error every sent event shares, if any. */
  private async send(topicMessages: TopicMessages[]): Promise<SinkError | undefined> {
    try {
      await withTimeout(
        this.connectedProducer().then((producer) =>
          producer.sendBatch({
            topicMessages,
            acks: -1,
            compression: this.compression,
            timeout: this.timeoutMs,
          }),
        ),
        this.timeoutMs,
        'Kafka write',
      );
      return undefined;
    } catch (error) {
      // A producer that failed (timed out mid-request, lost its brokers) may be wedged; start afresh.
      this.dropProducer();
      return new SinkError('kafka', `Kafka write failed: ${describeError(error)}`, true, { cause: error });
    }
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka().producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: this.options.idempotent ?? false,
        ...(this.options.idempotent ? { maxInFlightRequests: 1 } : {}),
        retry: this.retryOptions(),
      });
      this.producer = producer.connect().then(() => producer);
    }
    return this.producer;
  }

  private dropProducer(): void {
    const producer = this.producer;
    this.producer = undefined;
    producer?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private retryOptions(): { retries: number; initialRetryTime: number; maxRetryTime: number } {
    return { retries: this.options.retries ?? DEFAULT_RETRIES, initialRetryTime: 100, maxRetryTime: 1_000 };
  }

  private kafka(): Kafka {
    if (!this.client) {
      const config: KafkaConfig = {
        brokers: this.options.brokers,
        clientId: this.options.clientId ?? 'eventgate',
        connectionTimeout: Math.min(this.timeoutMs, 3_000),
        requestTimeout: this.timeoutMs,
        retry: this.retryOptions(),
        logLevel: this.options.logLevel ?? KafkaLogLevel.NOTHING,
      };
      if (this.options.ssl !== undefined) config.ssl = this.options.ssl;
      if (this.options.sasl) config.sasl = kafkajsSasl(this.options.sasl);
      this.client = (this.options.createClient ?? ((c: KafkaConfig) => new Kafka(c)))(config);
    }
    return this.client;
  }
}

function kafkajsSasl(sasl: KafkaSasl): SASLOptions {
  if (sasl.mechanism !== 'aws') return sasl;
  const { region } = sasl;
  const credentials = sasl.credentials ?? defaultAwsCredentials;
  return {
    mechanism: 'oauthbearer',
    oauthBearerProvider: async () => ({ value: await mskIamToken(region, await credentials()) }),
  };
}

function readPem(location: string, what: string): string {
  try {
    return readFileSync(location, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read Kafka ${what} ${location}: ${describeError(error)}`);
  }
}

function tlsOptions(config: KafkaConfigKeys): boolean | tls.ConnectionOptions | undefined {
  const block = config.kafka?.ssl;
  if (block === false) return false;
  const settings = typeof block === 'object' ? block : {};
  const caPath = settings.ca_path ?? config.kafka_ssl_ca_path;
  const certPath = settings.cert_path ?? config.kafka_ssl_cert_path;
  const keyPath = settings.key_path ?? config.kafka_ssl_key_path;
  const passphrase = settings.key_password ?? config.kafka_ssl_key_password;
  if (!caPath && !certPath && !keyPath && settings.reject_unauthorized === undefined) {
    return block === true ? true : undefined;
  }
  const options: tls.ConnectionOptions = {};
  if (caPath) options.ca = readPem(caPath, 'CA certificate');
  if (certPath) options.cert = readPem(certPath, 'client certificate');
  if (keyPath) options.key = readPem(keyPath, 'client key');
  if (passphrase) options.passphrase = passphrase;
  if (settings.reject_unauthorized !== undefined) options.rejectUnauthorized = settings.reject_unauthorized;
  return options;
}

function saslOptions(settings: KafkaSettings['sasl']): KafkaSasl | undefined {
  if (!settings) return undefined;
  switch (settings.mechanism) {
    case 'plain':
    case 'scram-sha-256':
    case 'scram-sha-512':
      if (!settings.username || !settings.password) {
        throw new ConfigError(
          `kafka.sasl: mechanism "${settings.mechanism}" needs a username and a password`,
        );
      }
      return { mechanism: settings.mechanism, username: settings.username, password: settings.password };
    case 'aws': {
      const region = settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region)
        throw new ConfigError('kafka.sasl: mechanism "aws" needs a region (kafka.sasl.region or AWS_REGION)');
      return { mechanism: 'aws', region };
    }
    default:
      throw new ConfigError(
        `kafka.sasl: unknown mechanism "${String((settings as { mechanism: unknown }).mechanism)}"`,
      );
  }
}

function compressionOption(value: KafkaSettings['compression']): KafkaCompression | undefined {
  if (value === undefined || value === 'none' || value === 'gzip') return value;
  throw new ConfigError(
    `kafka.compression "${value}" is not supported; use "gzip" or "none" (kafkajs ships no other codec)`,
  );
}

/**
 * The Kafka sink's options from config.json, or undefined when no bootstrap server is set.
 * Reads the legacy `kafka_ssl_*` paths as well as the `kafka` block (which wins where both speak).
 */
export function kafkaSinkOptionsFromConfig(config: KafkaConfigKeys): KafkaSinkOptions | undefined {
  const brokers = (config.kafka_bootstrap_server ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (brokers.length === 0) return undefined;
  if (config.kafka_sasl_kerberos_principal || config.kafka_sasl_kerberos_keytab_path) {
    throw new ConfigError(
      'Kafka Kerberos (SASL GSSAPI) is configured, but kafkajs does not support GSSAPI; ' +
        'use kafka.sasl with plain, scram-sha-256, scram-sha-512 or aws instead',
    );
  }
  const settings = config.kafka ?? {};
  const options: KafkaSinkOptions = { brokers };
  if (settings.client_id) options.clientId = settings.client_id;
  const ssl = tlsOptions(config);
  if (ssl !== undefined) options.ssl = ssl;
  const sasl = saslOptions(settings.sasl);
  if (sasl) options.sasl = sasl;
  // MSK serves IAM authentication on its TLS listener only.
  if (sasl?.mechanism === 'aws' && options.ssl === undefined) options.ssl = true;
  const compression = compressionOption(settings.compression);
  if (compression) options.compression = compression;
  if (settings.idempotent !== undefined) options.idempotent = settings.idempotent;
  if (settings.topic_map) options.topicMap = settings.topic_map;
  if (settings.timeout_ms !== undefined) options.timeoutMs = settings.timeout_ms;
  return options;
}
