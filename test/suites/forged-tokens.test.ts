/**
 * Forged, broken and misplaced tokens against the ingest app with a real RS256 key setup. Each case
 * must get exactly the documented answer — 401 `auth` "Invalid or missing token", or 403 with the
 * documented type — in the error shape, and nothing may be delivered. Honest tokens built the same
 * way are accepted, so a rejection is the forgery's doing and not the harness's.
 */
import { createHmac, createPublicKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  createTestConf,
  v1Event,
  v2Event,
  validRunsEvent,
  validTestEvent,
  type TestConf,
} from '../helpers/gateway';
import { inProcessGateway, type InProcessGateway } from './generators';

const TEST_TOPIC = 'public.cps.za.test';
const RUNS_TOPIC = 'public.cps.za.runs';
const ISSUER = 'https://issuer.example.test';
const AUDIENCE = 'eventgate-forged-tokens';

const INVALID_TOKEN = {
  success: false,
  statusCode: 401,
  errors: [{ type: 'auth', message: 'Invalid or missing token' }],
};

const b64url = (value: Buffer | string): string => Buffer.from(value).toString('base64url');
const segment = (value: unknown): string => b64url(JSON.stringify(value));
const now = (): number => Math.floor(Date.now() / 1000);

function rs256(key: KeyObject, input: string): string {
  return createSign('RSA-SHA256').update(input).sign(key).toString('base64url');
}

