#!/usr/bin/env node
// Runs the TypeScript CLI straight from source, so `npx eventgate` needs no build step.
require('tsx/cjs');
require('../shared/cli/main.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
