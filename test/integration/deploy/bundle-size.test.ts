import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LAMBDA_NODE_OPTIONS } from '../../../shared/deploy/functions';
import { PostgresSink } from '../../../shared/sinks/postgres/sink';
import { createTestConf, v2Event, type TestConf } from '../../helpers/gateway';
import { envelopeOf, runsPayload, shippedProjections } from '../../helpers/projections';
import { createTestDatabase, type TestDatabase } from '../../peers/postgres';
import { lambdaPlugins } from '../../../shared/deploy/bundling';
import {
  buildLikeServerless,
  serverlessBuildSettings,
  type BuiltFunction,
} from '../../../shared/deploy/bundling/serverless-build';

/** The ingest function's own file, which every cold start loads (1 kB = 1,000 bytes). */
const INGEST_LIMIT_BYTES = 500_000;
const FUNCTIONS = {
  ingest: 'functions/ingest.ts',
  read: 'functions/read.ts',
  eventbridge: 'functions/workers/eventbridge.ts',
  kafka: 'functions/workers/kafka.ts',
  postgres: 'functions/workers/postgres.ts',
  s3: 'functions/workers/s3.ts',
} as const;
type FunctionName = keyof typeof FUNCTIONS;

const NODE_MODULES = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
/** Left external on purpose: pg's optional native driver (never loaded) and Swagger UI's files (packaged beside, read at run time). */
const KNOWN_EXTERNALS = new Set(['pg-native', 'swagger-ui-dist/package.json']);

const run = promisify(execFile);

let outDir: string;
const built = {} as Record<FunctionName, BuiltFunction>;

function largest(bundle: BuiltFunction['main']): string {
  return bundle.packages
    .slice(0, 6)
    .map((entry) => `${entry.name} ${(entry.bytes / 1000).toFixed(1)} kB`)
    .join(', ');
}

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), 'eventgate-bundle-size-'));
  for (const [name, entry] of Object.entries(FUNCTIONS) as Array<[FunctionName, string]>) {
    built[name] = await buildLikeServerless(entry, outDir);
  }
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

test('serverless.yml builds with the deploy plugins', () => {
  expect(serverlessBuildSettings().pluginsModule).toBe('./shared/deploy/esbuild-plugins.js');
});

test(`the ingest function's bundle is at most ${INGEST_LIMIT_BYTES / 1000} kB`, () => {
  const { main } = built.ingest;
  // A failure names what fills it, to say where to look.
  const verdict =
    main.bytes <= INGEST_LIMIT_BYTES ? 'within' : `${main.bytes} bytes; largest: ${largest(main)}`;
  expect(verdict).toBe('within');
});

test('a bundle requires nothing but Node modules and the files beside it', () => {
  for (const { main, lazy } of Object.values(built)) {
    const beside = new Set(lazy.map((file) => `./${path.posix.basename(file.name)}`));
    for (const file of [main, ...lazy]) {
      const unexpected = file.externals.filter(
        (name) => !NODE_MODULES.has(name) && !KNOWN_EXTERNALS.has(name) && !beside.has(name),
      );
      expect({ file: file.name, unexpected }).toEqual({ file: file.name, unexpected: [] });
    }
  }
});

test('the ingest function loads the S3 and Secrets Manager clients and the OpenAPI writer on first use only', () => {
  expect(built.ingest.lazy.map((file) => file.name)).toEqual([
    'functions/ingest.config-s3.js',
    'functions/ingest.openapi.js',
    'functions/ingest.secrets-manager.js',
  ]);
  const inMain = new Set(built.ingest.main.packages.map((entry) => entry.name));
  for (const name of ['@aws-sdk/client-s3', '@aws-sdk/client-secrets-manager', 'yaml', 'kafkajs', 'pg']) {
    expect({ name, inMain: inMain.has(name) }).toEqual({ name, inMain: false });
  }
});

test('no bundle carries the credential providers Lambda never uses', () => {
  for (const { main, lazy } of Object.values(built)) {
    for (const file of [main, ...lazy]) {
      const providers = file.packages
        .map((entry) => entry.name)
        .filter((name) =>
          /credential-provider-(ini|sso|process|web-identity|login|node)$|nested-clients$/.test(name),
        );
      expect({ file: file.name, providers }).toEqual({ file: file.name, providers: [] });
    }
  }
});

test("the workers check config.json with code compiled at build time, without ajv's compiler", () => {
  for (const name of ['eventbridge', 'kafka', 'postgres', 's3'] as const) {
    const compiler = built[name].main.inputs.filter((input) =>
      /node_modules\/ajv\/dist\/(core|compile\/)/.test(input),
    );
    expect({ name, compiler }).toEqual({ name, compiler: [] });
  }
});

