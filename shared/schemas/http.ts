import { errorResponse, json, type HttpResponse } from '../http/response';
import type { Topic } from '../topics/registry';
import { schemaVersionUri, type SchemaVersion } from './versions';

function headersFor(topic: Topic, version: SchemaVersion): Record<string, string> {
  return {
    'X-EventGate-Topic': topic.name,
    'X-EventGate-Topic-Mode': topic.mode,
    'X-EventGate-Topic-Sinks': topic.sinks.join(','),
    'X-EventGate-Schema-Version': String(version.version),
    'X-EventGate-Schema-Retired': String(version.retired),
  };
}

/** GET /topics/{topic}: the current schema, bare, as clients of the Python gateway expect. */
export function currentSchemaResponse(topic: Topic): HttpResponse {
  return json(200, topic.versions.current.schema, headersFor(topic, topic.versions.current));
}

/** GET /topics/{topic}/versions: every version, oldest first, with its state and pinning URI. */
export function versionListResponse(topic: Topic): HttpResponse {
  return json(200, {
    topic: topic.name,
    current: topic.versions.current.version,
    compatibility: topic.compatibility,
    versions: topic.versions.all.map((version) => ({
      version: version.version,
      current: version === topic.versions.current,
      retired: version.retired,
      schemaUri: schemaVersionUri(topic.name, version.version),
    })),
  });
}

/** GET /topics/{topic}/versions/{version}: that version's schema, bare; retired ones too. */
export function versionResponse(topic: Topic, requested: string): HttpResponse {
  const number = /^[1-9][0-9]{0,8}$/.test(requested) ? Number(requested) : NaN;
  const version = topic.versions.all.find((candidate) => candidate.version === number);
  if (!version) {
    return errorResponse(404, {
      type: 'schema_version',
      message: `Topic '${topic.name}' has no schema version '${requested.slice(0, 40)}'`,
    });
  }
  return json(200, version.schema, headersFor(topic, version));
}
