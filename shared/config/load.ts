import path from 'node:path';
import type { GatewayConfig } from './settings';
import { readJson, resolveLocation } from './source';
import { ConfigError } from './errors';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { ConfigDocument } from '../sinks/definition';
import { parseConfig } from './parse';
import type { SinkName } from '../sinks/types';

/**
 * Deployment-time values may come from the environment (serverless.yml parameters) instead of the
 * packaged config.json; the environment wins so one bundle serves every stage.
 */
const ENV_OVERRIDES: ReadonlyArray<[keyof GatewayConfig, string]> = [
  ['access_config', 'ACCESS_CONFIG'],
  ['topic_schemas', 'TOPIC_SCHEMAS'],
  ['token_provider_url', 'TOKEN_PROVIDER_URL'],
  ['token_public_keys_url', 'TOKEN_PUBLIC_KEYS_URL'],
  ['token_issuer', 'TOKEN_ISSUER'],
  ['token_audience', 'TOKEN_AUDIENCE'],
];

/** config.json with the environment's overrides, checked and completed (see ./parse.ts). */
export async function loadConfig(
  confDir: string,
  env: NodeJS.ProcessEnv = process.env,
  catalog: SinkCatalog = sinkCatalog,
): Promise<GatewayConfig> {
  const location = env.CONFIG_LOCATION ?? path.join(confDir, 'config.json');
  const doc = await readJson(location);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`${location} must hold a JSON object`);
  }
  let document: ConfigDocument = { ...doc };
  for (const [key, variable] of ENV_OVERRIDES) {
    const value = env[variable];
    if (value !== undefined && value !== '') document[key] = value;
  }
  for (const definition of catalog.definitions) {
    document = definition.settings.fromEnvironment?.(document, env) ?? document;
  }
  return parseConfig(document, location, catalog);
}

/** The legacy `topic_keys_config` file: topic → field used as the message key. */
export async function loadLegacyTopicKeys(
  config: GatewayConfig,
  confDir: string,
): Promise<Record<string, string>> {
  if (!config.topic_keys_config) return {};
  const location = resolveLocation(config.topic_keys_config, confDir);
  const doc = await readJson(location);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(`${location} must map topic names to field names`);
  }
  for (const [topic, field] of Object.entries(doc)) {
    if (typeof field !== 'string')
      throw new ConfigError(`${location}: key field of "${topic}" must be a string`);
  }
  return doc as Record<string, string>;
}

/**
 * Sinks this deployment delivers to. `EVENTGATE_SINKS` (set by the deployment) wins; otherwise a
 * sink counts as available when its connection is configured.
 */
export function availableSinks(
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = process.env,
  catalog: SinkCatalog = sinkCatalog,
): SinkName[] {
  if (env.EVENTGATE_SINKS !== undefined) {
    const listed = env.EVENTGATE_SINKS.split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    for (const name of listed) {
      if (!catalog.has(name)) throw new ConfigError(`EVENTGATE_SINKS names unknown sink "${name}"`);
    }
    // Canonical order, so error lists and headers do not depend on how the variable was written.
    return catalog.inOrder(listed);
  }
  return catalog.definitions
    .filter((definition) => definition.isConfigured(config, env))
    .map((definition) => definition.name);
}

/**
 * Sinks a sync topic may write to from this process, or every sink when unrestricted. A deployment
 * sets `EVENTGATE_SYNC_SINKS` because its ingest function only carries some sinks' clients and grants.
 */
export function syncCapableSinks(
  env: NodeJS.ProcessEnv = process.env,
  catalog: SinkCatalog = sinkCatalog,
): SinkName[] | 'any' {
  if (env.EVENTGATE_SYNC_SINKS === undefined) return 'any';
  return catalog.inOrder(env.EVENTGATE_SYNC_SINKS.split(',').map((name) => name.trim()));
}
