import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { command as clientCommand } from '../../../shared/cli/client';
import { GatewayStateLoader } from '../../../shared/gateway/state';
import { createIngestApp, type IngestApp } from '../../../shared/ingest/app';
import { logger } from '../../../shared/observability/logger';
import {
  createTestConf,
  RecordingDelivery,
  v2Event,
  validTestEvent,
  type TestConf,
} from '../../helpers/gateway';

let conf: TestConf;
let app: IngestApp;
let delivery: RecordingDelivery;

/** Runs `eventgate client …` against the test conf; returns what it printed on stdout. */
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const code = await clientCommand.run([...args, '--conf', conf.dir]);
    return { code, out: printed.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

async function addClient(id: string, ...options: string[]): Promise<string> {
  const { code, out } = await cli('add', id, ...options);
  expect(code).toBe(0);
  return (JSON.parse(out) as { client_secret: string }).client_secret;
}

function build(): IngestApp {
  delivery = new RecordingDelivery();
  return createIngestApp({
    state: new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }),
    deliveries: { sync: delivery, async: delivery },
  });
}

interface TokenAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

async function requestToken(
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  sourceIp = '127.0.0.1',
): Promise<TokenAnswer> {
  const event = v2Event({
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  event.requestContext.http.sourceIp = sourceIp;
  const response = await app(event);
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}

const grant = (clientId: string, clientSecret: string, extra: Record<string, string> = {}) =>
  requestToken({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    ...extra,
  });

async function publishWith(token: string) {
  const response = await app(
    v2Event({
      method: 'POST',
      path: '/topics/public.cps.za.test',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(validTestEvent()),
    }),
  );
  return response.statusCode;
}

beforeAll(async () => {
  conf = await createTestConf();
  conf.setConfig({ topics: { 'public.cps.za.test': { mode: 'sync' } } });
});
afterAll(() => conf.cleanup());
beforeEach(() => {
  app = build();
});

describe('without token_issuance', () => {
  it('has no token endpoint and no JWKS, and GET /token still redirects', async () => {
    expect((await grant('TestUser', 'x')).status).toBe(404);
    expect((await app(v2Event({ method: 'GET', path: '/.well-known/jwks.json' }))).statusCode).toBe(404);
    const redirect = await app(v2Event({ method: 'GET', path: '/token' }));
    expect(redirect.statusCode).toBe(303);
  });
});

describe('with token_issuance', () => {
  let secret: string;

  beforeAll(async () => {
    expect((await cli('key')).code).toBe(0);
    expect((await cli('key')).code).toBe(1); // never overwrites a key
    conf.setConfig({ token_issuance: {} });
    secret = await addClient('TestUser', '--scope', 'events:write', '--audience', 'analytics');
  });

  it('issues a short-lived ES256 token for the client, verifiable with the published JWKS', async () => {
    const answer = await grant('TestUser', secret);
    expect(answer.status).toBe(200);
    expect(answer.headers['Cache-Control']).toBe('no-store');
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 1200, scope: 'events:write' });
    const token = answer.body.access_token as string;
    const claims = decodeJwt(token);
    expect(claims.sub).toBe('TestUser');
    expect(claims.iss).toBe('eventgate');
    expect((claims.exp as number) - (claims.iat as number)).toBe(1200);
    expect(claims.jti).toEqual(expect.any(String));

    const jwks = await app(v2Event({ method: 'GET', path: '/.well-known/jwks.json' }));
    expect(jwks.statusCode).toBe(200);
    const keySet = JSON.parse(jwks.body) as JSONWebKeySet;
    expect(keySet.keys).toHaveLength(1);
    expect(keySet.keys[0]).not.toHaveProperty('d'); // no private part
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: keySet.keys[0]?.kid });
    await expect(jwtVerify(token, createLocalJWKSet(keySet), { issuer: 'eventgate' })).resolves.toBeDefined();
  });

  it('is accepted by the gateway itself, next to tokens of the outside provider', async () => {
    const answer = await grant('TestUser', secret);
    expect(await publishWith(answer.body.access_token as string)).toBe(202);
    expect(await publishWith(await conf.token('TestUser'))).toBe(202);
    // The access map applies unchanged: this client is not allowed on another topic.
    const runs = await app(
      v2Event({
        method: 'POST',
        path: '/topics/public.cps.za.runs',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${answer.body.access_token}` },
        body: '{}',
      }),
    );
    expect(runs.statusCode).toBe(403);
  });

  it('takes HTTP Basic client authentication and JSON bodies too', async () => {
    const basic = Buffer.from(`TestUser:${encodeURIComponent(secret)}`).toString('base64');
    expect(
      (await requestToken({ grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` })).status,
    ).toBe(200);
    const event = v2Event({
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'TestUser',
        client_secret: secret,
      }),
    });
    expect((await app(event)).statusCode).toBe(200);
  });

  it('refuses a wrong secret and an unknown client alike, logging the attempt without the secret', async () => {
    logger.setLogLevel('WARN');
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array): boolean => {
      written.push(String(chunk));
      return true;
    };
    // Warnings go to stderr, information to stdout.
    const writes = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    let wrong: TokenAnswer;
    let unknown: TokenAnswer;
    try {
      wrong = await grant('TestUser', `${secret}x`);
      unknown = await grant('NoSuchClient', 'guess-secret-123');
    } finally {
      for (const write of writes) write.mockRestore();
      logger.setLogLevel('ERROR');
    }
    for (const answer of [wrong, unknown]) {
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_client', success: false, statusCode: 401 });
      expect(answer.headers['WWW-Authenticate']).toMatch(/^Basic/);
    }
    expect(wrong.body.error_description).toBe(unknown.body.error_description);
    const log = written.join('');
    expect(log).toContain('wrong secret');
    expect(log).toContain('unknown client');
    expect(log).toContain('"clientId":"TestUser"');
    expect(log).not.toContain(secret);
    expect(log).not.toContain('guess-secret-123');
  });

  it('stops working at once when a client is removed, or its secret rotated', async () => {
    const removable = await addClient('TemporaryClient');
    expect((await grant('TemporaryClient', removable)).status).toBe(200);
    expect((await cli('remove', 'TemporaryClient')).code).toBe(0);
    expect((await grant('TemporaryClient', removable)).status).toBe(401);

    const before = await addClient('RotatingClient');
    const { code, out } = await cli('rotate', 'RotatingClient');
    expect(code).toBe(0);
    const after = (JSON.parse(out) as { client_secret: string }).client_secret;
    expect((await grant('RotatingClient', before)).status).toBe(401);
    expect((await grant('RotatingClient', after)).status).toBe(200);
  });

  it('refuses an expired client', async () => {
    const expiring = await addClient('ExpiringClient');
    const file = path.join(conf.dir, 'clients.json');
    const document = JSON.parse(readFileSync(file, 'utf8')) as {
      clients: Record<string, { expires_at?: string }>;
    };
    (document.clients.ExpiringClient as { expires_at?: string }).expires_at = '2020-01-01T00:00:00Z';
    writeFileSync(file, JSON.stringify(document));
    expect((await grant('ExpiringClient', expiring)).status).toBe(401);
  });

  it('locks a client id out after five wrong secrets, even for the right one, and says when to retry', async () => {
    const target = await addClient('Targeted');
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await grant('Targeted', `guess-${attempt}`, {})).status).toBe(401);
    }
    const locked = await grant('Targeted', target);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['Retry-After'])).toBeGreaterThan(0);
    // Other clients are not held hostage by it.
    expect((await grant('TestUser', secret)).status).toBe(200);
  });

  it('locks out an address that sprays guesses over many client ids', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await requestToken(
        { grant_type: 'client_credentials', client_id: `sprayed-${attempt}`, client_secret: 'x' },
        {},
        '203.0.113.9',
      );
      expect(answer.status).toBe(401);
    }
    const blocked = await requestToken(
      { grant_type: 'client_credentials', client_id: 'TestUser', client_secret: secret },
      {},
      '203.0.113.9',
    );
    expect(blocked.status).toBe(429);
    expect((await grant('TestUser', secret)).status).toBe(200);
  });

  it('answers malformed requests with OAuth errors', async () => {
    expect((await requestToken({ client_id: 'TestUser', client_secret: secret })).body.error).toBe(
      'invalid_request',
    );
    expect((await grant('TestUser', secret, { grant_type: 'password' })).body.error).toBe(
      'unsupported_grant_type',
    );
    expect((await requestToken({ grant_type: 'client_credentials' })).status).toBe(401);
    const basic = Buffer.from(`TestUser:${secret}`).toString('base64');
    const twoWays = await requestToken(
      { grant_type: 'client_credentials', client_id: 'TestUser', client_secret: secret },
      { authorization: `Basic ${basic}` },
    );
    expect(twoWays.body.error).toBe('invalid_request');
    expect(
      (await requestToken({ grant_type: 'client_credentials' }, { 'content-type': 'text/plain' })).status,
    ).toBe(415);
    expect((await grant('TestUser', secret, { scope: 'admin' })).body.error).toBe('invalid_scope');
    expect((await grant('TestUser', secret, { audience: 'elsewhere' })).body.error).toBe('invalid_target');
    const analytics = await grant('TestUser', secret, { audience: 'analytics' });
    expect(decodeJwt(analytics.body.access_token as string).aud).toBe('analytics');
    expect((await grant('TestUser', 'x'.repeat(9000))).status).toBe(413);
  });

  it('refuses a lifetime outside 60..3600 seconds and a missing key at load', async () => {
    conf.setConfig({ token_issuance: { lifetime_seconds: 86_400 } });
    await expect(
      new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }).current(),
    ).rejects.toThrow(/lifetime_seconds/);
    conf.setConfig({ token_issuance: { signing_key: 'missing.pem' } });
    await expect(
      new GatewayStateLoader({ confDir: conf.dir, env: { EVENTGATE_SINKS: 'postgres' } }).current(),
    ).rejects.toThrow(/eventgate client key/);
    conf.setConfig({ token_issuance: { lifetime_seconds: 600 } });
    app = build();
    expect((await grant('TestUser', secret)).body.expires_in).toBe(600);
  });
});
