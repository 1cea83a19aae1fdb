import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { precompiledConfigValidator } from '../../../shared/deploy/bundling/config-validator';
import { checkConfig } from '../../../shared/config/parse';
import { SINK_DEFINITIONS } from '../../../shared/sinks/catalog';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SHIPPED = JSON.parse(readFileSync(path.join(ROOT, 'conf', 'config.json'), 'utf8')) as Record<
  string,
  unknown
>;
const shippedProjections = (SHIPPED.postgres as { projections: Record<string, unknown[]> }).projections;

/** Documents good and bad in every part of the schema: the gateway's keys, topics, each sink's. */
const DOCUMENTS: Array<[string, unknown]> = [
  ['the shipped config.json', SHIPPED],
  ['an empty document', {}],
  [
    'unknown keys, which loading ignores',
    { max_body_byte: 10, kafka: { acks: 1 }, topics: { t: { modes: 'x' } } },
  ],
  [
    'wrong gateway and topic settings',
    {
      max_batch_events: 0,
      max_body_bytes: 1.5,
      ssl_ca_bundle: 3,
      operators: ['', 'ops'],
      cors: { allowed_methods: ['GET'] },
      topics: {
        a: { max_event_bytes: -5, cors: { allowed_origins: [1] } },
        b: { mode: 'later', sinks: ['rabbitmq'] },
      },
    },
  ],
  [
    "wrong sinks' settings",
    {
      kafka: { compression: 'snappy', sasl: { username: 'u' } },
      s3_archive: { prefix: 'events' },
      postgres: { pool_max: 0, tables: { t: '' } },
      eventbridge: { source: '' },
      token_issuance: { lifetime_seconds: 7200 },
    },
  ],
  [
    'broken projections',
    {
      postgres: {
        projections: {
          'public.cps.za.runs': [
            { table: '', columns: {} },
            { ...(shippedProjections['public.cps.za.runs']?.[0] as object), key: 'event_id' },
          ],
          other: 'not a list',
        },
      },
    },
  ],
];

let outDir: string;
let compiled: { checkConfig: typeof checkConfig };
let inputs: string[];

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), 'eventgate-config-check-'));
  const outfile = path.join(outDir, 'parse.js');
  const result = await build({
    entryPoints: [path.join(ROOT, 'shared', 'config', 'parse.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    plugins: [precompiledConfigValidator(SINK_DEFINITIONS)],
    metafile: true,
    logLevel: 'silent',
  });
  inputs = Object.keys(result.metafile.inputs);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  compiled = require(outfile) as typeof compiled;
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

test.each(DOCUMENTS)(
  'the check compiled at build time completes and judges %s as ajv does at run time',
  (_, document) => {
    const atRunTime = checkConfig(document);
    expect(compiled.checkConfig(document)).toEqual(atRunTime);
  },
);

test('the documents above do reach the problems they are meant to', () => {
  const counts = DOCUMENTS.map(([, document]) => checkConfig(document).problems.length);
  expect(counts.slice(0, 3)).toEqual([0, 0, 0]);
  for (const count of counts.slice(3)) expect(count).toBeGreaterThan(3);
});

test("the compiled check leaves ajv's compiler out", () => {
  expect(inputs.filter((input) => /node_modules\/ajv\/dist\/(core|compile\/)/.test(input))).toEqual([]);
});

test('the compiled check serves only what a function loads: the shipped sinks, unknown keys ignored', () => {
  expect(() => compiled.checkConfig({}, { unknownKeys: 'reject' })).toThrow(/only as a function loads it/);
});
