import type { Plugin } from 'esbuild';
import { SINK_DEFINITIONS } from '../../sinks/catalog';
import type { SinkDefinition } from '../../sinks/definition';
import { precompiledConfigValidator } from './config-validator';
import { compilesTopicSchemas, entryPointsOf } from './entries';
import { lambdaCredentials, withoutEventStreams } from './aws-sdk-parts';
import { lazyModules } from './lazy-modules';
import { leaveOutSinks } from './leave-out-sinks';

export interface LambdaBundleOptions {
  /** Sinks the ingest function writes to itself (serverless.yml's `syncSinks`). */
  syncSinks: readonly string[];
  /** The sink definitions; tests hand in their own. */
  definitions?: readonly SinkDefinition[];
}

/** The esbuild plugins every Lambda bundle is built with (serverless.yml's custom.esbuild.plugins). */
export function lambdaPlugins(options: LambdaBundleOptions): Plugin[] {
  const definitions = options.definitions ?? SINK_DEFINITIONS;
  // What the separate files of lazily loaded modules are built with too.
  // The ingest and read functions carry ajv's compiler for topic schemas anyway; the precompiled
  // check of config.json would add about 87 kB to them (measured, see the cold-start bench).
  const precompiled = precompiledConfigValidator(
    definitions,
    (build) => !compilesTopicSchemas(entryPointsOf(build)),
  );
  const common = [lambdaCredentials(), withoutEventStreams(), precompiled];
  return [
    leaveOutSinks(options.syncSinks, definitions),
    lazyModules(options.syncSinks, definitions, common),
    ...common,
  ];
}
