import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { exampleFor } from '../../../shared/schemas/example';
import { documentTopics } from '../../../shared/schemas/openapi';
import { compileSchema } from '../../../shared/validation/validator';
import { loadTopicRegistry } from '../../../shared/topics/registry';

const REPO_CONF = path.join(__dirname, '..', '..', '..', 'conf');

type Spec = {
  openapi: string;
  paths: Record<string, { post?: Record<string, unknown> }>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

describe('per-topic operations in the API document', () => {
  it('documents each shipped topic with its current schema and an example that schema accepts', async () => {
    const state = await new GatewayStateLoader({
      confDir: REPO_CONF,
      env: { EVENTGATE_SINKS: 'postgres' },
    }).current();
    const spec = parseYaml(documentTopics(state.apiSpec, state.topics)) as Spec;
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.paths['/topics/{topic}']?.post).toBeDefined();
    for (const name of state.topics.names()) {
      const topic = state.topics.get(name);
      const operation = spec.paths[`/topics/${name}`]?.post as {
        requestBody: { content: { 'application/json': { schema: unknown; example: unknown } } };
        security: unknown;
      };
      expect(operation.security).toEqual([{ bearer: [] }]);
      const body = operation.requestBody.content['application/json'];
      const component = `Topic_${name}`;
      expect(body.schema).toEqual({
        oneOf: [
          { $ref: `#/components/schemas/${component}` },
          { type: 'array', items: { $ref: `#/components/schemas/${component}` } },
        ],
      });
      const { $schema: _dialect, ...withoutDialect } = topic?.schema as Record<string, unknown>;
      expect(spec.components.schemas[component]).toEqual(withoutDialect);
      expect(topic?.validate(body.example)).toEqual([]);
    }
  });

  it('re-roots local references and builds examples through them, within limits and formats', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.com/order',
      type: 'object',
      $defs: { money: { type: 'number', exclusiveMinimum: 0, multipleOf: 0.01 } },
      properties: {
        amount: { $ref: '#/$defs/money' },
        at: { type: 'string', format: 'date-time', maxLength: 30 },
        code: { type: 'string', minLength: 10, maxLength: 12 },
        status: { enum: ['new', 'paid'] },
        lines: { type: 'array', minItems: 2, maxItems: 5, items: { type: 'integer', minimum: 3 } },
      },
      required: ['amount', 'at', 'code', 'status', 'lines'],
      additionalProperties: false,
    };
    const example = exampleFor(schema);
    expect(compileSchema(schema, 'order')(example)).toEqual([]);
    expect(example).toMatchObject({ status: 'new', lines: [3, 3] });

    const registry = {
      names: () => ['orders'],
      get: () => ({ name: 'orders', mode: 'async', schema, versions: { current: { version: 3 } } }),
    } as unknown as Awaited<ReturnType<typeof loadTopicRegistry>>;
    const base = readFileSync(path.join(REPO_CONF, 'api.yaml'), 'utf8');
    const spec = parseYaml(documentTopics(base, registry)) as Spec;
    const embedded = spec.components.schemas.Topic_orders as { properties: { amount: unknown } };
    expect(embedded).not.toHaveProperty('$schema');
    expect(embedded).not.toHaveProperty('$id');
    expect(embedded.properties.amount).toEqual({ $ref: '#/components/schemas/Topic_orders/$defs/money' });
    expect(spec.paths['/topics/orders']?.post?.summary).toBe('Publish to orders (schema version 3, async)');
  });
});
