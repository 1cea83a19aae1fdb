// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml).
//
// The ingest function only enqueues for async topics, so its bundle leaves out the Kafka and
// Postgres clients, which the workers (bundled separately) carry. A deployment whose sync topics
// write to kafka or postgres straight from the ingest function lists them in the `syncSinks`
// param; then, and only then, their client goes into the ingest bundle too.

const path = require('node:path');

const CLIENT_PACKAGES = { kafka: ['kafkajs'], postgres: ['pg', 'pg-native'] };
const INGEST_ENTRY = path.join('functions', 'ingest.ts');

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

/** Marks the clients of sinks the ingest function never writes to as external for its build. */
function leaveOutClients(syncSinks) {
  const packages = Object.entries(CLIENT_PACKAGES)
    .filter(([sink]) => !syncSinks.includes(sink))
    .flatMap(([, names]) => names);
  return {
    name: 'eventgate-leave-out-clients',
    setup(build) {
      if (packages.length === 0 || !entryPointsOf(build).some((entry) => entry.endsWith(INGEST_ENTRY)))
        return;
      const escaped = packages.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      const filter = new RegExp(`^(${escaped.join('|')})(/.*)?$`);
      build.onResolve({ filter }, (args) => ({ path: args.path, external: true }));
    },
  };
}

module.exports = (serverless) => [leaveOutClients(syncSinksOf(serverless))];
