import { createRequire } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import { configSchema } from '../../config/schema';
import { CONFIG_AJV_OPTIONS } from '../../config/validators';
import { SinkCatalog } from '../../sinks/catalog';
import type { SinkDefinition } from '../../sinks/definition';

const VALIDATORS_MODULE = /[\\/]shared[\\/]config[\\/]validators\.ts$/;

/**
 * ajv and its code generator, both from Node's own module cache. The generator recognises ajv's
 * generated names by class, so the two must come from one copy of ajv's modules; under `serverless
 * package`, osls has already loaded ajv through Node while this file comes through tsx, which would
 * otherwise hand out a second copy.
 */
function ajvModules(): {
  Ajv2020: typeof import('ajv/dist/2020').default;
  standaloneCode: typeof import('ajv/dist/standalone').default;
} {
  const nodeRequire = createRequire(__filename);
  return {
    Ajv2020: (nodeRequire('ajv/dist/2020') as typeof import('ajv/dist/2020')).default,
    standaloneCode: (nodeRequire('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default,
  };
}

/**
 * shared/config/validators.ts as the bundles get it: the check of config.json compiled to
 * JavaScript by ajv's standalone code generator, for the shipped sinks and with unknown keys
 * ignored (how a function loads its configuration; `eventgate validate`, which rejects them, is
 * not bundled). Same schema, same ajv options: the same verdicts and defaults.
 */
export function configValidatorModule(definitions: readonly SinkDefinition[]): string {
  const { Ajv2020, standaloneCode } = ajvModules();
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
