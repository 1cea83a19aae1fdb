import { builtinModules } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
