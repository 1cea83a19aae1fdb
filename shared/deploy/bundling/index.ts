import type { Plugin } from 'esbuild';
import { SINK_DEFINITIONS } from '../../sinks/catalog';
import type { SinkDefinition } from '../../sinks/definition';
import { lambdaCredentials, withoutEventStreams } from './aws-sdk-parts';
import { precompiledConfigValidator } from './config-validator';
import { compilesTopicSchemas, entryPointsOf } from './entries';
import { lazyModules } from './lazy-modules';
import { leaveOutSinks } from './leave-out-sinks';

export interface LambdaBundleOptions {
  /** Sinks the ingest function writes to itself (serverless.yml's `syncSinks`). */
  syncSinks: readonly string[];
  /** The sink definitions; tests hand in their own. */
  definitions?: readonly SinkDefinition[];
  /**
   * Compile the check of config.json at build time in every bundle, the ingest and read functions'
   * too. Off by default: they carry ajv's compiler for topic schemas anyway, and the compiled check
   * (about 87 kB) would take the ingest bundle past its 500 kB budget. The bench measures both.
   */
  compileConfigCheckEverywhere?: boolean;
}

/** The esbuild plugins every Lambda bundle is built with (serverless.yml's custom.esbuild.plugins). */
export function lambdaPlugins(options: LambdaBundleOptions): Plugin[] {
  const definitions = options.definitions ?? SINK_DEFINITIONS;
  const compiledConfigCheck = precompiledConfigValidator(
    definitions,
    (build) => options.compileConfigCheckEverywhere === true || !compilesTopicSchemas(entryPointsOf(build)),
  );
  // Also what the files of lazily loaded modules are built with.
  const common = [lambdaCredentials(), withoutEventStreams(), compiledConfigCheck];
  return [
    leaveOutSinks(options.syncSinks, definitions),
    lazyModules(options.syncSinks, definitions, common),
    ...common,
  ];
}
