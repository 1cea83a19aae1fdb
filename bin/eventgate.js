#!/usr/bin/env node
const { nodeVersionProblem } = require('./node-version');

const problem = nodeVersionProblem(process.version);
if (problem !== null) {
  console.error(problem);
  process.exit(1);
}
// Runs the TypeScript CLI straight from source, so `npx eventgate` needs no build step.
require('tsx/cjs');
// The SDK warns on every command that its 2027 releases will need Node 22; the README says so once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { describeError } = require('../shared/errors/describe.ts');
require('../shared/cli/main.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(describeError(error));
      process.exitCode = 1;
    },
  );
