import type { ConfigDocument, SinkSettings } from '../definition';

export interface KafkaSaslSettings {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'aws';
  username?: string;
  password?: string;
  /** For `aws` (MSK IAM): region whose credentials sign the token. */
  region?: string;
}

export interface KafkaSettings {
  client_id?: string;
  ssl?:
    | boolean
    | {
        ca_path?: string;
        cert_path?: string;
        key_path?: string;
        key_password?: string;
        reject_unauthorized?: boolean;
      };
  sasl?: KafkaSaslSettings;
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  idempotent?: boolean;
  /** EventGate topic → Kafka topic, when they differ. */
  topic_map?: Record<string, string>;
  timeout_ms?: number;
}

/** The config.json keys of the kafka sink: the Python EventGate's flat keys and the `kafka` block. */
export interface KafkaConfigKeys {
  kafka_bootstrap_server?: string;
  kafka_sasl_kerberos_principal?: string;
  kafka_sasl_kerberos_keytab_path?: string;
  kafka_ssl_ca_path?: string;
  kafka_ssl_cert_path?: string;
  kafka_ssl_key_path?: string;
  kafka_ssl_key_password?: string;
  kafka?: KafkaSettings;
}

const text = { type: 'string' };

export const kafkaSettings: SinkSettings = {
  properties: {
    kafka_bootstrap_server: text,
    kafka_sasl_kerberos_principal: text,
    kafka_sasl_kerberos_keytab_path: text,
    kafka_ssl_ca_path: text,
    kafka_ssl_cert_path: text,
    kafka_ssl_key_path: text,
    kafka_ssl_key_password: text,
    kafka: {
      type: 'object',
      additionalProperties: false,
      properties: {
        client_id: text,
        ssl: {
          oneOf: [
            { type: 'boolean' },
            {
              type: 'object',
              additionalProperties: false,
              properties: {
                ca_path: text,
                cert_path: text,
                key_path: text,
                key_password: text,
                reject_unauthorized: { type: 'boolean' },
              },
            },
          ],
        },
        sasl: {
          type: 'object',
          additionalProperties: false,
          required: ['mechanism'],
          properties: {
            mechanism: { enum: ['plain', 'scram-sha-256', 'scram-sha-512', 'aws'] },
            username: text,
            password: text,
            region: text,
          },
        },
        // kafkajs ships gzip only; snappy, lz4 and zstd need codec packages EventGate does not carry.
        compression: { enum: ['none', 'gzip'] },
        idempotent: { type: 'boolean' },
        topic_map: { type: 'object', additionalProperties: text },
        timeout_ms: { type: 'integer', minimum: 1 },
      },
    },
  },
  fromEnvironment(document: ConfigDocument, env: NodeJS.ProcessEnv): ConfigDocument {
    const brokers = env.KAFKA_BOOTSTRAP_SERVER;
    return brokers ? { ...document, kafka_bootstrap_server: brokers } : document;
  },
};
