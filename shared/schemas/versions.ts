import { ConfigError } from '../config/errors';
import type { EventValidator } from '../validation/validator';

/** One version of a topic's schema, compiled once at load. */
export interface SchemaVersion {
  version: number;
  schema: unknown;
  validate: EventValidator;
  /** Retired by `topics.<topic>.retired_versions`: still served for reading, no longer accepted. */
  retired: boolean;
  location: string;
}

/** The versions of one topic, ascending, and the one unpinned events are validated against. */
export interface TopicVersions {
  all: SchemaVersion[];
  current: SchemaVersion;
}

/**
 * Joins the discovered versions with the retirement list. At least one version must stay live,
 * and a retirement must name a version that exists (a typo would otherwise retire nothing).
 */
export function arrangeVersions(topic: string, versions: SchemaVersion[], retired: unknown): TopicVersions {
  const retiredList = retired ?? [];
  if (!Array.isArray(retiredList) || !retiredList.every((entry) => Number.isInteger(entry))) {
    throw new ConfigError(`config.json: topics.${topic}.retired_versions must be a list of version numbers`);
  }
  for (const number of retiredList as number[]) {
    if (!versions.some((version) => version.version === number)) {
      throw new ConfigError(
        `config.json: topics.${topic}.retired_versions names version ${number}, which topic "${topic}" does not have`,
      );
    }
  }
  const all = versions
    .map((version) => ({ ...version, retired: (retiredList as number[]).includes(version.version) }))
    .sort((a, b) => a.version - b.version);
  const live = all.filter((version) => !version.retired);
  const current = live[live.length - 1];
  if (current === undefined) {
    throw new ConfigError(`config.json: topic "${topic}" retires every schema version; keep at least one`);
  }
  return { all, current };
}

/** The URI an event may name in its `$schema` field to pin a version, relative to the gateway. */
export function schemaVersionUri(topic: string, version: number): string {
  return `/topics/${topic}/versions/${version}`;
}
