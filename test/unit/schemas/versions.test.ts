import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../../shared/ingest/app';
import { createTestConf, RecordingDelivery, v2Event, type TestConf } from '../../helpers/gateway';

const TOPIC = 'public.cps.za.test';
// Closed objects: adding an optional property to one is backward compatible (the default mode).
const VERSION_1 = {
  type: 'object',
  properties: {
    $schema: { type: 'string' },
    id: { type: 'string', maxLength: 40 },
    size: { type: 'integer' },
  },
  required: ['id'],
  additionalProperties: false,
};
// Version 2 adds an optional `colour` and lets `size` be any number: every version-1 event stays valid.
const VERSION_2 = {
  ...VERSION_1,
  properties: {
    ...VERSION_1.properties,
    size: { type: 'number' },
    colour: { type: 'string', enum: ['red', 'blue'] },
  },
};

let conf: TestConf;
let delivery: RecordingDelivery;

function topicsDir(): string {
  return path.join(conf.dir, 'topics');
}

function writeVersion(version: number, schema: unknown): void {
  mkdirSync(path.join(topicsDir(), TOPIC), { recursive: true });
  writeFileSync(path.join(topicsDir(), TOPIC, `${version}.json`), JSON.stringify(schema));
}

function build(): IngestApp {
  delivery = new RecordingDelivery();
  return createIngestApp({
    state: new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }),
    deliveries: { sync: delivery, async: delivery },
  });
}

type Body = Record<string, unknown> & { errors?: Array<Record<string, unknown>> };
const bodyOf = (response: { body: string }): Body => JSON.parse(response.body) as Body;

