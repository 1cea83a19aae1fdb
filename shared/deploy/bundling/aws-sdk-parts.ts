import path from 'node:path';
import type { Plugin } from 'esbuild';
import { REPO_ROOT } from './entries';

// Parts of the AWS SDK v3 that a Lambda bundle of EventGate never runs, left out of it.

const CREDENTIALS_STAND_IN = path.join(REPO_ROOT, 'shared', 'aws', 'lambda-credentials.ts');

/**
 * Points the AWS SDK clients' default credential chain at shared/aws/lambda-credentials.ts, which
 * keeps the two links that can answer inside Lambda (the environment and the container endpoint)
 * and leaves out the rest, with the STS, SSO and sign-in clients they load.
 */
export function lambdaCredentials(): Plugin {
  return {
    name: 'eventgate-lambda-credentials',
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
        path: CREDENTIALS_STAND_IN,
      }));
    },
  };
}

const NO_EVENT_STREAMS = 'eventgate-no-event-streams';

/**
 * Every SDK client loads the event stream codec with `import()` on the first operation that
 * streams events (S3 SelectObjectContent, Lambda InvokeWithResponseStream, …); EventGate calls
 * none, so in the bundles that `import()` fails with a clear message instead of carrying the codec
 * (about 15 kB). Clients that import it statically (S3) still get it where they import it.
 */
export function withoutEventStreams(): Plugin {
  return {
    name: 'eventgate-without-event-streams',
    setup(build) {
      build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
        args.kind === 'dynamic-import' ? { path: args.path, namespace: NO_EVENT_STREAMS } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: NO_EVENT_STREAMS }, () => ({
        contents: `throw new Error("the AWS SDK's event stream codec is not part of EventGate's Lambda bundles: no operation it calls streams events");`,
        loader: 'js',
      }));
    },
  };
}
