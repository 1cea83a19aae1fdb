import type { ApiError } from '../http/response';
import type { SchemaVersion, TopicVersions } from './versions';

/** Request header pinning every event of the request (those without their own `$schema`) to a version. */
export const SCHEMA_VERSION_HEADER = 'eventgate-schema-version';

const VERSION_NUMBER = /^[1-9][0-9]{0,8}$/;

/**
 * A `$schema` value naming one of our version URIs: the gateway's path, absolute or relative, with an
 * optional `.json`. Other `$schema` values are the producer's own business and pin nothing.
 */
const VERSION_URI = /(?:^|\/)topics\/([^/?#]+)\/versions\/([1-9][0-9]{0,8})(?:\.json)?$/;

export type HeaderPin = { ok: true; version: number | null } | { ok: false; error: ApiError };

export function parseVersionHeader(value: string | undefined): HeaderPin {
  if (value === undefined) return { ok: true, version: null };
  const trimmed = value.trim();
  if (!VERSION_NUMBER.test(trimmed)) {
    return {
      ok: false,
      error: {
        type: 'schema_version',
        message: `EventGate-Schema-Version must be a schema version number (1, 2, …); got '${value.slice(0, 40)}'`,
      },
    };
  }
  return { ok: true, version: Number(trimmed) };
}

/** The version an event's own `$schema` names, null when it names none of ours, or an error. */
function pinOfEvent(event: Record<string, unknown>, topic: string): number | null | ApiError {
  const uri = event.$schema;
  if (typeof uri !== 'string') return null;
  const match = VERSION_URI.exec(uri);
  if (!match) return null;
  let named = match[1] as string;
  try {
    named = decodeURIComponent(named);
  } catch {
    // Compared raw; it will not match a topic name.
  }
  if (named.toLowerCase() !== topic.toLowerCase()) {
    return {
      type: 'schema_version',
      message: `$schema names topic '${named}', but the event was sent to '${topic}'`,
    };
  }
  return Number(match[2]);
}

export type VersionChoice = { ok: true; version: SchemaVersion } | { ok: false; error: ApiError };

/**
 * The version an event is validated against: the one its `$schema` names, else the one the header
 * names, else the current one. When both name a version they must agree. A retired or unknown
 * version is refused with the versions that are accepted.
 */
export function chooseVersion(
  topic: string,
  versions: TopicVersions,
  event: Record<string, unknown>,
  headerVersion: number | null,
): VersionChoice {
  const fromEvent = pinOfEvent(event, topic);
  if (fromEvent !== null && typeof fromEvent === 'object') return { ok: false, error: fromEvent };
  if (fromEvent !== null && headerVersion !== null && fromEvent !== headerVersion) {
    return {
      ok: false,
      error: {
        type: 'schema_version',
        message: `$schema names version ${fromEvent} but the EventGate-Schema-Version header names ${headerVersion}`,
      },
    };
  }
  const wanted = fromEvent ?? headerVersion;
  if (wanted === null) return { ok: true, version: versions.current };
  const found = versions.all.find((version) => version.version === wanted);
  const live = versions.all.filter((version) => !version.retired).map((version) => version.version);
  if (found === undefined || found.retired) {
    return {
      ok: false,
      error: {
        type: 'schema_version',
        message: `topic '${topic}' ${found ? 'has retired' : 'has no'} schema version ${wanted}; accepted versions: ${live.join(', ')}`,
        schemaVersion: wanted,
      },
    };
  }
  return { ok: true, version: found };
}
