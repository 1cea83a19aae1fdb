import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (the deploy's esbuild
 * plugin points the package here; tests and the local runtime keep the SDK's own chain).
 *
 * Lambda hands a function its role's credentials in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), or, where it cannot keep them there, at a container
 * credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI with its authorization token). Those are
 * the two links of the SDK's default chain that can answer inside Lambda; the others (SSO, shared
 * config and credentials files, credential_process, web identity files, EC2 instance metadata) need
 * files or endpoints a Lambda sandbox does not have, and bring the STS, SSO and sign-in clients
 * with them: about 130 kB of every bundle.
 */

type ProviderInit = NonNullable<Parameters<typeof fromEnv>[0]> & NonNullable<Parameters<typeof fromHttp>[0]>;
type CredentialProvider = ReturnType<typeof fromEnv>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

const CONTAINER_ENDPOINT_VARIABLES = [
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
] as const;

/** As the SDK's chain: credentials that expire within five minutes are fetched again. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

function sourceFor(init: ProviderInit, env: NodeJS.ProcessEnv): CredentialProvider {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return fromEnv(init);
  if (CONTAINER_ENDPOINT_VARIABLES.some((name) => env[name])) return fromHttp(init);
  return async () => {
    throw new Error(
      'no AWS credentials: neither AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY nor a container ' +
        'credentials endpoint is set (this bundle looks for credentials as Lambda provides them)',
    );
  };
}

function expiresSoon(credentials: Credentials, now: number): boolean {
  return (
    credentials.expiration !== undefined && credentials.expiration.getTime() - now < REFRESH_BEFORE_EXPIRY_MS
  );
}

/**
 * The credentials, fetched once and again shortly before they expire; a failed fetch is retried
 * on the next call. Same name and call shape as the package it replaces.
 */
export function defaultProvider(init: ProviderInit = {}): CredentialProvider {
  let pending: Promise<Credentials> | undefined;
  let known: Credentials | undefined;
  return async (options) => {
    const forceRefresh = (options as { forceRefresh?: boolean } | undefined)?.forceRefresh === true;
    if (known && !forceRefresh && !expiresSoon(known, Date.now())) return known;
    pending ??= sourceFor(
      init,
      process.env,
    )(options).then(
      (credentials) => {
        known = credentials;
        pending = undefined;
        return credentials;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}
