import path from 'node:path';
import type { Plugin, PluginBuild } from 'esbuild';
import { SINK_DEFINITIONS } from '../../../shared/sinks/catalog';
import type { SinkDefinition } from '../../../shared/sinks/definition';

type PluginsOf = (serverless: unknown, definitions: readonly SinkDefinition[]) => Plugin[];
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pluginsOf = require('../../../shared/deploy/esbuild-plugins.js') as PluginsOf;

/** The packages the plugin marks as external when it builds `entry`; none when it leaves all in. */
function leftOut(entry: string, definitions: readonly SinkDefinition[] = SINK_DEFINITIONS): string[] {
  let filter: RegExp | undefined;
  const build = {
    initialOptions: { entryPoints: [entry] },
    onResolve: (options: { filter: RegExp }) => {
      filter = options.filter;
    },
  } as unknown as PluginBuild;
  for (const plugin of pluginsOf(undefined, definitions)) void plugin.setup(build);
  const packages = definitions.flatMap((definition) => definition.clientPackages);
  return packages.filter((name) => filter?.test(name) === true).sort();
}

describe('the esbuild plugin that leaves sink clients out of bundles', () => {
  test('gives a worker its own sink client only', () => {
    expect(leftOut(path.join('functions', 'workers', 'kafka.ts'))).toEqual(
      ['@aws-sdk/client-eventbridge', '@aws-sdk/client-secrets-manager', 'pg'].sort(),
    );
  });

  test('gives the read function the client of the sink that serves reads', () => {
    expect(leftOut(path.join('functions', 'read.ts'))).toEqual(
      ['@aws-sdk/client-eventbridge', 'kafkajs'].sort(),
    );
    // Moving the read API to another sink moves the client with it.
    const readingKafka = SINK_DEFINITIONS.map((definition) => ({
      ...definition,
      servesReads: definition.name === 'kafka',
    }));
    expect(leftOut(path.join('functions', 'read.ts'), readingKafka)).toEqual(
      ['@aws-sdk/client-eventbridge', '@aws-sdk/client-secrets-manager', 'pg'].sort(),
    );
  });

  test('leaves every client in a bundle of an entry it does not know', () => {
    expect(leftOut(path.join('functions', 'other.ts'))).toEqual([]);
  });
});
