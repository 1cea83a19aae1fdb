import path from 'node:path';
import type { SinkName } from '../sinks/types';

export type TopicMode = 'sync' | 'async';

/** Per-topic settings under `"topics"` in config.json. Everything is optional. */
export interface TopicSettings {
  mode?: TopicMode;
  sinks?: SinkName[];
  /** Field of the event used as the partition/message key (Kafka key, Postgres column). */
  key?: string;
  /** Field of the event that identifies it for the client; used as an idempotency key when no header is sent. */
  id_field?: string;
  max_event_bytes?: number;
}

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

export interface EventBridgeSettings {
  /** `Source` of each entry; `{topic}` is replaced by the EventGate topic (the default). */
  source?: string;
  detail_type?: string;
  region?: string;
}

export interface PostgresSettings {
  /** Connection URL; `DATABASE_URL` and the Secrets Manager secret are the other ways in. */
  url?: string;
  /** EventGate topic → table name, when the derived name does not suit. */
  tables?: Record<string, string>;
  schema?: string;
  pool_max?: number;
}

export interface S3ArchiveSettings {
  bucket: string;
  prefix?: string;
  region?: string;
}

/**
 * conf/config.json. Keys of the Python EventGate keep their names and meaning; the rest extend them.
 */
export interface GatewayConfig {
  access_config?: string;
  topic_keys_config?: string;
  /** Where topic schemas are discovered: a directory (default `<confDir>/topics`) or an s3:// prefix. */
  topic_schemas?: string;
  token_provider_url?: string;
  token_public_keys_url?: string;
  /** Legacy spelling of `token_public_keys_url`. */
  token_public_key_url?: string;
  token_issuer?: string;
  token_audience?: string;
  token_keys_ttl_seconds?: number;
  kafka_bootstrap_server?: string;
  kafka_sasl_kerberos_principal?: string;
  kafka_sasl_kerberos_keytab_path?: string;
  kafka_ssl_ca_path?: string;
  kafka_ssl_cert_path?: string;
  kafka_ssl_key_path?: string;
  kafka_ssl_key_password?: string;
  kafka?: KafkaSettings;
  event_bus_arn?: string;
  eventbridge?: EventBridgeSettings;
  postgres?: PostgresSettings;
  s3_archive?: S3ArchiveSettings;
  ssl_ca_bundle?: string | boolean;
  /** Largest accepted request body. */
  max_body_bytes?: number;
  /** Largest accepted batch (JSON array body). */
  max_batch_events?: number;
  /** Budget for each sink write on the sync path. */
  sync_timeout_ms?: number;
  /** How long loaded config, access map, schemas and keys are trusted before a reload. */
  reload_ttl_seconds?: number;
  topics?: Record<string, TopicSettings>;
  // Issue 10 ("every answer honest"):
  /** Longest accepted token lifetime (`exp` − `iat`); every token must carry `exp`. */
  token_max_lifetime_seconds?: number;
  /** Subjects (matched like the access map's, ignoring case) allowed to `POST /terminate`. */
  operators?: string[];
}

export const DEFAULTS = {
  max_body_bytes: 1024 * 1024,
  max_batch_events: 500,
  sync_timeout_ms: 10_000,
  reload_ttl_seconds: 300,
  token_keys_ttl_seconds: 28 * 60,
  token_max_lifetime_seconds: 24 * 3600,
} as const;

/** Directory holding config.json, access.json, topics/ and api.yaml. */
export function confDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.CONF_DIR ?? path.join(__dirname, '..', '..', 'conf'));
}