function es256(key: KeyObject, input: string): string {
  return createSign('SHA256').update(input).sign({ key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

function hmac(algorithm: 'sha256' | 'sha384' | 'sha512', secret: Buffer | string, input: string): string {
  return createHmac(algorithm, secret).update(input).digest('base64url');
}

/** A compact JWS over exactly these header and payload objects. */
function jws(header: unknown, payload: unknown, sign: (input: string) => string): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${sign(input)}`;
}

interface Expectation {
  status: 401 | 403;
  /** For 403: the documented error type. */
  type?: 'auth' | 'permission';
}

interface ForgedCase {
  name: string;
  /** Sent as `Authorization: Bearer …` unless `headers` says otherwise. */
  token?: string;
  headers?: Record<string, string>;
  /** Query string without `?`. */
  query?: string;
  topic?: string;
  event?: Record<string, unknown>;
  expected: Expectation;
}

const rejected = { status: 401 } as const;

let triedCount = 0;
let rejectedCount = 0;

afterAll(() => {
  console.log(`forged-tokens: tried ${triedCount}, rejected as documented ${rejectedCount}`);
});

function eventsFor(spec: ForgedCase): [APIGatewayProxyEvent, APIGatewayProxyEventV2] {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(spec.token !== undefined ? { authorization: `Bearer ${spec.token}` } : {}),
    ...spec.headers,
  };
  const request = {
    method: 'POST',
    path: `/topics/${spec.topic ?? TEST_TOPIC}`,
    headers,
    body: JSON.stringify(spec.event ?? validTestEvent()),
  };
  const v1 = v1Event(request);
  const v2 = v2Event(request);
  if (spec.query) {
    const parameters = Object.fromEntries(new URLSearchParams(spec.query));
    v1.queryStringParameters = parameters;
    v2.rawQueryString = spec.query;
    v2.queryStringParameters = parameters;
  }
  return [v1, v2];
}

/** Sends the case as a REST (v1) and an HTTP API (v2) event; returns what did not match, per shape. */
async function problemsOf(gateway: InProcessGateway, spec: ForgedCase): Promise<string[]> {
  const problems: string[] = [];
  for (const [shape, event] of eventsFor(spec).entries()) {
    triedCount++;
    const before = gateway.deliveryCount();
    const response = await gateway.app(event);
    const where = `${spec.name} (${shape === 0 ? 'v1' : 'v2'})`;
    const found: string[] = [];
    if (response.statusCode !== spec.expected.status)
      found.push(`status ${response.statusCode}, documented ${spec.expected.status}`);
    if (!response.headers['X-Correlation-ID']) found.push('no X-Correlation-ID');
    let body: {
      success?: unknown;
      statusCode?: unknown;
      errors?: Array<{ type?: unknown; message?: unknown }>;
    } = {};
    try {
      body = JSON.parse(response.body) as typeof body;
    } catch {
      found.push('body is not JSON');
    }
    if (spec.expected.status === 401) {
      if (JSON.stringify(body) !== JSON.stringify(INVALID_TOKEN))
        found.push(`body ${response.body.slice(0, 200)}`);
    } else {
      const first = body.errors?.[0];
      if (body.success !== false || body.statusCode !== 403 || body.errors?.length !== 1)
        found.push(`body ${response.body.slice(0, 200)}`);
      if (first?.type !== spec.expected.type || typeof first?.message !== 'string') {
        found.push(`error ${JSON.stringify(first)}, documented type ${spec.expected.type}`);
      }
    }
    if (gateway.deliveryCount() !== before) found.push('something was delivered');
    if (found.length === 0) rejectedCount++;
    else problems.push(`${where}: ${found.join('; ')}`);
  }
  return problems;
}

async function accepted(
  gateway: InProcessGateway,
  spec: Omit<ForgedCase, 'expected' | 'name'>,
): Promise<number[]> {
  const statuses: number[] = [];
  for (const event of eventsFor({ ...spec, name: 'control', expected: rejected })) {
    statuses.push((await gateway.app(event)).statusCode);
  }
  return statuses;
}

describe('forged tokens', () => {
  let conf: TestConf;
  let gateway: InProcessGateway;
  let signingKey: KeyObject;
  let publicKey: KeyObject;
  let kid: string;
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attackerEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    sub: 'TestUser',
    iat: now(),
    exp: now() + 3600,
    ...overrides,
  });
  const header = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    alg: 'RS256',
    kid,
    typ: 'JWT',
    ...overrides,
  });
  const honest = (
    payload: Record<string, unknown> = claims(),
    head: Record<string, unknown> = header(),
  ): string => jws(head, payload, (input) => rs256(signingKey, input));

  beforeAll(async () => {
    conf = await createTestConf();
    signingKey = conf.signer.privateKey as KeyObject;
    publicKey = createPublicKey(signingKey);
    kid = conf.signer.kid;
    gateway = inProcessGateway(conf.dir);
  });
  afterAll(() => conf?.cleanup());

  it('accepts honest tokens built the same way, and records their delivery', async () => {
    const before = gateway.deliveryCount();
    expect(await accepted(gateway, { token: honest() })).toEqual([202, 202]);
    expect(await accepted(gateway, { token: await conf.token('TestUser') })).toEqual([202, 202]);
    expect(
      await accepted(gateway, {
        token: honest(claims({ sub: 'RestrictedTestUser' })),
        topic: RUNS_TOPIC,
        event: validRunsEvent(),
      }),
    ).toEqual([202, 202]);
    // Lifetimes up to the maximum (24 h by default) and an iat a little ahead of our clock.
    expect(
      await accepted(gateway, { token: honest(claims({ iat: now(), exp: now() + 24 * 3600 })) }),
    ).toEqual([202, 202]);
    expect(await accepted(gateway, { token: honest(claims({ iat: now() + 30 })) })).toEqual([202, 202]);
    expect(await accepted(gateway, { token: honest({ sub: 'TestUser', exp: now() + 3600 }) })).toEqual([
      202, 202,
    ]);
    expect(gateway.deliveryCount()).toBe(before + 12);
  });

  it('rejects every forged, broken or misplaced token exactly as documented, delivering nothing', async () => {
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const publicDer = publicKey.export({ type: 'spki', format: 'der' });
    const pkcs1Der = publicKey.export({ type: 'pkcs1', format: 'der' });
    const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
    const attackerJwk = { ...attacker.publicKey.export({ format: 'jwk' }), alg: 'RS256' };
    const real = honest();
    const [realHeader = '', realPayload = '', realSignature = ''] = real.split('.');
    const otherSubjectToken = honest(claims({ sub: 'SomeoneElse' }));
    const big = honest(claims({ padding: 'p'.repeat(9 * 1024) }));
    expect(big.length).toBeGreaterThan(8 * 1024);

    const hs = (
      algorithm: 'sha256' | 'sha384' | 'sha512',
      alg: string,
      secret: Buffer | string,
      withKid = true,
    ): string =>
      jws(withKid ? { alg, kid, typ: 'JWT' } : { alg, typ: 'JWT' }, claims(), (input) =>
        hmac(algorithm, secret, input),
      );
    const byAttacker = (head: Record<string, unknown>): string =>
      jws(head, claims(), (input) => rs256(attacker.privateKey, input));
    const withHeader = (head: Record<string, unknown>): string => honest(claims(), head);

    const cases: ForgedCase[] = [
      // alg: none, however it is spelled, with or without a signature.
      ...['none', 'None', 'NONE', 'nOnE'].map((alg): ForgedCase => ({
        name: `alg ${alg}`,
        token: `${segment({ alg, typ: 'JWT' })}.${segment(claims())}.`,
        expected: rejected,
      })),
      {
        name: 'alg none carrying a real signature',
        token: `${segment({ alg: 'none', kid })}.${realPayload}.${realSignature}`,
        expected: rejected,
      },

      // HMAC keyed with the RSA public key: the classic algorithm confusion.
      {
        name: 'HS256 keyed with the public key PEM',
        token: hs('sha256', 'HS256', publicPem),
        expected: rejected,
      },
      {
        name: 'HS256 keyed with the PEM without its last newline',
        token: hs('sha256', 'HS256', publicPem.trimEnd()),
        expected: rejected,
      },
      {
        name: 'HS256 keyed with the SPKI DER bytes',
        token: hs('sha256', 'HS256', publicDer),
        expected: rejected,
      },
      {
        name: 'HS256 keyed with the PKCS#1 DER bytes',
        token: hs('sha256', 'HS256', pkcs1Der),
        expected: rejected,
      },
      {
        name: 'HS256 keyed with the JWK JSON',
        token: hs('sha256', 'HS256', JSON.stringify(publicJwk)),
        expected: rejected,
      },
      {
        name: 'HS256 keyed with the modulus',
        token: hs('sha256', 'HS256', Buffer.from(publicJwk.n ?? '', 'base64url')),
        expected: rejected,
      },
      {
        name: 'HS256 keyed with the PEM, no kid',
        token: hs('sha256', 'HS256', publicPem, false),
        expected: rejected,
      },
      {
        name: 'HS384 keyed with the public key PEM',
        token: hs('sha384', 'HS384', publicPem),
        expected: rejected,
      },
      {
        name: 'HS512 keyed with the public key PEM',
        token: hs('sha512', 'HS512', publicPem),
        expected: rejected,
      },

      // Time claims.
      {
        name: 'expired an hour ago',
        token: honest(claims({ iat: now() - 7200, exp: now() - 3600 })),
        expected: rejected,
      },
      { name: 'expired a second ago', token: honest(claims({ exp: now() - 1 })), expected: rejected },
      {
        name: 'not valid for an hour (nbf)',
        token: honest(claims({ nbf: now() + 3600 })),
        expected: rejected,
      },
      {
        name: 'not valid for a minute (nbf)',
        token: honest(claims({ nbf: now() + 60 })),
        expected: rejected,
      },
      { name: 'exp that is not a number', token: honest(claims({ exp: 'tomorrow' })), expected: rejected },
      {
        name: 'exp as a numeric string',
        token: honest(claims({ exp: String(now() + 3600) })),
        expected: rejected,
      },

      // Every token expires, at most token_max_lifetime_seconds (24 h by default) after it was issued,
      // and none was issued in the future.
      { name: 'no exp claim', token: honest({ sub: 'TestUser', iat: now() }), expected: rejected },
      { name: 'no exp and no iat', token: honest({ sub: 'TestUser' }), expected: rejected },
      { name: 'exp null', token: honest(claims({ exp: null })), expected: rejected },
      { name: 'exp a year away', token: honest(claims({ exp: now() + 365 * 86400 })), expected: rejected },
      {
        name: 'lifetime of a day and a second',
        token: honest(claims({ iat: now(), exp: now() + 86_401 })),
        expected: rejected,
      },
      {
        name: 'no iat, exp two days away',
        token: honest({ sub: 'TestUser', exp: now() + 2 * 86_400 }),
        expected: rejected,
      },
      {
        name: 'issued thirty days ago, a minute left',
        token: honest(claims({ iat: now() - 30 * 86_400, exp: now() + 60 })),
        expected: rejected,
      },
      {
        name: 'iat an hour in the future',
        token: honest(claims({ iat: now() + 3600, exp: now() + 7200 })),
        expected: rejected,
      },
      {
        name: 'iat two minutes in the future',
        token: honest(claims({ iat: now() + 120 })),
        expected: rejected,
      },
      {
        name: 'iat ten years in the future, short lifetime',
        token: honest(claims({ iat: now() + 315_360_000, exp: now() + 315_360_060 })),
        expected: rejected,
      },
      { name: 'iat that is not a number', token: honest(claims({ iat: 'yesterday' })), expected: rejected },
      {
        name: 'exp at the largest safe integer',
        token: honest(claims({ exp: Number.MAX_SAFE_INTEGER })),
        expected: rejected,
      },

      // Keys: a kid the gateway does not hold, keys it does not know.
      {
        name: 'real signature, unknown kid',
        token: withHeader(header({ kid: 'not-a-known-kid' })),
        expected: rejected,
      },
      {
        name: 'real signature, path traversal kid',
        token: withHeader(header({ kid: '../../../../etc/passwd' })),
        expected: rejected,
      },
      {
        name: 'real signature, huge kid',
        token: withHeader(header({ kid: 'k'.repeat(2_000) })),
        expected: rejected,
      },
      { name: 'unknown RSA key claiming the real kid', token: byAttacker(header()), expected: rejected },
      {
        name: 'unknown RSA key, no kid',
        token: byAttacker({ alg: 'RS256', typ: 'JWT' }),
        expected: rejected,
      },
      {
        name: 'unknown RSA key, its own kid',
        token: byAttacker(header({ kid: 'attacker' })),
        expected: rejected,
      },
      {
        name: 'unknown EC key (ES256) claiming the real kid',
        token: jws({ alg: 'ES256', kid }, claims(), (input) => es256(attackerEc.privateKey, input)),
        expected: rejected,
      },

      // Signatures stripped, moved or kept over altered content.
      { name: 'stripped signature', token: `${realHeader}.${realPayload}.`, expected: rejected },
      {
        name: 'payload swapped under the original signature',
        token: `${realHeader}.${segment(claims({ sub: 'TestUser', admin: true }))}.${realSignature}`,
        expected: rejected,
      },
      {
        name: "another subject's token with its payload rewritten",
        token: `${otherSubjectToken.split('.')[0]}.${segment({ ...(JSON.parse(Buffer.from(otherSubjectToken.split('.')[1] ?? '', 'base64url').toString()) as object), sub: 'TestUser' })}.${otherSubjectToken.split('.')[2]}`,
        expected: rejected,
      },
      {
        name: 'header rewritten under the original signature',
        token: `${segment(header({ typ: 'at+jwt' }))}.${realPayload}.${realSignature}`,
        expected: rejected,
      },
      {
        name: 'signature of another token',
        token: `${realHeader}.${realPayload}.${otherSubjectToken.split('.')[2]}`,
        expected: rejected,
      },
      {
        name: 'signature with one character changed',
        token: `${realHeader}.${realPayload}.${realSignature.slice(0, -2)}${realSignature.endsWith('AA') ? 'BB' : 'AA'}`,
        expected: rejected,
      },

      // Algorithms other than the key's, with the key's real RSA signature.
      ...['RS384', 'RS512', 'PS256', 'ES256', 'HS256', 'RS256 ', 'rs256', 'EdDSA'].map((alg): ForgedCase => ({
        name: `header alg ${JSON.stringify(alg)} over an RS256 signature`,
        token: withHeader(header({ alg })),
        expected: rejected,
      })),

      // Subjects: missing or empty is a token without a subject (403 auth); a non-string is invalid.
      {
        name: 'no sub claim',
        token: honest({ iat: now(), exp: now() + 3600 }),
        expected: { status: 403, type: 'auth' },
      },
      {
        name: 'empty sub claim',
        token: honest(claims({ sub: '' })),
        expected: { status: 403, type: 'auth' },
      },
      { name: 'sub claim that is a number', token: honest(claims({ sub: 42 })), expected: rejected },
      { name: 'sub claim that is a list', token: honest(claims({ sub: ['TestUser'] })), expected: rejected },

      // Shape and size.
      { name: 'token over 8 KiB, honestly signed', token: big, expected: rejected },
      { name: 'non-base64 segments', token: '!!!.???.***', expected: rejected },
      { name: 'letters that are not a JWS', token: 'a.b.c', expected: rejected },
      {
        name: 'header that is not JSON',
        token: `${b64url('not json')}.${realPayload}.${realSignature}`,
        expected: rejected,
      },
      {
        name: 'header that is a JSON list',
        token: `${b64url('[]')}.${realPayload}.${realSignature}`,
        expected: rejected,
      },
      {
        name: 'header with a numeric alg',
        token: `${segment({ alg: 256, kid })}.${realPayload}.${realSignature}`,
        expected: rejected,
      },
      {
        name: 'payload that is not JSON, honestly signed',
        token: `${realHeader}.${b64url('not json')}.${rs256(signingKey, `${realHeader}.${b64url('not json')}`)}`,
        expected: rejected,
      },
      {
        name: 'payload that is a JSON list, honestly signed',
        token: `${realHeader}.${b64url('[]')}.${rs256(signingKey, `${realHeader}.${b64url('[]')}`)}`,
        expected: rejected,
      },
      {
        name: 'base64 padding in the segments',
        token: `${realHeader}==.${realPayload}.${realSignature}`,
        expected: rejected,
      },
      {
        name: 'signature in the standard base64 alphabet with padding',
        token: `${realHeader}.${realPayload}.${Buffer.from(realSignature, 'base64url').toString('base64')}`,
        expected: rejected,
      },
      {
        name: 'whitespace inside the token',
        token: `${realHeader}. ${realPayload}.${realSignature}`,
        expected: rejected,
      },
      { name: 'two segments', token: `${realHeader}.${realPayload}`, expected: rejected },
      { name: 'four segments', token: `${real}.${realSignature}`, expected: rejected },
      {
        name: 'five segments (JWE shape)',
        token: `${realHeader}.${realPayload}.${realSignature}.${realSignature}.${realSignature}`,
        expected: rejected,
      },
      { name: 'one segment', token: realPayload, expected: rejected },
      { name: 'empty token', token: '', expected: rejected },

      // Header parameters that must not be honoured.
      {
        name: 'crit naming an unknown extension',
        token: withHeader(header({ crit: ['x-custom'], 'x-custom': 1 })),
        expected: rejected,
      },
      { name: 'crit as an empty list', token: withHeader(header({ crit: [] })), expected: rejected },
      {
        name: 'crit b64=false (unencoded payload)',
        token: withHeader(header({ crit: ['b64'], b64: false })),
        expected: rejected,
      },
      {
        name: 'embedded jwk of the signing attacker, no kid',
        token: byAttacker({ alg: 'RS256', jwk: attackerJwk }),
        expected: rejected,
      },
      {
        name: 'embedded jwk of the signing attacker, real kid',
        token: byAttacker(header({ jwk: attackerJwk })),
        expected: rejected,
      },
      {
        name: 'jku pointing at an attacker key set',
        token: byAttacker(header({ kid: 'attacker', jku: 'http://127.0.0.1:9/jwks.json' })),
        expected: rejected,
      },
      {
        name: 'x5u pointing at an attacker certificate',
        token: byAttacker(header({ x5u: 'http://127.0.0.1:9/cert.pem' })),
        expected: rejected,
      },
      {
        name: 'x5c with a garbage chain',
        token: byAttacker(header({ x5c: [b64url('not a certificate')] })),
        expected: rejected,
      },

      // A valid token in the wrong place.
      {
        name: 'valid token as access_token query parameter',
        query: `access_token=${real}`,
        expected: rejected,
      },
      { name: 'valid token as token query parameter', query: `token=${real}`, expected: rejected },
      {
        name: 'valid token as authorization query parameter',
        query: `authorization=${encodeURIComponent(`Bearer ${real}`)}`,
        expected: rejected,
      },
      {
        name: 'valid token in a cookie',
        headers: { cookie: `token=${real}; access_token=${real}` },
        expected: rejected,
      },
      { name: 'valid token in X-Access-Token', headers: { 'x-access-token': real }, expected: rejected },
      {
        name: 'valid token under the Basic scheme',
        headers: { authorization: `Basic ${real}` },
        expected: rejected,
      },
      { name: 'valid token without a scheme', headers: { authorization: real }, expected: rejected },

      // Honest tokens asking for what their subject may not do.
      {
        name: "token for another topic's subject",
        token: honest(claims({ sub: 'FooUser' })),
        expected: { status: 403, type: 'auth' },
      },
      {
        name: 'subject the access map does not know',
        token: honest(claims({ sub: 'NobodyInTheAccessMap' })),
        expected: { status: 403, type: 'auth' },
      },
      {
        name: 'restricted user on a topic it has no entry for',
        token: honest(claims({ sub: 'RestrictedTestUser' })),
        expected: { status: 403, type: 'auth' },
      },
      {
        name: 'restricted user sending a forbidden field value',
        token: honest(claims({ sub: 'RestrictedTestUser' })),
        topic: RUNS_TOPIC,
        event: validRunsEvent({ environment: 'prod' }),
        expected: { status: 403, type: 'permission' },
      },
      {
        name: 'restricted user leaving out a restricted field',
        token: honest(claims({ sub: 'RestrictedTestUser' })),
        topic: RUNS_TOPIC,
        event: (({ source_app: _dropped, ...rest }) => rest)(validRunsEvent()),
        expected: { status: 403, type: 'permission' },
      },
      {
        name: 'restricted user hiding a forbidden value behind a prefix match',
        token: honest(claims({ sub: 'RestrictedTestUser' })),
        topic: RUNS_TOPIC,
        event: validRunsEvent({ tenant_id: 'avms-and-more' }),
        expected: { status: 403, type: 'permission' },
      },
      {
        name: 'restricted user with the allowed value only in __proto__',
        token: honest(claims({ sub: 'RestrictedTestUser' })),
        topic: RUNS_TOPIC,
        event: JSON.parse(
          `{"__proto__":{"environment":"dev"},${JSON.stringify((({ environment: _dropped, ...rest }) => rest)(validRunsEvent())).slice(1)}`,
        ) as Record<string, unknown>,
        expected: { status: 403, type: 'permission' },
      },
    ];

    const problems: string[] = [];
    for (const spec of cases) problems.push(...(await problemsOf(gateway, spec)));
    expect(problems).toEqual([]);
  });

  describe('with token_issuer and token_audience configured', () => {
    let strictConf: TestConf;
    let strict: InProcessGateway;
    let strictKey: KeyObject;
    let strictKid: string;

    const signed = (overrides: Record<string, unknown>): string =>
      jws(
        { alg: 'RS256', kid: strictKid },
        { sub: 'TestUser', iat: now(), exp: now() + 3600, iss: ISSUER, aud: AUDIENCE, ...overrides },
        (input) => rs256(strictKey, input),
      );

    beforeAll(async () => {
      strictConf = await createTestConf();
      strictConf.setConfig({ token_issuer: ISSUER, token_audience: AUDIENCE });
      strictKey = strictConf.signer.privateKey as KeyObject;
      strictKid = strictConf.signer.kid;
      strict = inProcessGateway(strictConf.dir);
    });
    afterAll(() => strictConf?.cleanup());

    it('accepts the right issuer and audience', async () => {
      expect(await accepted(strict, { token: signed({}) })).toEqual([202, 202]);
      expect(await accepted(strict, { token: signed({ aud: ['someone-else', AUDIENCE] }) })).toEqual([
        202, 202,
      ]);
    });

    it('rejects a wrong or missing issuer or audience with 401, delivering nothing', async () => {
      const cases: ForgedCase[] = [
        { name: 'wrong issuer', token: signed({ iss: 'https://evil.example.test' }), expected: rejected },
        { name: 'issuer with a trailing slash', token: signed({ iss: `${ISSUER}/` }), expected: rejected },
        { name: 'issuer in other case', token: signed({ iss: ISSUER.toUpperCase() }), expected: rejected },
        { name: 'no issuer', token: signed({ iss: undefined }), expected: rejected },
        { name: 'wrong audience', token: signed({ aud: 'someone-else' }), expected: rejected },
        {
          name: 'audience list without ours',
          token: signed({ aud: ['someone-else', 'another'] }),
          expected: rejected,
        },
        { name: 'empty audience', token: signed({ aud: '' }), expected: rejected },
        { name: 'no audience', token: signed({ aud: undefined }), expected: rejected },
        { name: 'right claims, expired', token: signed({ exp: now() - 10 }), expected: rejected },
      ];
      const problems: string[] = [];
      for (const spec of cases) problems.push(...(await problemsOf(strict, spec)));
      expect(problems).toEqual([]);
    });
  });

  describe('with token_max_lifetime_seconds configured', () => {
    let shortConf: TestConf;
    let short: InProcessGateway;
    let shortKey: KeyObject;
    let shortKid: string;

    const signed = (overrides: Record<string, unknown>): string =>
      jws(
        { alg: 'RS256', kid: shortKid },
        { sub: 'TestUser', iat: now(), exp: now() + 600, ...overrides },
        (input) => rs256(shortKey, input),
      );

    beforeAll(async () => {
      shortConf = await createTestConf();
      shortConf.setConfig({ token_max_lifetime_seconds: 600 });
      shortKey = shortConf.signer.privateKey as KeyObject;
      shortKid = shortConf.signer.kid;
      short = inProcessGateway(shortConf.dir);
    });
    afterAll(() => shortConf?.cleanup());

    it('accepts tokens living up to the configured maximum', async () => {
      expect(await accepted(short, { token: signed({}) })).toEqual([202, 202]);
    });

    it('rejects tokens living longer, delivering nothing', async () => {
      const cases: ForgedCase[] = [
        { name: 'an hour-long token', token: signed({ exp: now() + 3600 }), expected: rejected },
        { name: 'ten minutes and a second', token: signed({ exp: now() + 601 }), expected: rejected },
        {
          name: 'no iat, exp in an hour',
          token: signed({ iat: undefined, exp: now() + 3600 }),
          expected: rejected,
        },
      ];
      const problems: string[] = [];
      for (const spec of cases) problems.push(...(await problemsOf(short, spec)));
      expect(problems).toEqual([]);
    });
  });

  it('rejected every case as documented', () => {
    expect(`${rejectedCount} of ${triedCount}`).toBe(`${triedCount} of ${triedCount}`);
  });
});
