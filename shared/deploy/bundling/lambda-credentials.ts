import path from 'node:path';
import type { Plugin } from 'esbuild';
import { REPO_ROOT } from './entries';

const STAND_IN = path.join(REPO_ROOT, 'shared', 'aws', 'lambda-credentials.ts');

/**
 * Points the AWS SDK clients' default credential chain at shared/aws/lambda-credentials.ts, which
 * keeps the two links that can answer inside Lambda (the environment and the container endpoint)
 * and leaves out the rest, with the STS, SSO and sign-in clients they load.
 */
export function lambdaCredentials(): Plugin {
  return {
    name: 'eventgate-lambda-credentials',
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: STAND_IN }));
    },
  };
}
