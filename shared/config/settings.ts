import path from 'node:path';
import type { CorsSettings } from '../ingest/cors';
import type { TokenIssuanceSettings } from '../issuer/issuer';
import type { SinkName } from '../sinks/types';
import { CONFIG_DEFAULTS } from './schema';

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
  /** This topic's CORS policy, replacing the global one for its routes. */
  cors?: CorsSettings;
  /** Schema versions no longer accepted (still listed and served). */
  retired_versions?: number[];
  /** How each new schema version must relate to the live ones before it may load. Default `backward`. */
  compatibility?: 'backward' | 'forward' | 'full' | 'none';
  /** Keep events refused for schema or field-rule reasons in the quarantine queue. Default false. */
  quarantine?: boolean;
}

/**
 * conf/config.json as loaded: checked against its schema (./schema.ts) with every default filled in,
 * so the keys with a default are always there. Keys of the Python EventGate keep their names and
 * meaning; the rest extend them. Each sink owns further keys, typed and described in its folder
 * (shared/sinks/<sink>/settings.ts).
 */
export interface GatewayConfig {
  readonly [sinkKey: string]: unknown;
  access_config: string;
  topic_keys_config?: string;
  /** Where topic schemas are discovered: a directory (default `<confDir>/topics`) or an s3:// prefix. */
  topic_schemas: string;
  token_provider_url?: string;
  token_public_keys_url?: string;
  /** Legacy spelling of `token_public_keys_url`. */
  token_public_key_url?: string;
  token_issuer?: string;
  token_audience?: string;
  token_keys_ttl_seconds: number;
  ssl_ca_bundle?: string | boolean;
  /** Largest accepted request body. */
  max_body_bytes: number;
  /** Largest accepted batch (JSON array body). */
  max_batch_events: number;
  /** Budget for each sink write on the sync path. */
  sync_timeout_ms: number;
  /** How long loaded config, access map, schemas and keys are trusted before a reload. */
  reload_ttl_seconds: number;
  topics: Record<string, TopicSettings>;
  /** CORS policy of the browser-facing routes; none means no cross-origin access. */
  cors?: CorsSettings;
  /** Turns on `POST /token` (client credentials) and `/.well-known/jwks.json`. */
  token_issuance?: TokenIssuanceSettings;
  /** Longest accepted token lifetime (`exp` − `iat`); every token must carry `exp`. */
  token_max_lifetime_seconds: number;
  /** Subjects (matched like the access map's, ignoring case) allowed to `POST /terminate`. */
  operators: string[];
}

/** The defaults the schema fills in, for code that runs without a loaded configuration. */
export const DEFAULTS = CONFIG_DEFAULTS;

/** Directory holding config.json, access.json, topics/ and api.yaml. */
export function confDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.CONF_DIR ?? path.join(__dirname, '..', '..', 'conf'));
}
