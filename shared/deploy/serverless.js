// Bridge between serverless.yml and the TypeScript resource builders: each exported property is a
// `${file(./shared/deploy/serverless.js):<property>}` variable that Serverless resolves by calling it
// with its variable resolver, once the stage and the `--param` values are known.

/** Every parameter the builders read; serverless.yml gives each a default under `params.default`. */
const PARAMETER_NAMES = [
  'sinks',
  'syncSinks',
  'logRetentionDays',
  'logLevel',
  'tracing',
  'memorySize',
  'ingestTimeoutSeconds',
  'apiThrottleBurst',
  'apiThrottleRate',
  'alarmTopicArn',
  'oldestMessageAgeAlarmSeconds',
  'quarantineAlarmThreshold',
  'configBucket',
  'configPrefix',
  'eventBus',
  'kafkaBrokers',
  'mskClusterArn',
  'postgresSecretName',
  'postgresSecretRegion',
  'postgresSecretKmsKeyArn',
  'archiveBucket',
  'archivePrefix',
];

/**
 * The variable sources for serverless.yml. `loadBuilders` returns shared/deploy/index.ts; it is a
 * parameter so tests can load it through their own TypeScript transform.
 */
function createBridge(loadBuilders) {
  let deployment;

  async function build({ resolveVariable }) {
    // Serverless calls every property separately; they must all see one and the same deployment.
    deployment ??= (async () => {
      const { buildDeployment, parseDeployParameters } = loadBuilders();
      const raw = { service: await resolveVariable('self:service') };
      for (const name of PARAMETER_NAMES) {
        // An empty default comes back as null or ''; both mean "not set".
        raw[name] = await resolveVariable(`param:${name}, null`);
      }
      const stage = await resolveVariable('self:provider.stage');
      return buildDeployment(parseDeployParameters(raw, stage));
    })();
    try {
      return await deployment;
    } catch (error) {
      // A variable that is not resolvable yet makes Serverless retry later: do not keep the failure.
      deployment = undefined;
      throw error;
    }
  }

  return {
    functions: async (context) => (await build(context)).functions,
    resources: async (context) => (await build(context)).resources,
    environment: async (context) => (await build(context)).environment,
    logRetentionInDays: async (context) => (await build(context)).logRetentionInDays,
  };
}

function loadWithTsx() {
  const { require: requireTs } = require('tsx/cjs/api');
  return requireTs('./index.ts', module.filename);
}

module.exports = { PARAMETER_NAMES, createBridge, ...createBridge(loadWithTsx) };
