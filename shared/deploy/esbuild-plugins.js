// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml).
//
// Every function loads the list of sink definitions, and each definition requires its client
// library only when its sink is built. So a bundle may leave out the client packages of the sinks
// its function never writes to: a worker carries its own sink's client only, and the ingest
// function (which only enqueues for async topics) carries the clients of the sinks listed in the
// `syncSinks` param, which sync topics write to straight from it, and the read function the client
// of the sink it reads from (`servesReads`). Each definition names its client packages
// (`clientPackages`).

const path = require('node:path');

const INGEST_ENTRY = path.join('functions', 'ingest.ts');
// The read API reads a sink's store with that sink's client: the definition that `servesReads`.
const READ_ENTRY = path.join('functions', 'read.ts');
const WORKER_ENTRY = /functions[\\/]workers[\\/]([^\\/]+)\.ts$/;

function loadDefinitions() {
  const { require: requireTs } = require('tsx/cjs/api');
  return requireTs('../sinks/catalog.ts', module.filename).SINK_DEFINITIONS;
}

function entryPointsOf(build) {
  const entryPoints = build.initialOptions.entryPoints ?? [];
  const list = Array.isArray(entryPoints) ? entryPoints : Object.values(entryPoints);
  return list.map((entry) => path.normalize(typeof entry === 'string' ? entry : entry.in));
}

function syncSinksOf(serverless) {
  const value = serverless?.service?.custom?.eventgate?.syncSinks;
  if (typeof value !== 'string' || value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((sink) => sink.trim());
}

/**
 * The sinks whose clients a function's bundle uses: a worker its own, the ingest function the sync
 * sinks, the read function the sink it reads from.
 */
function sinksUsedBy(entries, syncSinks, definitions) {
  const used = new Set();
  for (const entry of entries) {
    const worker = WORKER_ENTRY.exec(entry);
    if (worker) used.add(worker[1]);
    else if (entry.endsWith(INGEST_ENTRY)) syncSinks.forEach((sink) => used.add(sink));
    else if (entry.endsWith(READ_ENTRY))
      definitions.filter((definition) => definition.servesReads).forEach(({ name }) => used.add(name));
    else return undefined; // an entry we know nothing about keeps every client
  }
  return used;
}

/** Marks the client packages of sinks a function never uses as external for its build. */
function leaveOutClients(syncSinks, definitions) {
  return {
    name: 'eventgate-leave-out-clients',
    setup(build) {
      const used = sinksUsedBy(entryPointsOf(build), syncSinks, definitions);
      if (used === undefined) return;
      const packages = definitions
        .filter((definition) => !used.has(definition.name))
        .flatMap((definition) => definition.clientPackages);
      if (packages.length === 0) return;
      const escaped = packages.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      const filter = new RegExp(`^(${escaped.join('|')})(/.*)?$`);
      build.onResolve({ filter }, (args) => ({ path: args.path, external: true }));
    },
  };
}

/**
 * The plugin list serverless-esbuild asks for. `definitions` is the list of sink definitions,
 * loaded from TypeScript through tsx unless given (tests hand in their own).
 */
module.exports = (serverless, definitions = loadDefinitions()) => [
  leaveOutClients(syncSinksOf(serverless), definitions),
];
