import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../shared/config/errors';
import { loadTopicRegistry } from '../../../shared/topics/registry';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'eventgate-topics-'));
  mkdirSync(path.join(dir, 'topics'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function schema(name: string, body: unknown): void {
  writeFileSync(path.join(dir, 'topics', `${name}.json`), JSON.stringify(body));
}

type RegistryConfig = Parameters<typeof loadTopicRegistry>[0]['config'];

const load = (config: RegistryConfig, extra: Partial<Parameters<typeof loadTopicRegistry>[0]> = {}) =>
  loadTopicRegistry({ config, confDir: dir, availableSinks: ['postgres'], legacyKeys: {}, ...extra });

describe('topic registry', () => {
  it('discovers schemas, finds topics case-insensitively and applies defaults and legacy keys', async () => {
    schema('Orders.Created', { type: 'object' });
    schema('a.first', {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['x'],
    });
    const registry = await load({}, { legacyKeys: { 'Orders.Created': 'order_id' } });
    expect(registry.names()).toEqual(['Orders.Created', 'a.first']);
    const topic = registry.get('orders.created');
    expect(topic).toMatchObject({ mode: 'async', sinks: ['postgres'], keyField: 'order_id' });
    expect(registry.get('A.FIRST')?.validate({})).toEqual([
      expect.objectContaining({ type: 'validation', keyword: 'required', instancePath: '' }),
    ]);
  });

  it('refuses a topic with no sink to deliver to', async () => {
    schema('t', { type: 'object' });
    await expect(load({}, { availableSinks: [] })).rejects.toThrow(/no sink/);
  });

  it('refuses settings for a topic that has no schema, unknown sinks and unknown modes', async () => {
    schema('t', { type: 'object' });
    await expect(load({ topics: { missing: {} } })).rejects.toThrow(ConfigError);
    await expect(load({ topics: { t: { sinks: ['nowhere' as 'kafka'] } } })).rejects.toThrow(/unknown sink/);
    await expect(load({ topics: { t: { mode: 'later' as 'sync' } } })).rejects.toThrow(/mode/);
  });

  it('refuses a sync topic routed to a sink this process cannot write to', async () => {
    schema('t', { type: 'object' });
    const config: RegistryConfig = { topics: { t: { mode: 'sync', sinks: ['postgres'] } } };
    await expect(load(config, { syncCapable: ['eventbridge'] })).rejects.toThrow(/syncSinks/);
    await expect(load(config, { syncCapable: ['postgres'] })).resolves.toBeDefined();
  });

  it('refuses schemas open to denial of service or that do not compile', async () => {
    schema('slow', { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } });
    await expect(load({})).rejects.toThrow(/not safe/);
    rmSync(path.join(dir, 'topics', 'slow.json'));
    schema('broken', { type: 'object', properties: { n: { type: 'nonsense' } } });
    await expect(load({})).rejects.toThrow(/does not compile/);
  });
});
