// esbuild plugins for serverless-esbuild (custom.esbuild.plugins in serverless.yml): what they do
// is written in shared/deploy/bundling/, in TypeScript, loaded here through tsx.

/** The plugin list serverless-esbuild asks for, for the deployment's `syncSinks`. */
module.exports = (serverless) => {
  const { require: requireTs } = require('tsx/cjs/api');
  const { lambdaPlugins } = requireTs('./bundling/index.ts', module.filename);
  const { syncSinkNames } = requireTs('./parameters.ts', module.filename);
  const value = serverless?.service?.custom?.eventgate?.syncSinks;
  return lambdaPlugins({ syncSinks: syncSinkNames(typeof value === 'string' ? value : undefined) });
};
