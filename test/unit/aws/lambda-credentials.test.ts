import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultProvider } from '../../../shared/aws/lambda-credentials';

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_PROFILE',
];
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(CREDENTIAL_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of CREDENTIAL_VARIABLES) delete process.env[name];
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A container credentials endpoint that hands out numbered keys, each expiring `lifetimeMs` after it is issued. */
async function credentialsEndpoint(
  lifetimeMs: number,
): Promise<{ url: string; calls: () => number; headers: () => string[]; close(): Promise<void> }> {
  let calls = 0;
  const authorizations: string[] = [];
  const server = http.createServer((request, response) => {
    calls += 1;
    authorizations.push(String(request.headers.authorization));
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        AccessKeyId: `container-key-${calls}`,
        SecretAccessKey: 'container-secret',
        Token: 'container-token',
        Expiration: new Date(Date.now() + lifetimeMs).toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/credentials`,
    calls: () => calls,
    headers: () => authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('takes the role credentials Lambda puts in the environment', async () => {
  process.env.AWS_ACCESS_KEY_ID = 'env-key';
  process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
  process.env.AWS_SESSION_TOKEN = 'env-token';
  const credentials = await defaultProvider()();
  expect(credentials).toMatchObject({
    accessKeyId: 'env-key',
    secretAccessKey: 'env-secret',
    sessionToken: 'env-token',
  });
});

test('asks the container credentials endpoint when the environment holds none, once until they near expiry', async () => {
  const endpoint = await credentialsEndpoint(60 * 60_000);
  try {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoint.url;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'container-authorization';
    const provider = defaultProvider();
    const [first, second] = await Promise.all([provider(), provider()]);
    expect(first).toMatchObject({ accessKeyId: 'container-key-1', sessionToken: 'container-token' });
    expect(second?.accessKeyId).toBe('container-key-1');
    expect((await provider()).accessKeyId).toBe('container-key-1');
    expect(endpoint.calls()).toBe(1);
    expect(endpoint.headers()).toEqual(['container-authorization']);
  } finally {
    await endpoint.close();
  }
});

test('fetches again credentials that expire within five minutes, and on a forced refresh', async () => {
  const endpoint = await credentialsEndpoint(60_000);
  try {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoint.url;
    const provider = defaultProvider();
    expect((await provider()).accessKeyId).toBe('container-key-1');
    expect((await provider()).accessKeyId).toBe('container-key-2');
    expect((await provider({ forceRefresh: true })).accessKeyId).toBe('container-key-3');
  } finally {
    await endpoint.close();
  }
});

test('without either source, says where it looked; a later call looks again', async () => {
  const provider = defaultProvider();
  await expect(provider()).rejects.toThrow(
    /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY nor a container credentials endpoint/,
  );
  process.env.AWS_ACCESS_KEY_ID = 'late-key';
  process.env.AWS_SECRET_ACCESS_KEY = 'late-secret';
  expect((await provider()).accessKeyId).toBe('late-key');
});