async function post(app: IngestApp, body: unknown, headers: Record<string, string> = {}) {
  return app(
    v2Event({
      method: 'POST',
      path: `/topics/${TOPIC}`,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await conf.token('TestUser')}`,
        ...headers,
      },
      body: JSON.stringify(body),
    }),
  );
}

beforeEach(async () => {
  conf = await createTestConf();
  // The shipped single-file schema becomes version 1 of the folder form, as a producer team would do it.
  writeFileSync(path.join(topicsDir(), `${TOPIC}.json`), JSON.stringify(VERSION_1));
});
afterEach(() => conf.cleanup());

describe('schema versions per topic', () => {
  it('takes the single-file form as version 1 and validates unpinned events against it', async () => {
    const app = build();
    const accepted = await post(app, { id: 'a', size: 3 });
    expect(accepted.statusCode).toBe(202);
    expect(delivery.delivered[0]?.schemaVersion).toBe(1);
    const list = await app(v2Event({ method: 'GET', path: `/topics/${TOPIC}/versions` }));
    expect(bodyOf(list)).toEqual({
      topic: TOPIC,
      current: 1,
      compatibility: 'backward',
      versions: [{ version: 1, current: true, retired: false, schemaUri: `/topics/${TOPIC}/versions/1` }],
    });
  });

  it('validates unpinned events against the latest version and pinned ones against theirs', async () => {
    writeVersion(2, VERSION_2);
    const app = build();

    // Unpinned: version 2 takes a fractional size and a colour.
    expect((await post(app, { id: 'u', size: 1.5, colour: 'red' })).statusCode).toBe(202);
    // Pinned to 1 by header: the fractional size is refused by version 1.
    const byHeader = await post(app, { id: 'h', size: 1.5 }, { 'eventgate-schema-version': '1' });
    expect(byHeader.statusCode).toBe(400);
    expect(bodyOf(byHeader).errors?.[0]).toMatchObject({ instancePath: '/size', keyword: 'type' });
    // Pinned to 1 by $schema: a whole size passes, and the $schema field is kept in the payload.
    const pinned = { $schema: `https://gateway.example/topics/${TOPIC}/versions/1`, id: 'p', size: 2 };
    expect((await post(app, pinned)).statusCode).toBe(202);
    // A batch mixing both: each event uses its own version.
    const mixed = await post(app, [
      { id: 'm1', size: 2.5 },
      { $schema: `/topics/${TOPIC}/versions/1`, id: 'm2', size: 2.5 },
    ]);
    expect(mixed.statusCode).toBe(207);

    expect(delivery.delivered.map((envelope) => [envelope.payload, envelope.schemaVersion])).toEqual([
      [{ id: 'u', size: 1.5, colour: 'red' }, 2],
      [pinned, 1],
      [{ id: 'm1', size: 2.5 }, 2],
    ]);
  });

  it('refuses unknown, retired, conflicting and malformed pins with a 400 naming the accepted versions', async () => {
    writeVersion(2, VERSION_2);
    writeVersion(3, { ...VERSION_2, properties: { ...VERSION_2.properties, note: { type: 'string' } } });
    conf.setConfig({ topics: { [TOPIC]: { retired_versions: [1] } } });
    const app = build();

    const retired = await post(app, { id: 'r' }, { 'eventgate-schema-version': '1' });
    expect(retired.statusCode).toBe(400);
    expect(bodyOf(retired).errors).toEqual([
      {
        type: 'schema_version',
        message: `topic '${TOPIC}' has retired schema version 1; accepted versions: 2, 3`,
        schemaVersion: 1,
      },
    ]);
    const unknown = await post(app, { $schema: `/topics/${TOPIC}/versions/9`, id: 'x' });
    expect(bodyOf(unknown).errors?.[0]?.message).toMatch(/has no schema version 9/);
    const conflict = await post(
      app,
      { $schema: `/topics/${TOPIC}/versions/2`, id: 'x' },
      { 'eventgate-schema-version': '3' },
    );
    expect(bodyOf(conflict).errors?.[0]?.message).toMatch(/names version 2 but .* header names 3/);
    const otherTopic = await post(app, { $schema: '/topics/public.cps.za.runs/versions/1', id: 'x' });
    expect(bodyOf(otherTopic).errors?.[0]?.message).toMatch(/names topic 'public.cps.za.runs'/);
    const malformed = await post(app, { id: 'x' }, { 'eventgate-schema-version': 'v2' });
    expect(malformed.statusCode).toBe(400);
    expect(bodyOf(malformed).errors?.[0]?.type).toBe('schema_version');
    // A $schema that is not one of our version URIs pins nothing and is left to the schema.
    expect((await post(app, { $schema: 'https://example.org/event.json', id: 'free' })).statusCode).toBe(202);
    expect(delivery.delivered.map((envelope) => envelope.schemaVersion)).toEqual([3]);
  });

  it('serves the current schema, the list and each version, retired ones included', async () => {
    renameSync(path.join(topicsDir(), `${TOPIC}.json`), path.join(topicsDir(), 'v1.tmp'));
    writeVersion(1, VERSION_1);
    writeVersion(2, VERSION_2);
    conf.setConfig({ topics: { [TOPIC]: { retired_versions: [1] } } });
    const app = build();

    const current = await app(v2Event({ method: 'GET', path: `/topics/${TOPIC}` }));
    expect(bodyOf(current)).toEqual(VERSION_2);
    expect(current.headers['X-EventGate-Schema-Version']).toBe('2');
    const first = await app(v2Event({ method: 'GET', path: `/topics/${TOPIC.toUpperCase()}/versions/1` }));
    expect(first.statusCode).toBe(200);
    expect(bodyOf(first)).toEqual(VERSION_1);
    expect(first.headers['X-EventGate-Schema-Retired']).toBe('true');
    const list = bodyOf(await app(v2Event({ method: 'GET', path: `/topics/${TOPIC}/versions` })));
    expect(list.versions).toEqual([
      { version: 1, current: false, retired: true, schemaUri: `/topics/${TOPIC}/versions/1` },
      { version: 2, current: true, retired: false, schemaUri: `/topics/${TOPIC}/versions/2` },
    ]);
    for (const missing of ['3', '01', 'latest']) {
      const response = await app(v2Event({ method: 'GET', path: `/topics/${TOPIC}/versions/${missing}` }));
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response).errors?.[0]?.type).toBe('schema_version');
    }
    const noTopic = await app(v2Event({ method: 'GET', path: '/topics/nope/versions' }));
    expect(noTopic.statusCode).toBe(404);
  });

  it('refuses at load: a version defined twice, a badly named version file, retiring every version or a missing one', async () => {
    writeVersion(1, VERSION_1);
    const loader = (): Promise<unknown> =>
      new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }).current();
    await expect(loader()).rejects.toThrow(/version 1 of topic "public.cps.za.test" is already defined/);

    renameSync(path.join(topicsDir(), TOPIC, '1.json'), path.join(topicsDir(), TOPIC, 'v2.json'));
    await expect(loader()).rejects.toThrow(/must be named <N>.json/);

    renameSync(path.join(topicsDir(), TOPIC, 'v2.json'), path.join(topicsDir(), TOPIC, '2.json'));
    conf.setConfig({ topics: { [TOPIC]: { retired_versions: [1, 2] } } });
    await expect(loader()).rejects.toThrow(/retires every schema version/);
    conf.setConfig({ topics: { [TOPIC]: { retired_versions: [7] } } });
    await expect(loader()).rejects.toThrow(/names version 7/);
  });
});
