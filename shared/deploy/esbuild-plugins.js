// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml).
//
// The sink registry imports each sink module on first use, but esbuild still inlines every dynamic
// import of a CommonJS bundle. This keeps the Kafka and Postgres clients out of the ingest function's
// bundle: the ingest function enqueues, and the workers, bundled separately, carry the clients.
// On Lambda a sync topic can therefore write to eventbridge and s3 only; kafka and postgres
// topics there must be async (their sink fails to load in the ingest function).

const path = require('node:path');

/** Entry points whose bundle must not carry a given package. */
const LEFT_OUT = [{ entry: path.join('functions', 'ingest.ts'), packages: ['kafkajs', 'pg', 'pg-native'] }];

function entryPointsOf(build) {
  const entryPoints = build.initialOptions.entryPoints ?? [];
  const list = Array.isArray(entryPoints) ? entryPoints : Object.values(entryPoints);
  return list.map((entry) => path.normalize(typeof entry === 'string' ? entry : entry.in));
}

/** Marks the listed packages (and their subpaths) external for builds of the listed entry points. */
const leaveOutClients = {
  name: 'eventgate-leave-out-clients',
  setup(build) {
    const entries = entryPointsOf(build);
    const packages = LEFT_OUT.filter((rule) => entries.some((entry) => entry.endsWith(rule.entry))).flatMap(
      (rule) => rule.packages,
    );
    if (packages.length === 0) return;
    const escaped = packages.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const filter = new RegExp(`^(${escaped.join('|')})(/.*)?$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, external: true }));
  },
};

module.exports = [leaveOutClients];
