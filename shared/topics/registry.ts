import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { GatewayConfig, TopicMode } from '../config/settings';
import { configS3, isS3Uri, parseS3Uri, readJson, resolveLocation } from '../config/source';
import { ConfigError } from '../config/errors';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';
import { compileSchema, type EventValidator } from '../validation/validator';

/** A registered topic: everything the request path needs, prepared once at load. */
export interface Topic {
  name: string;
  schema: unknown;
  validate: EventValidator;
  mode: TopicMode;
  sinks: SinkName[];
  keyField: string | null;
  idField: string | null;
  maxEventBytes: number | null;
}

export interface TopicRegistry {
  /** Names in load order (sorted by file name, as discovered). */
  names(): string[];
  /** Case-insensitive lookup. */
  get(name: string): Topic | undefined;
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;

async function listSchemaLocations(location: string): Promise<string[]> {
  if (isS3Uri(location)) {
    const { bucket, key } = parseS3Uri(location);
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    const { module, client: s3 } = configS3();
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new module.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key?.endsWith('.json')) found.push(`s3://${bucket}/${item.Key}`);
      }
      token = page.NextContinuationToken;
    } while (token);
    return found.sort();
  }
  const entries = await readdir(location).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot list topic schemas in ${location}: ${error.message}`);
  });
  return entries
    .filter((entry) => entry.endsWith('.json'))
    .sort()
    .map((entry) => path.join(location, entry));
}

function topicNameOf(location: string): string {
  return path.posix.basename(location.replace(/\\/g, '/'), '.json');
}

export interface RegistryInputs {
  /** The loaded configuration, or as much of it as the registry reads. */
  config: Partial<Pick<GatewayConfig, 'topics' | 'topic_schemas'>>;
  confDir: string;
  /** Sinks this deployment can deliver to; a topic's default. */
  availableSinks: SinkName[];
  /** Key fields from the legacy `topic_keys_config` file. */
  legacyKeys: Record<string, string>;
  /** Sinks a sync topic may write to from this process. */
  syncCapable?: SinkName[] | 'any';
  /** The sinks a topic may name. */
  catalog?: SinkCatalog;
}

/**
 * Discovers topics from `<confDir>/topics/<topic>.json` (or `topic_schemas`, which may be an s3://
 * prefix) and joins each with its settings under `topics` in config.json.
 */
export async function loadTopicRegistry(inputs: RegistryInputs): Promise<TopicRegistry> {
  const { config, confDir, availableSinks, legacyKeys } = inputs;
  const schemasAt = resolveLocation(config.topic_schemas ?? 'topics', confDir);
  const locations = await listSchemaLocations(schemasAt);
  const settings = config.topics ?? {};
  const byName = new Map<string, Topic>();
  const order: string[] = [];

  const schemas = await Promise.all(
    locations.map(async (location) => [location, await readJson(location)] as const),
  );
  for (const [location, schema] of schemas) {
    const name = topicNameOf(location);
    if (!TOPIC_NAME.test(name)) throw new ConfigError(`${location}: "${name}" is not a valid topic name`);
    const lowered = name.toLowerCase();
    if (byName.has(lowered)) throw new ConfigError(`${location}: topic "${name}" is defined twice`);
    const own = settings[name] ?? settings[lowered] ?? {};
    const sinks = own.sinks ?? availableSinks;
    if (sinks.length === 0) {
      // Accepting events that go nowhere would be losing them quietly.
      throw new ConfigError(`topic "${name}" has no sink to deliver to: configure at least one sink`);
    }
    for (const sink of sinks) {
      if (!(inputs.catalog ?? sinkCatalog).has(sink))
        throw new ConfigError(`config.json: topic "${name}" names unknown sink "${String(sink)}"`);
    }
    const mode = own.mode ?? 'async';
    if (mode !== 'async' && mode !== 'sync') {
      throw new ConfigError(
        `config.json: topic "${name}" has mode "${String(mode)}" (expected sync or async)`,
      );
    }
    const syncCapable = inputs.syncCapable ?? 'any';
    if (mode === 'sync' && syncCapable !== 'any') {
      const unreachable = sinks.filter((sink) => !syncCapable.includes(sink));
      if (unreachable.length > 0) {
        throw new ConfigError(
          `topic "${name}" is sync but this deployment's ingest function cannot write to ${unreachable.join(', ')} ` +
            `(add them to the syncSinks parameter, or make the topic async)`,
        );
      }
    }
    byName.set(lowered, {
      name,
      schema,
      validate: compileSchema(schema, location),
      mode,
      sinks: [...sinks],
      keyField: own.key ?? legacyKeys[name] ?? null,
      idField: own.id_field ?? null,
      maxEventBytes: own.max_event_bytes ?? null,
    });
    order.push(name);
  }
  for (const name of Object.keys(settings)) {
    if (!byName.has(name.toLowerCase())) {
      throw new ConfigError(
        `config.json: settings for topic "${name}" but no schema ${name}.json in ${schemasAt}`,
      );
    }
  }
  return {
    names: () => [...order],
    get: (name) => byName.get(name.toLowerCase()),
  };
}
