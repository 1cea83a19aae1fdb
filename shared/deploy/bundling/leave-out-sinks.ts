import type { Plugin } from 'esbuild';
import type { SinkDefinition } from '../../sinks/definition';
import { entryPointsOf, packagesFilter, sinksWrittenBy } from './entries';

const LEFT_OUT_NAMESPACE = 'eventgate-left-out-sink';

type DefinitionParts = Pick<SinkDefinition, 'name' | 'clientPackages' | 'readStore'>;

/** The sink a definition module belongs to (`shared/sinks/<sink>/index.ts`), if the path is one. */
function sinkOfDefinitionModule(file: string): string | undefined {
  return /[\\/]shared[\\/]sinks[\\/]([^\\/]+)[\\/]index\.ts$/.exec(file)?.[1];
}

/**
 * Every function loads the list of sink definitions, and each definition `require()`s its client
 * side (the sink module and its client library) only when its sink is built. A function's bundle
 * leaves out the client side of the sinks it never writes to: a worker carries its own sink's only,
 * the ingest function those of the `syncSinks`, which sync topics write to straight from it.
 *
 * Left out are the definition's `clientPackages` (external: a require of one would fail) and the
 * modules its definition requires lazily, which become a module that fails with a clear message.
 */
export function leaveOutSinks(syncSinks: readonly string[], definitions: readonly DefinitionParts[]): Plugin {
  return {
    name: 'eventgate-leave-out-sinks',
    setup(build) {
      const written = sinksWrittenBy(entryPointsOf(build), syncSinks, definitions);
      if (written === undefined) return;
      const leftOut = definitions.filter((definition) => !written.has(definition.name));
      const packages = leftOut.flatMap((definition) => definition.clientPackages);
      if (packages.length > 0) {
        build.onResolve({ filter: packagesFilter(packages) }, (args) => ({
          path: args.path,
          external: true,
        }));
      }
      const leftOutNames = new Set(leftOut.map((definition) => definition.name));
      build.onResolve({ filter: /^\./ }, (args) => {
        const sink = sinkOfDefinitionModule(args.importer);
        if (args.kind !== 'require-call' || sink === undefined || !leftOutNames.has(sink)) return undefined;
        return { path: `${sink}:${args.path}`, namespace: LEFT_OUT_NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: LEFT_OUT_NAMESPACE }, (args) => {
        const sink = args.path.slice(0, args.path.indexOf(':'));
        const message =
          `the ${sink} sink is not part of this function's bundle: it is built for the sinks it writes ` +
          `to (the ingest function: the syncSinks parameter)`;
        return { contents: `throw new Error(${JSON.stringify(message)});`, loader: 'js' };
      });
    },
  };
}
