import path from 'node:path';
import type { BuildOptions, BuildResult, Metafile, Plugin, PluginBuild } from 'esbuild';
import type { SinkDefinition } from '../../sinks/definition';
import { entryPointsOf, REPO_ROOT, sinksWrittenBy } from './entries';

/**
 * A module that code `require()`s only when it needs it and that pulls a large package with it.
 * In a Lambda bundle it becomes a separate file beside the function's own, `<function>.<chunk>.js`,
 * which Node reads only when that `require()` runs: a cold start that does not need it does not
 * parse it. (esbuild splits code only for ES module output; the functions are CommonJS.)
 */
export interface LazyModule {
  /** The module, from the repository root. */
  file: string;
  chunk: string;
  /**
   * The packages it exists to keep out of the bundle. A function that carries one of them anyway
   * (its own sink's client) gets the module inline: a separate file would only be a second copy.
   */
  packages: readonly string[];
}

export const LAZY_MODULES: readonly LazyModule[] = [
  // Configuration read from s3:// locations.
  { file: 'shared/config/s3-client.ts', chunk: 'config-s3', packages: ['@aws-sdk/client-s3'] },
  // Token issuance with its clients or signing key in Secrets Manager.
  {
    file: 'shared/issuer/secrets-manager.ts',
    chunk: 'secrets-manager',
    packages: ['@aws-sdk/client-secrets-manager'],
  },
  // GET /api: the OpenAPI document, written as YAML.
  { file: 'shared/schemas/openapi.ts', chunk: 'openapi', packages: ['yaml'] },
];

type DefinitionParts = Pick<SinkDefinition, 'name' | 'clientPackages' | 'readStore'>;

function withoutExtension(file: string): string {
  return file.replace(/\.[cm]?[jt]s$/, '');
}

/** The lazy module a relative `require()` names, if it names one. */
function lazyModuleAt(resolved: string, modules: readonly LazyModule[]): LazyModule | undefined {
  const wanted = withoutExtension(resolved).split(path.sep).join('/');
  return modules.find((module) => wanted.endsWith(`/${withoutExtension(module.file)}`));
}

/** Where the function's own file goes and what it is called, without its extension. */
function outputOf(
  build: PluginBuild,
  entry: string,
): { directory?: string; base: string; extension: string } {
  const options = build.initialOptions;
  const workingDirectory = options.absWorkingDir ?? process.cwd();
  if (options.outfile !== undefined) {
    const outfile = path.resolve(workingDirectory, options.outfile);
    const extension = path.extname(outfile) || '.js';
    return { directory: path.dirname(outfile), base: path.basename(outfile, extension), extension };
  }
  const extension = options.outExtension?.['.js'] ?? '.js';
  const base = path.basename(entry, path.extname(entry));
  if (options.outdir !== undefined) {
    return { directory: path.resolve(workingDirectory, options.outdir), base, extension };
  }
  return { base, extension };
}

function mergeMetafile(into: Metafile, from: Metafile): void {
  Object.assign(into.inputs, from.inputs);
  Object.assign(into.outputs, from.outputs);
}

/** Builds one lazy module as a file of its own, with the function's options. */
async function buildChunk(
  build: PluginBuild,
  file: string,
  outfile: string,
  plugins: Plugin[],
): Promise<BuildResult> {
  const {
    entryPoints: _entryPoints,
    outdir: _outdir,
    outExtension: _outExtension,
    outbase: _outbase,
    entryNames: _entryNames,
    ...options
  } = build.initialOptions;
  const chunkOptions: BuildOptions = { ...options, entryPoints: [file], outfile, plugins };
  return build.esbuild.build(chunkOptions);
}

/**
 * Turns each `require()` of a lazy module into a `require()` of its separate file, and builds
 * that file when the function's bundle is built. `chunkPlugins` are the plugins its build gets.
 */
export function lazyModules(
  syncSinks: readonly string[],
  definitions: readonly DefinitionParts[],
  chunkPlugins: Plugin[],
  modules: readonly LazyModule[] = LAZY_MODULES,
): Plugin {
  return {
    name: 'eventgate-lazy-modules',
    setup(build) {
      const entries = entryPointsOf(build);
      const written = sinksWrittenBy(entries, syncSinks, definitions);
      // A build of several entries, or of one we do not know, keeps everything inline; so does an
      // ES module build, which would split with esbuild's own `splitting` instead of `require()`.
      if (written === undefined || entries.length !== 1 || build.initialOptions.format === 'esm') return;
      const carried = new Set(
        definitions
          .filter((definition) => written.has(definition.name))
          .flatMap((definition) => definition.clientPackages),
      );
      const split = modules.filter((module) => !module.packages.some((name) => carried.has(name)));
      if (split.length === 0) return;
      const output = outputOf(build, entries[0] as string);
      // Nowhere to put a second file: only a build that writes nothing (a size check) goes on.
      const directory = output.directory ?? (build.initialOptions.write === false ? REPO_ROOT : undefined);
      if (directory === undefined) return;
      const wanted = new Map<string, string>();

      build.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'require-call') return undefined;
        const module = lazyModuleAt(path.resolve(args.resolveDir, args.path), split);
        if (module === undefined) return undefined;
        const name = `${output.base}.${module.chunk}${output.extension}`;
        wanted.set(name, path.resolve(args.resolveDir, args.path));
        return { path: `./${name}`, external: true };
      });

      build.onEnd(async (result) => {
        if (result.errors.length > 0) return;
        for (const [name, file] of wanted) {
          const chunk = await buildChunk(build, file, path.join(directory, name), chunkPlugins);
          result.warnings.push(...chunk.warnings);
          if (result.metafile && chunk.metafile) mergeMetafile(result.metafile, chunk.metafile);
          if (result.outputFiles && chunk.outputFiles) result.outputFiles.push(...chunk.outputFiles);
        }
      });
    },
  };
}
