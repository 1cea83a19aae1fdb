import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { lambdaPlugins } from '../../../shared/deploy/bundling';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ENTRIES = [
  'functions/ingest.ts',
  'functions/read.ts',
  'functions/workers/eventbridge.ts',
  'functions/workers/kafka.ts',
  'functions/workers/postgres.ts',
  'functions/workers/s3.ts',
];

/** Lockfile paths (`node_modules/a/node_modules/b`) that `npm ci --omit=dev` does not install. */
function devOnlyPackages(): Set<string> {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return new Set(
    Object.entries(lock.packages)
      .filter(([location, entry]) => location !== '' && (entry.dev === true || entry.devOptional === true))
      .map(([location]) => location),
  );
}

/** The installed package (as the lockfile names it) a bundled file comes from. */
function packageOf(input: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

// The functions are bundled from the packages in node_modules; every package a bundle takes code
// from must be one that a production install brings.
test('every package the Lambda bundles take code from is a production dependency', async () => {
  const plugins = lambdaPlugins({ syncSinks: [] });
  const devOnly = devOnlyPackages();
  const used = new Set<string>();
  for (const entry of ENTRIES) {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      external: ['pg-native'],
      plugins,
      mainFields: ['module', 'main'],
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: ROOT,
    });
    for (const input of Object.keys(result.metafile.inputs)) {
      const found = packageOf(input);
      if (found) used.add(found);
    }
  }
  expect(used.size).toBeGreaterThan(10);
  expect([...used].filter((location) => devOnly.has(location)).sort()).toEqual([]);
}, 60_000);
