import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions, type Format, type Metafile, type Plugin } from 'esbuild';
import { parse } from 'yaml';
import { REPO_ROOT } from './entries';
import { lambdaPlugins } from './index';
import { syncSinkNames } from '../parameters';

// Builds a function as `serverless package` does, for the bundle-size test and the cold-start
// bench: the esbuild options come from serverless.yml, as serverless-esbuild reads them.

interface CustomEsbuild {
  bundle?: boolean;
  minify?: boolean;
  sourcemap?: boolean;
  target?: string;
  platform?: 'node';
  format?: Format;
  mainFields?: string[];
  exclude?: string[];
  external?: string[];
  plugins?: string;
  /** serverless-esbuild's own options (SERVERLESS_ESBUILD_OPTIONS) may be here too. */
  [option: string]: unknown;
}

/**
 * custom.esbuild keys that are serverless-esbuild's own, not esbuild's: it removes them before it
 * calls esbuild (its dist/bundle.js), and so does this copy of its build.
 */
const SERVERLESS_ESBUILD_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];

interface ServerlessYml {
  params?: { default?: Record<string, unknown> };
  custom?: { esbuild?: CustomEsbuild; eventgate?: { syncSinks?: string } };
}

export interface ServerlessBuildSettings {
  /** esbuild options from custom.esbuild, without the plugins. */
  options: BuildOptions;
  /** The module custom.esbuild.plugins names. */
  pluginsModule: string | undefined;
  /** The `syncSinks` parameter's default. */
  syncSinks: string[];
}

/** serverless.yml's custom.esbuild (what serverless-esbuild passes on to esbuild) and `syncSinks`. */
export function serverlessBuildSettings(root: string = REPO_ROOT): ServerlessBuildSettings {
  const yml = parse(readFileSync(path.join(root, 'serverless.yml'), 'utf8')) as ServerlessYml;
  const { exclude = [], external = [], plugins, ...rest } = yml.custom?.esbuild ?? {};
  const options = Object.fromEntries(
    Object.entries(rest).filter(([name]) => !SERVERLESS_ESBUILD_OPTIONS.includes(name)),
  ) as BuildOptions;
  return {
    // serverless-esbuild's own defaults, then serverless.yml's; `exclude` becomes external.
    options: { bundle: true, platform: 'node', ...options, external: [...external, ...exclude] },
    pluginsModule: plugins,
    syncSinks: syncSinkNames(String(yml.params?.default?.syncSinks ?? 'none')),
  };
}

export interface BundleFile {
  /** Relative to the output directory, as it lands in the zip: `functions/ingest.js`. */
  name: string;
  bytes: number;
  /** Bytes in the file per npm package; the project's own code is "eventgate". */
  packages: Array<{ name: string; bytes: number }>;
  /** Modules it requires at run time that are not in it (Node's own and the files beside it). */
  externals: string[];
  /** The source files in it, as esbuild names them (`node_modules/ajv/dist/core.js`). */
  inputs: string[];
}

export interface BuiltFunction {
  /** The function's own file, which Lambda loads at cold start. */
  main: BundleFile;
  /** The files it loads on first use, beside it (see ./lazy-modules.ts). */
  lazy: BundleFile[];
  /** Absolute path of the main file. */
  file: string;
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match?.[1] ?? 'eventgate';
}

function bundleFile(
  metafile: Metafile,
  output: string,
  outDir: string,
  workingDirectory: string,
): BundleFile {
  const info = metafile.outputs[output];
  if (!info) throw new Error(`no output ${output}`);
  const sizes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(info.inputs)) {
    const name = packageOf(input);
    sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
  }
  const absolute = path.resolve(workingDirectory, output);
  return {
    name: path.relative(outDir, absolute).split(path.sep).join('/'),
    bytes: statSync(absolute).size,
    packages: [...sizes].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes),
    externals: [...new Set(info.imports.filter((item) => item.external).map((item) => item.path))].sort(),
    inputs: Object.keys(info.inputs).sort(),
  };
}

/**
 * Bundles `entry` (e.g. `functions/ingest.ts`) into `outDir` as serverless-esbuild does: the
 * options from serverless.yml, the output under the entry's own directory, the deploy's plugins
 * unless `plugins` replaces them.
 */
export async function buildLikeServerless(
  entry: string,
  outDir: string,
  options: { plugins?: Plugin[]; overrides?: BuildOptions; root?: string } = {},
): Promise<BuiltFunction> {
  const root = options.root ?? REPO_ROOT;
  const settings = serverlessBuildSettings(root);
  const result = await build({
    ...settings.options,
    ...options.overrides,
    entryPoints: [entry],
    outdir: path.join(outDir, path.dirname(entry)),
    plugins: options.plugins ?? lambdaPlugins({ syncSinks: settings.syncSinks }),
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const mainName = `${entry.replace(/\.ts$/, '')}.js`;
  const files = Object.keys(result.metafile.outputs)
    .filter((output) => output.endsWith('.js'))
    .map((output) => bundleFile(result.metafile, output, outDir, root));
  const main = files.find((file) => file.name === mainName);
  if (!main) throw new Error(`${entry}: no ${mainName} among ${files.map((file) => file.name).join(', ')}`);
  return {
    main,
    lazy: files.filter((file) => file !== main).sort((a, b) => a.name.localeCompare(b.name)),
    file: path.join(outDir, mainName),
  };
}
