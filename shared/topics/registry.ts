import type { GatewayConfig, TopicMode } from '../config/settings';
import { readJson, resolveLocation } from '../config/source';
import { ConfigError } from '../config/errors';
import { sinkCatalog, type SinkCatalog } from '../sinks/catalog';
import type { SinkName } from '../sinks/types';
import { compileSchema, type EventValidator } from '../validation/validator';
import { discoverSchemaFiles } from '../schemas/layout';
import {
  checkVersionChain,
  compatibilityModeOf,
  describeIncompatibility,
  type CompatibilityMode,
} from '../schemas/compatibility';
import { arrangeVersions, type SchemaVersion, type TopicVersions } from '../schemas/versions';

/** A registered topic: everything the request path needs, prepared once at load. */
export interface Topic {
  name: string;
  /** The current (latest live) version's schema and validator: what unpinned events meet. */
  schema: unknown;
  validate: EventValidator;
  /** Every version of the schema, ascending; `versions.current` is the one above. */
  versions: TopicVersions;
  mode: TopicMode;
  sinks: SinkName[];
  keyField: string | null;
  idField: string | null;
  maxEventBytes: number | null;
  compatibility: CompatibilityMode;
  /** Refused events are kept in the quarantine queue for listing and replay. */
  quarantine: boolean;
}

export interface TopicRegistry {
  /** Names in load order (sorted by file name, as discovered). */
  names(): string[];
  /** Case-insensitive lookup. */
  get(name: string): Topic | undefined;
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;

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
 * Discovers topics from `<confDir>/topics/<topic>.json` and `<confDir>/topics/<topic>/<N>.json`
 * (or `topic_schemas`, which may be an s3:// prefix) and joins each with its settings under
 * `topics` in config.json.
 */
export async function loadTopicRegistry(inputs: RegistryInputs): Promise<TopicRegistry> {
  const { config, confDir, availableSinks, legacyKeys } = inputs;
  const schemasAt = resolveLocation(config.topic_schemas ?? 'topics', confDir);
  const discovered = await discoverSchemaFiles(schemasAt);
  const settings = config.topics ?? {};
  const byName = new Map<string, Topic>();
  const order: string[] = [];

  const topics = await Promise.all(
    [...discovered].map(async ([name, files]) => {
      const read = await Promise.all(
        files.map(async (file) => ({ file, schema: await readJson(file.location) })),
      );
      return [name, read] as const;
    }),
  );
  for (const [name, read] of topics) {
    const location = read[0]?.file.location ?? schemasAt;
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
    const compiled: SchemaVersion[] = read.map(({ file, schema }) => ({
      version: file.version,
      schema,
      validate: compileSchema(schema, file.location),
      retired: false,
      location: file.location,
    }));
    const versions = arrangeVersions(name, compiled, own.retired_versions);
    const compatibility = compatibilityModeOf(name, own.compatibility);
    const broken = checkVersionChain(compatibility, versions.all);
    if (broken.length > 0) {
      // A version that breaks its topic's mode must never go live, not even on a background reload.
      throw new ConfigError(
        `topic "${name}": ${broken.map((found) => describeIncompatibility(compatibility, found)).join('; ')}`,
      );
    }
    byName.set(lowered, {
      name,
      schema: versions.current.schema,
      validate: versions.current.validate,
      versions,
      mode,
      sinks: [...sinks],
      keyField: own.key ?? legacyKeys[name] ?? null,
      idField: own.id_field ?? null,
      maxEventBytes: own.max_event_bytes ?? null,
      compatibility,
      quarantine: own.quarantine === true,
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