test('the s3 worker reads s3:// configuration with the client it carries anyway', () => {
  expect(built.s3.lazy).toEqual([]);
  expect(built.s3.main.packages.map((entry) => entry.name)).toContain('@aws-sdk/client-s3');
});

test('an ingest function that writes to sinks itself (syncSinks) carries their clients, inline', async () => {
  const withSyncSinks = await buildLikeServerless('functions/ingest.ts', path.join(outDir, 'sync-sinks'), {
    plugins: lambdaPlugins({ syncSinks: ['kafka', 's3'] }),
  });
  const packages = withSyncSinks.main.packages.map((entry) => entry.name);
  expect(packages).toEqual(expect.arrayContaining(['kafkajs', '@aws-sdk/client-s3']));
  expect(packages).not.toContain('pg');
  // The S3 client is there anyway: configuration in S3 needs no file of its own.
  expect(withSyncSinks.lazy.map((file) => file.name)).toEqual([
    'functions/ingest.openapi.js',
    'functions/ingest.secrets-manager.js',
  ]);
}, 60_000);

describe('the read function as packaged, in a fresh process against a real Postgres', () => {
  const RUNS = 'public.cps.za.runs';
  const RUN_START = 1_767_225_600_000;
  let database: TestDatabase;
  let conf: TestConf;
  let driver: string;

  beforeAll(async () => {
    [database, conf] = await Promise.all([createTestDatabase(), createTestConf()]);
    const accessFile = path.join(conf.dir, 'access.json');
    const access = JSON.parse(readFileSync(accessFile, 'utf8')) as Record<string, unknown>;
    access[RUNS] = { publish: access[RUNS], read: ['StatsReader'] };
    writeFileSync(accessFile, JSON.stringify(access));
    // Written by the sink as its worker writes them: the generic table and the runs projection.
    const sink = new PostgresSink({
      connectionString: database.url,
      projections: shippedProjections(),
      projectionSchema: 'projections',
    });
    try {
      const runs = Array.from({ length: 3 }, (_, n) =>
        envelopeOf(RUNS, runsPayload(n, 2, RUN_START + n * 1_000)),
      );
      const outcomes = await sink.write(runs);
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    } finally {
      await sink.close();
    }
    // Requires the bundle and answers each event of a JSON list with the handler's answer.
    driver = path.join(outDir, 'read-driver.js');
    writeFileSync(
      driver,
      `const { handler } = require(process.argv[2]);
       (async () => {
         const answers = [];
         for (const event of JSON.parse(process.argv[3])) answers.push(await handler(event, {}));
         process.stdout.write('\\n' + JSON.stringify(answers) + '\\n');
         process.exit(0);
       })().catch((error) => { console.error(error); process.exit(1); });`,
    );
  }, 120_000);

  afterAll(async () => {
    conf?.cleanup();
    await database?.drop();
  });

  test('pages the stored events and the runs stats through the store it loads on first use', async () => {
    const token = await conf.token('StatsReader');
    const requests = [
      {
        ...v2Event({
          method: 'GET',
          path: `/topics/${RUNS}/events`,
          headers: { authorization: `Bearer ${token}` },
        }),
        queryStringParameters: { limit: '50', since: new Date(0).toISOString() },
      },
      v2Event({
        method: 'POST',
        path: `/stats/${RUNS}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ timestamp_start: RUN_START, timestamp_end: RUN_START + 1_000, limit: 10 }),
      }),
    ];
    const { stdout } = await run(process.execPath, [driver, built.read.file, JSON.stringify(requests)], {
      // Away from the repository, as in Lambda: the bundle must not find node_modules above it.
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH,
        CONF_DIR: conf.dir,
        DATABASE_URL: database.url,
        NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const answers = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as Array<{
      statusCode: number;
      body: string;
    }>;
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    const events = JSON.parse(answers[0]?.body ?? '{}') as {
      data?: Array<{ payload: { event_id: string } }>;
    };
    expect(events.data?.map((event) => event.payload.event_id).sort()).toEqual(['run-0', 'run-1', 'run-2']);
    // The first two runs' jobs, newest job first: read through the runs-first plan on its start index.
    const stats = JSON.parse(answers[1]?.body ?? '{}') as { data?: Array<{ event_id: string }> };
    expect(stats.data?.map((job) => job.event_id)).toEqual(['run-1', 'run-1', 'run-0', 'run-0']);
  }, 60_000);
});
