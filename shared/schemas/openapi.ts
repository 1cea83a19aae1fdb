import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { TopicRegistry } from '../topics/registry';
import { exampleFor } from './example';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A topic schema as an OpenAPI 3.1 schema object: `$schema` and `$id` describe the file, not the
 * value, and local `#/…` references are re-rooted at where the schema is placed in the document.
 */
function embeddable(schema: unknown, placedAt: string): unknown {
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!isObject(node)) return node;
    const copy: Json = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) {
        copy[key] = `${placedAt}/${value.slice(2)}`;
      } else {
        copy[key] = rewrite(value);
      }
    }
    return copy;
  };
  if (!isObject(schema)) return schema;
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rewrite(rest);
}

function componentName(topic: string): string {
  return topic.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * The served OpenAPI document: conf/api.yaml plus one POST operation per topic, whose request body
 * is the topic's current schema (one event, or a batch of them) with an example built from it, so
 * Swagger UI can send a real event. The generic `/topics/{topic}` route stays for topics added
 * after the document was read; each topic operation is marked with `x-eventgate-topic`.
 */
export function documentTopics(baseSpec: string, topics: TopicRegistry): string {
  const spec = parseYaml(baseSpec) as Json;
  const paths = (isObject(spec.paths) ? spec.paths : {}) as Record<string, Json>;
  const generic = paths['/topics/{topic}']?.post;
  if (!isObject(generic)) return baseSpec;
  const components = (isObject(spec.components) ? spec.components : {}) as Json;
  const schemas = (isObject(components.schemas) ? components.schemas : {}) as Json;
  const documented: Record<string, Json> = {};
  for (const name of topics.names()) {
    const topic = topics.get(name);
    if (!topic) continue;
    const component = `Topic_${componentName(topic.name)}`;
    schemas[component] = embeddable(topic.schema, `#/components/schemas/${component}`);
    const ref = { $ref: `#/components/schemas/${component}` };
    const version = topic.versions.current.version;
    documented[`/topics/${topic.name}`] = {
      post: {
        ...generic,
        operationId: `publish_${componentName(topic.name)}`,
        tags: ['topics'],
        summary: `Publish to ${topic.name} (schema version ${version}, ${topic.mode})`,
        'x-eventgate-topic': topic.name,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { oneOf: [ref, { type: 'array', items: ref }] },
              example: exampleFor(topic.schema),
            },
          },
        },
      },
    };
  }
  spec.paths = { ...paths, ...documented };
  spec.components = { ...components, schemas };
  return stringifyYaml(spec, { aliasDuplicateObjects: false });
}

const documentedSpecs = new WeakMap<TopicRegistry, { base: string; spec: string }>();

/** The served document for a loaded state, built once per load of schemas and api.yaml. */
export function servedApiSpec(baseSpec: string, topics: TopicRegistry): string {
  const known = documentedSpecs.get(topics);
  if (known?.base === baseSpec) return known.spec;
  const spec = documentTopics(baseSpec, topics);
  documentedSpecs.set(topics, { base: baseSpec, spec });
  return spec;
}
