import { loadConfig } from '../config/load';
import type { GatewayConfig, TopicSettings } from '../config/settings';
import { readJson, resolveLocation } from '../config/source';
import { compatibilityModeOf, type CompatibilityMode } from './compatibility';
import { discoverSchemaFiles } from './layout';

/** A topic's schema versions as configured, read without building the rest of the gateway. */
export interface ConfiguredTopic {
  name: string;
  mode: CompatibilityMode;
  versions: Array<{ version: number; schema: unknown; retired: boolean; location: string }>;
}

function settingsOf(config: GatewayConfig, topic: string): TopicSettings {
  const all = config.topics ?? {};
  return all[topic] ?? all[topic.toLowerCase()] ?? {};
}

/**
 * Reads one topic's versions from a configuration directory (case-insensitively). Used by the
 * CLI, so a producer's CI can check a schema against the versions the gateway will hold.
 */
export async function readConfiguredTopic(
  confDir: string,
  topic: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConfiguredTopic | null> {
  const config = await loadConfig(confDir, env);
  const discovered = await discoverSchemaFiles(resolveLocation(config.topic_schemas ?? 'topics', confDir));
  const name = [...discovered.keys()].find((candidate) => candidate.toLowerCase() === topic.toLowerCase());
  if (name === undefined) return null;
  const settings = settingsOf(config, name);
  const retired = Array.isArray(settings.retired_versions) ? settings.retired_versions : [];
  const files = discovered.get(name) ?? [];
  return {
    name,
    mode: compatibilityModeOf(name, settings.compatibility),
    versions: await Promise.all(
      files.map(async (file) => ({
        version: file.version,
        schema: await readJson(file.location),
        retired: retired.includes(file.version),
        location: file.location,
      })),
    ),
  };
}
