import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import standaloneCode from 'ajv/dist/standalone';
import type { Plugin } from 'esbuild';
import { configSchema } from '../../config/schema';
import { CONFIG_AJV_OPTIONS } from '../../config/validators';
import { SinkCatalog } from '../../sinks/catalog';
import type { SinkDefinition } from '../../sinks/definition';

const VALIDATORS_MODULE = /[\\/]shared[\\/]config[\\/]validators\.ts$/;

/**
 * shared/config/validators.ts as the bundles get it: the check of config.json compiled to
 * JavaScript by ajv's standalone code generator, for the shipped sinks and with unknown keys
 * ignored (how a function loads its configuration; `eventgate validate`, which rejects them, is
 * not bundled). Same schema, same ajv options: the same verdicts and defaults.
 */
export function configValidatorModule(definitions: readonly SinkDefinition[]): string {
  const ajv = new Ajv2020({ ...CONFIG_AJV_OPTIONS, code: { source: true, esm: true } });
  const validate = ajv.compile(configSchema(new SinkCatalog(definitions), 'ignore'));
  return [
    `import { sinkCatalog } from '../sinks/catalog';`,
    standaloneCode(ajv, validate),
    `export function configValidator(catalog, unknownKeys) {`,
    `  if (catalog !== sinkCatalog || unknownKeys !== 'ignore') {`,
    `    throw new Error('this bundle checks config.json only as a function loads it: its own sinks, unknown keys ignored');`,
    `  }`,
    `  return validate;`,
    `}`,
  ].join('\n');
}

/**
 * Replaces shared/config/validators.ts with its compiled form, so a bundle carries neither ajv's
 * compiler for the configuration nor spends its cold start compiling the schema. `applies` says
 * for which entry points (the ingest function compiles topic schemas with ajv anyway).
 */
export function precompiledConfigValidator(
  definitions: readonly SinkDefinition[],
  applies: (build: Parameters<Plugin['setup']>[0]) => boolean = () => true,
): Plugin {
  let generated: string | undefined;
  return {
    name: 'eventgate-precompiled-config-validator',
    setup(build) {
      if (!applies(build)) return;
      build.onLoad({ filter: VALIDATORS_MODULE }, (args) => {
        generated ??= configValidatorModule(definitions);
        return { contents: generated, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}
