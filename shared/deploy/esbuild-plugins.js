// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml): what they do
// is written in shared/deploy/bundling/, in TypeScript, loaded here through tsx.

function syncSinksOf(serverless) {
  const value = serverless?.service?.custom?.eventgate?.syncSinks;
  if (typeof value !== 'string' || value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((sink) => sink.trim());
}

/**
 * The plugin list serverless-esbuild asks for. `definitions` is the list of sink definitions,
 * the shipped ones unless given.
 */
module.exports = (serverless, definitions) => {
  const { require: requireTs } = require('tsx/cjs/api');
  const { lambdaPlugins } = requireTs('./bundling/index.ts', module.filename);
  return lambdaPlugins({ syncSinks: syncSinksOf(serverless), definitions });
};
