import path from 'node:path';
import type { PluginBuild } from 'esbuild';
import type { SinkDefinition } from '../../sinks/definition';

/** Repository root: the entry points and the modules the plugins look for are named from here. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

const INGEST_ENTRY = path.join('functions', 'ingest.ts');
// The read API reads a sink's store with that sink's client: the definition with a `readStore`.
const READ_ENTRY = path.join('functions', 'read.ts');
const WORKER_ENTRY = /functions[\\/]workers[\\/]([^\\/]+)\.ts$/;

/** The entry points of a build, as paths. */
export function entryPointsOf(build: PluginBuild): string[] {
  const entryPoints = build.initialOptions.entryPoints ?? [];
  const list = Array.isArray(entryPoints) ? entryPoints : Object.values(entryPoints);
  return list.map((entry) => path.normalize(typeof entry === 'string' ? entry : entry.in));
}

/**
 * The sinks whose clients a build's functions use: a worker its own, the ingest function the sync
 * sinks, the read function the sink that serves reads. Undefined when an entry is not a function we
 * know: such a build keeps everything.
 */
export function sinksWrittenBy(
  entries: readonly string[],
  syncSinks: readonly string[],
  definitions: ReadonlyArray<Pick<SinkDefinition, 'name' | 'readStore'>>,
): Set<string> | undefined {
  if (entries.length === 0) return undefined;
  const written = new Set<string>();
  for (const entry of entries) {
    const worker = WORKER_ENTRY.exec(entry);
    if (worker) written.add(worker[1] as string);
    else if (entry.endsWith(INGEST_ENTRY)) syncSinks.forEach((sink) => written.add(sink));
    else if (entry.endsWith(READ_ENTRY))
      definitions
        .filter((definition) => definition.readStore !== undefined)
        .forEach(({ name }) => written.add(name));
    else return undefined;
  }
  return written;
}

/**
 * Whether a build's functions compile topic schemas with ajv when they load (the ingest and read
 * functions load the topic registry): their bundles carry ajv's compiler whatever else they do.
 */
export function compilesTopicSchemas(entries: readonly string[]): boolean {
  return entries.some((entry) => entry.endsWith(INGEST_ENTRY) || entry.endsWith(READ_ENTRY));
}

/** A regular expression matching the given package names and their subpaths. */
export function packagesFilter(packages: readonly string[]): RegExp {
  const escaped = packages.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^(${escaped.join('|')})(/.*)?$`);
}
