import type { JsonSchema } from '../sinks/definition';
import type { SinkCatalog } from '../sinks/catalog';

/**
 * The JSON Schema of config.json: the gateway's own keys, with their defaults, and each sink's keys
 * from its definition. The one place a key's type, limits and default are written down.
 */

const text: JsonSchema = { type: 'string' };
const nonEmptyText: JsonSchema = { type: 'string', minLength: 1 };

/** Defaults of the gateway's own keys; the loaded configuration always carries them. */
export const CONFIG_DEFAULTS = {
  access_config: 'access.json',
  topic_schemas: 'topics',
  max_body_bytes: 1024 * 1024,
  max_batch_events: 500,
  sync_timeout_ms: 10_000,
  reload_ttl_seconds: 300,
  token_keys_ttl_seconds: 28 * 60,
  token_max_lifetime_seconds: 24 * 3600,
  operators: [] as string[],
} as const;

const textList: JsonSchema = { type: 'array', items: nonEmptyText };

/** `cors`, globally and per topic (shared/ingest/cors.ts). */
const corsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['allowed_origins'],
  properties: {
    allowed_origins: textList,
    allowed_methods: textList,
    allowed_headers: textList,
    exposed_headers: textList,
    max_age_seconds: { type: 'integer', minimum: 0 },
  },
};

/** `token_issuance` (shared/issuer/issuer.ts). */
const tokenIssuanceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    clients: nonEmptyText,
    signing_key: nonEmptyText,
    issuer: nonEmptyText,
    lifetime_seconds: { type: 'integer', minimum: 1, maximum: 3600 },
    clients_ttl_seconds: { type: 'integer', minimum: 0 },
    region: nonEmptyText,
  },
};

function topicSettingsSchema(catalog: SinkCatalog): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      mode: { enum: ['sync', 'async'] },
      sinks: { type: 'array', items: { enum: [...catalog.names] } },
      key: nonEmptyText,
      id_field: nonEmptyText,
      max_event_bytes: { type: 'integer', minimum: 1 },
      cors: corsSchema,
      retired_versions: { type: 'array', items: { type: 'integer', minimum: 1 } },
      compatibility: { enum: ['backward', 'forward', 'full', 'none'] },
      quarantine: { type: 'boolean' },
    },
  };
}

function coreProperties(catalog: SinkCatalog): Record<string, JsonSchema> {
  return {
    access_config: { ...nonEmptyText, default: CONFIG_DEFAULTS.access_config },
    topic_keys_config: text,
    topic_schemas: { ...nonEmptyText, default: CONFIG_DEFAULTS.topic_schemas },
    token_provider_url: text,
    token_public_keys_url: text,
    token_public_key_url: text,
    token_issuer: text,
    token_audience: text,
    token_keys_ttl_seconds: { type: 'integer', minimum: 1, default: CONFIG_DEFAULTS.token_keys_ttl_seconds },
    token_max_lifetime_seconds: {
      type: 'integer',
      minimum: 1,
      default: CONFIG_DEFAULTS.token_max_lifetime_seconds,
    },
    operators: { type: 'array', items: nonEmptyText, default: [] },
    ssl_ca_bundle: { type: ['string', 'boolean'] },
    max_body_bytes: { type: 'integer', minimum: 1, default: CONFIG_DEFAULTS.max_body_bytes },
    max_batch_events: { type: 'integer', minimum: 1, default: CONFIG_DEFAULTS.max_batch_events },
    sync_timeout_ms: { type: 'integer', minimum: 1, default: CONFIG_DEFAULTS.sync_timeout_ms },
    reload_ttl_seconds: { type: 'number', minimum: 0, default: CONFIG_DEFAULTS.reload_ttl_seconds },
    topics: { type: 'object', additionalProperties: topicSettingsSchema(catalog), default: {} },
    cors: corsSchema,
    token_issuance: tokenIssuanceSchema,
  };
}

/**
 * `unknownKeys: 'reject'` is what `eventgate validate` checks (a misspelt key is a mistake);
 * loading ignores keys it does not know, so a newer config.json does not stop an older gateway.
 */
export function configSchema(catalog: SinkCatalog, unknownKeys: 'reject' | 'ignore'): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...coreProperties(catalog) };
  for (const definition of catalog.definitions) {
    for (const [key, schema] of Object.entries(definition.settings.properties)) {
      if (key in properties) throw new Error(`config key "${key}" of sink ${definition.name} is taken`);
      properties[key] = schema;
    }
  }
  const schema: JsonSchema = { type: 'object', properties, additionalProperties: false };
  return unknownKeys === 'reject' ? schema : openObjects(schema);
}

/** The schema with every `additionalProperties: false` dropped. */
function openObjects(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === 'additionalProperties' && value === false) continue;
    copy[keyword] = openValue(value);
  }
  return copy;
}

function openValue(value: JsonSchema[string]): JsonSchema[string] {
  if (Array.isArray(value)) return value.map(openValue);
  if (typeof value === 'object' && value !== null) return openObjects(value);
  return value;
}
