import { ConfigError } from '../../../shared/config/errors';
import { compileProjections } from '../../../shared/sinks/postgres/projections/compile';
import { collapseByKey, upsertRow } from '../../../shared/sinks/postgres/projections/merge';
import { projectionOptions } from '../../../shared/sinks/postgres/projections/options';
import { parsePointer, resolvePointer } from '../../../shared/sinks/postgres/projections/pointer';
import { projectEvent } from '../../../shared/sinks/postgres/projections/rows';
import type { ProjectionsSetting, TableSpec } from '../../../shared/sinks/postgres/projections/spec';
import { ProjectionViolation } from '../../../shared/sinks/postgres/projections/values';
import { envelopeOf, runsPayload, shippedProjections } from '../../helpers/projections';

const table = (spec: Partial<TableSpec>): ProjectionsSetting => ({
  't.opic': [{ table: 'things', key: ['id'], columns: { id: { type: 'text', pointer: '/id' } }, ...spec }],
});

describe('compileProjections', () => {
  test.each<[string, ProjectionsSetting, string]>([
    ['a key column that is not a column', table({ key: ['nope'] }), '"key" names unknown column "nope"'],
    [
      'a merge rule on an insert table',
      table({ columns: { id: { type: 'text', pointer: '/id', merge: 'latest' } } }),
      '"merge" is for upsert tables',
    ],
    ['an upsert without event time', table({ mode: 'upsert' }), 'an upsert needs "event_time"'],
    [
      'an event time that is not a time',
      table({
        mode: 'upsert',
        event_time: 'name',
        columns: { id: { type: 'text', pointer: '/id' }, name: { type: 'text', pointer: '/n' } },
      }),
      'must hold a time',
    ],
    [
      'merge-json on a text column',
      table({
        mode: 'upsert',
        event_time: 'at',
        columns: {
          id: { type: 'text', pointer: '/id' },
          at: { type: 'bigint', pointer: '/at' },
          ctx: { type: 'text', pointer: '/ctx', merge: 'merge-json' },
        },
      }),
      'merge-json needs a jsonb column',
    ],
    [
      'two sources',
      table({ columns: { id: { type: 'text', pointer: '/id', envelope: 'id' } } }),
      'exactly one of',
    ],
    ['a bad pointer', table({ columns: { id: { type: 'text', pointer: 'id' } } }), 'must start with "/"'],
    [
      'a reserved name',
      table({
        columns: { id: { type: 'text', pointer: '/id' }, item_index: { type: 'integer', pointer: '/i' } },
      }),
      'reserved',
    ],
    ['a name that is not an identifier', table({ table: 'Bad-Name' }), 'not a plain identifier'],
    [
      'a default of the wrong type',
      table({
        columns: {
          id: { type: 'text', pointer: '/id' },
          n: { type: 'integer', pointer: '/n', default: 'x' },
        },
      }),
      'default',
    ],
  ])('refuses %s', (_, setting, message) => {
    expect(() => compileProjections(setting)).toThrow(ConfigError);
    expect(() => compileProjections(setting)).toThrow(message);
  });

  test('refuses a projection table that is an event table in the same schema', () => {
    const projections = {
      'public.cps.za.runs': [
        { table: 'public_cps_za_runs', key: ['id'], columns: { id: { type: 'text', pointer: '/id' } } },
      ],
    } as ProjectionsSetting;
    expect(() => projectionOptions({ projections }, ['public.cps.za.runs'])).toThrow(
      'is the event table of topic "public.cps.za.runs"',
    );
    expect(
      projectionOptions({ projections, projection_schema: 'typed' }, ['public.cps.za.runs']).projectionSchema,
    ).toBe('typed');
  });

  test('compiles the shipped mappings of the example topics', () => {
    const compiled = shippedProjections();
    expect([...compiled.keys()].sort()).toEqual([
      'public.cps.za.dlchange',
      'public.cps.za.runs',
      'public.cps.za.status_change',
      'public.cps.za.test',
    ]);
    const [runs] = compiled.get('public.cps.za.runs') ?? [];
    expect(runs?.children.map((child) => child.table)).toEqual(['public_cps_za_runs_jobs']);
  });
});

describe('JSON pointers', () => {
  test('unescape ~1 and ~0 and index arrays', () => {
    expect(parsePointer('/a~1b/c~0d/0')).toEqual(['a/b', 'c~d', '0']);
    expect(resolvePointer({ 'a/b': { 'c~d': ['x'] } }, parsePointer('/a~1b/c~0d/0'))).toBe('x');
    expect(resolvePointer({ list: [1] }, parsePointer('/list/01'))).toBeUndefined();
    expect(resolvePointer({}, parsePointer('/constructor'))).toBeUndefined();
  });
});

describe('projecting an event', () => {
  const [runs] = shippedProjections().get('public.cps.za.runs') ?? [];
  test('one row plus one child row per item, each with the parent key and its index', () => {
    const projected = projectEvent(runs!, envelopeOf('public.cps.za.runs', runsPayload(1, 2)));
    expect(projected.row[0]).toBe('run-1');
    expect(projected.children[0]).toHaveLength(2);
    expect(projected.children[0]?.[1]?.[0]).toBe('run-1');
    expect(projected.children[0]?.[1]?.at(-1)).toBe(1);
  });
  test('names the column and the place of a value that does not fit', () => {
    const payload = { ...runsPayload(1, 1), jobs: [{ catalog_id: 7, status: 'failed' }] };
    expect(() => projectEvent(runs!, envelopeOf('public.cps.za.runs', payload))).toThrow(ProjectionViolation);
    expect(() => projectEvent(runs!, envelopeOf('public.cps.za.runs', payload))).toThrow(
      'column "catalog_id" from /jobs/0/catalog_id: number 7 does not fit a text column',
    );
  });
});

describe('collapsing upsert rows in memory', () => {
  const [aggregate] = shippedProjections().get('public.cps.za.status_change') ?? [];
  const job = '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a';
  const event = (seconds: number, extra: Record<string, unknown>) =>
    envelopeOf('public.cps.za.status_change', {
      event_id: `e-${seconds}`,
      job_id: job,
      event_type: 'JobUpdatedEvent',
      status_type: 'RUNNING',
      timestamp_event: seconds * 1000,
      ...extra,
    });
  const rows = [
    event(1, { tenant_id: 'a', additional_context: { k: 1 } }),
    event(3, { tenant_id: null, status_detail: 'late', additional_context: { k: 3, m: 3 } }),
    event(2, { tenant_id: 'b', status_detail: 'mid', additional_context: { k: 2, n: 2 } }),
  ].map((envelope) => upsertRow(aggregate!, projectEvent(aggregate!, envelope).row, envelope));

  test('gives the same row in every order', () => {
    const orders = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
      [1, 2, 0, 1],
    ];
    const results = orders.map((order) =>
      collapseByKey(
        aggregate!,
        order.map((index) => rows[index]!),
      ),
    );
    for (const result of results) expect(result).toEqual(results[0]);
    const column = (name: string) =>
      results[0]?.[0]?.values[aggregate!.columns.findIndex((c) => c.name === name)];
    expect(column('tenant_id')).toBe('b');
    expect(column('status_detail')).toBe('late');
    expect(column('additional_context')).toEqual({ k: 3, m: 3, n: 2 });
  });
});
