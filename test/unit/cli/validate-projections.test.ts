import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfiguration } from '../../../shared/cli/validate';
import { projectionProblems } from '../../../shared/cli/validate-projections';
import type { ProjectionsSetting } from '../../../shared/sinks/postgres/projections/spec';

const REPO_CONF = path.join(__dirname, '..', '..', '..', 'conf');

const schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    count: { type: 'number' },
    kind: { enum: ['a', 'b'] },
    when: { type: ['integer', 'null'] },
    meta: { type: 'object', additionalProperties: true },
    tags: { $ref: '#/$defs/tags' },
    items: {
      type: 'array',
      items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } },
    },
  },
  allOf: [
    { if: { properties: { kind: { const: 'b' } } }, then: { properties: { extra: { type: 'boolean' } } } },
  ],
  $defs: { tags: { type: 'array', items: { type: 'string' } } },
};

const problemsOf = (columns: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  projectionProblems(
    {
      topic: [
        {
          table: 'things',
          key: ['id'],
          columns: { id: { type: 'text', pointer: '/id' }, ...columns },
          ...extra,
        },
      ],
    } as ProjectionsSetting,
    new Map([['topic', schema]]),
  ).map((problem) => problem.message);

describe('checking mappings against topic schemas', () => {
  test('accepts pointers the schema declares, into refs, branches, open objects and array items', () => {
    expect(
      problemsOf(
        {
          count: { type: 'double', pointer: '/count' },
          kind: { type: 'text', pointer: '/kind' },
          when: { type: 'timestamptz', pointer: '/when' },
          note: { type: 'text', pointer: '/meta/anything' },
          first_tag: { type: 'text', pointer: '/tags/0' },
          extra: { type: 'boolean', pointer: '/extra', when: { pointer: '/kind', in: ['b'] } },
        },
        {
          children: [
            {
              table: 'lines',
              items: '/items',
              columns: {
                sku: { type: 'text', pointer: '/sku' },
                kind: { type: 'text', event_pointer: '/kind' },
              },
            },
          ],
        },
      ),
    ).toEqual([]);
  });

  test('reports a pointer the schema cannot produce', () => {
    expect(problemsOf({ typo: { type: 'text', pointer: '/cuont' } })).toEqual([
      'postgres.projections["topic"] table "things", column "typo": pointer /cuont names nothing the topic\'s schema declares',
    ]);
    expect(
      problemsOf({ gate: { type: 'text', pointer: '/kind', when: { pointer: '/knd', in: ['a'] } } })[0],
    ).toContain('when.pointer /knd');
    expect(
      problemsOf(
        {},
        {
          children: [
            { table: 'lines', items: '/items', columns: { price: { type: 'double', pointer: '/price' } } },
          ],
        },
      )[0],
    ).toContain('pointer /items/*/price names nothing');
    expect(
      problemsOf(
        {},
        { children: [{ table: 'lines', items: '/count', columns: { x: { type: 'text', pointer: '/x' } } }] },
      )[0],
    ).toContain('items /count is not an array');
  });

  test('reports a column type that cannot hold what the schema allows', () => {
    expect(problemsOf({ count: { type: 'text', pointer: '/count' } })[0]).toContain(
      'a text column cannot hold number or integer',
    );
    expect(problemsOf({ count: { type: 'integer', pointer: '/count' } })[0]).toContain(
      'a integer column cannot hold number',
    );
    expect(
      problemsOf(
        {},
        {
          children: [
            { table: 'lines', items: '/items', columns: { qty: { type: 'boolean', pointer: '/qty' } } },
          ],
        },
      )[0],
    ).toContain('a boolean column cannot hold integer');
  });

  test('reports a mapping that does not compile, and one for a topic without a schema', () => {
    expect(problemsOf({}, { key: ['nope'] })[0]).toContain('"key" names unknown column "nope"');
    expect(
      projectionProblems(
        { other: [{ table: 't', key: ['id'], columns: { id: { type: 'text', pointer: '/id' } } }] },
        new Map(),
      )[0]?.message,
    ).toContain('topic "other" has no schema');
  });
});

describe('eventgate validate with projections', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eventgate-validate-'));
    cpSync(REPO_CONF, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('points at the line of the column whose pointer the schema does not declare', async () => {
    const file = path.join(dir, 'config.json');
    const text = readFileSync(file, 'utf8').replace('"pointer": "/job_ref"', '"pointer": "/job_reference"');
    writeFileSync(file, text);
    const problems = await validateConfiguration(dir, { EVENTGATE_SINKS: 'postgres' });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('column "job_ref": pointer /job_reference names nothing');
    expect(text.split('\n')[(problems[0]?.line ?? 0) - 1]).toContain('"job_ref"');
  });
});
