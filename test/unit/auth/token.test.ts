import { SignJWT } from 'jose';
import { KeyStore } from '../../../shared/auth/keys';
import {
  AuthError,
  MAX_TOKEN_BYTES,
  TokenVerifier,
  type TokenVerifierOptions,
} from '../../../shared/auth/token';
import {
  b64url,
  decodePayload,
  derBase64,
  ecKeyPair,
  encodeSegments,
  hmacWithPublicKey,
  jwks,
  pem,
  pythonKeys,
  rsaKeyPair,
  sign,
  type TestKeyPair,
} from './fixtures';

const rsa = rsaKeyPair('rsa-current');
const rsaPrevious = rsaKeyPair('rsa-previous');
const ec = ecKeyPair('ec-current');
const stranger = rsaKeyPair('rsa-current'); // same kid as the real key, different key pair

function verifierFor(keys: unknown, options: Partial<TokenVerifierOptions> = {}): TokenVerifier {
  return new TokenVerifier({ keys: new KeyStore({ keys }), ...options });
}

async function rejection(verifier: TokenVerifier, token: string): Promise<AuthError> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthError);
  const authError = error as AuthError;
  // A reason must never echo the token or any part of it.
  for (const part of token.split('.').filter((segment) => segment.length > 8)) {
    expect(authError.message).not.toContain(part);
  }
  return authError;
}

describe('TokenVerifier: valid tokens', () => {
  test('RS256 token verifies against a Python-format DER key and yields the subject', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    const result = await verifier.verify(await sign(rsa, { sub: 'svc-runs', team: 'cps' }));
    expect(result.subject).toBe('svc-runs');
    expect(result.claims.team).toBe('cps');
  });

  test('ES256 token verifies against a JWKS', async () => {
    const verifier = verifierFor(await jwks(rsa, ec));
    const result = await verifier.verify(await sign(ec, { sub: 'ec-user' }));
    expect(result.subject).toBe('ec-user');
  });

  test('a single {"key": …} document and a PEM key both work', async () => {
    const single = verifierFor({ key: derBase64(rsa) });
    expect((await single.verify(await sign(rsa))).subject).toBe('alice');
    const fromPem = verifierFor({ keys: [{ key: pem(ec) }] });
    expect((await fromPem.verify(await sign(ec, { sub: 'pem' }))).subject).toBe('pem');
  });

  test('rotation: with current and previous keys in the document, tokens from either verify', async () => {
    for (const doc of [pythonKeys(rsa, rsaPrevious), await jwks(rsa, rsaPrevious)]) {
      const verifier = verifierFor(doc);
      expect((await verifier.verify(await sign(rsa, { sub: 'new' }))).subject).toBe('new');
      expect((await verifier.verify(await sign(rsaPrevious, { sub: 'old' }))).subject).toBe('old');
      expect(
        (await verifier.verify(await sign(rsaPrevious, { sub: 'no-kid' }, { kid: false }))).subject,
      ).toBe('no-kid');
    }
  });

  test('a token naming a kid still verifies against kid-less Python-format keys', async () => {
    const verifier = verifierFor(pythonKeys(rsaPrevious, rsa));
    expect((await verifier.verify(await sign(rsa, {}, { kid: 'issuer-assigned-id' }))).subject).toBe('alice');
  });

  test('a token without sub verifies with a null subject', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    expect((await verifier.verify(await sign(rsa, { sub: undefined }))).subject).toBeNull();
  });

  test('an aud claim is accepted when no audience is configured', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    expect((await verifier.verify(await sign(rsa, { aud: 'someone-else' }))).subject).toBe('alice');
  });

  test('configured issuer and audience are accepted when they match', async () => {
    const verifier = verifierFor(pythonKeys(rsa), {
      issuer: 'https://idp',
      audience: ['eventgate', 'other'],
    });
    const token = await sign(rsa, { iss: 'https://idp', aud: ['x', 'eventgate'] });
    expect((await verifier.verify(token)).subject).toBe('alice');
  });

  test('clock tolerance admits a token that expired within it', async () => {
    const token = await sign(rsa, {}, { expiresInSeconds: -5 });
    await rejection(verifierFor(pythonKeys(rsa)), token);
    expect((await verifierFor(pythonKeys(rsa), { clockToleranceSeconds: 60 }).verify(token)).subject).toBe(
      'alice',
    );
  });
});

describe('TokenVerifier: attacks and bad tokens', () => {
  const keysDoc = async (): Promise<unknown> => jwks(rsa, ec);

  test('alg none is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    const unsigned = `${encodeSegments({ alg: 'none', typ: 'JWT' }, { sub: 'admin' })}.`;
    expect((await rejection(verifier, unsigned)).message).toBe('signing algorithm not allowed');
    const withKid = `${encodeSegments({ alg: 'none', kid: rsa.kid }, { sub: 'admin' })}.`;
    expect((await rejection(verifier, withKid)).message).toBe('signing algorithm not allowed');
  });

  test('HS256 signed with the RSA public key as secret (algorithm confusion) is rejected', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    const payload = { sub: 'admin', exp: Math.floor(Date.now() / 1000) + 600 };
    for (const secret of [pem(rsa), derBase64(rsa)]) {
      const forged = hmacWithPublicKey(secret, payload, rsa.kid);
      expect((await rejection(verifier, forged)).message).toBe('signing algorithm not allowed');
    }
  });

  test('expired token is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    const token = await sign(rsa, {}, { expiresInSeconds: -60 });
    expect((await rejection(verifier, token)).message).toBe('token expired');
  });

  test('token not valid yet (future nbf) is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    const token = await sign(rsa, {}, { notBeforeSeconds: 300 });
    expect((await rejection(verifier, token)).message).toBe('token not yet valid');
  });

  test('a kid we do not know, signed by a key we do not know, is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    const token = await sign(rsaKeyPair('rsa-unknown'));
    expect((await rejection(verifier, token)).message).toBe('unknown signing key');
  });

  test('a known kid on a token signed by another key pair is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    expect((await rejection(verifier, await sign(stranger))).message).toBe('invalid signature');
  });

  test('a token from an unknown key pair without kid is rejected', async () => {
    const verifier = verifierFor(pythonKeys(rsa, rsaPrevious));
    expect((await rejection(verifier, await sign(stranger, {}, { kid: false }))).message).toBe(
      'invalid signature',
    );
  });

  test('a stripped signature is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    const [header, payload] = (await sign(rsa)).split('.');
    expect((await rejection(verifier, `${header}.${payload}.`)).message).toBe('invalid signature');
  });

  test('a tampered payload is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    const [header, , signature] = (await sign(rsa, { sub: 'alice' })).split('.');
    const forgedPayload = b64url(JSON.stringify({ ...decodePayload(await sign(rsa)), sub: 'admin' }));
    expect((await rejection(verifier, `${header}.${forgedPayload}.${signature}`)).message).toBe(
      'invalid signature',
    );
  });

  test('an ES256 token header on an RS256 signature is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    const [, payload, signature] = (await sign(rsa)).split('.');
    const header = b64url(JSON.stringify({ alg: 'ES256', kid: ec.kid }));
    await rejection(verifier, `${header}.${payload}.${signature}`);
  });

  test('an ES256 token when only RSA keys are configured is rejected', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    expect((await rejection(verifier, await sign(ec, {}, { kid: false }))).message).toBe(
      'unknown signing key',
    );
  });

  test('wrong or missing issuer is rejected when an issuer is configured', async () => {
    const verifier = verifierFor(await keysDoc(), { issuer: 'https://idp' });
    expect((await rejection(verifier, await sign(rsa, { iss: 'https://evil' }))).message).toBe(
      'wrong issuer',
    );
    expect((await rejection(verifier, await sign(rsa))).message).toBe('wrong issuer');
  });

  test('wrong or missing audience is rejected when an audience is configured', async () => {
    const verifier = verifierFor(await keysDoc(), { audience: 'eventgate' });
    expect((await rejection(verifier, await sign(rsa, { aud: 'other-api' }))).message).toBe('wrong audience');
    expect((await rejection(verifier, await sign(rsa))).message).toBe('wrong audience');
  });

  test('an oversized token is rejected before parsing', async () => {
    const verifier = verifierFor(await keysDoc());
    const token = await sign(rsa, { padding: 'x'.repeat(MAX_TOKEN_BYTES) });
    expect((await rejection(verifier, token)).message).toBe('token too large');
  });

  test('the size limit counts UTF-8 bytes, not characters', async () => {
    const verifier = verifierFor(await keysDoc(), { maxTokenBytes: 100 });
    // 40 characters, 120 bytes: too large, though its length alone is within the limit.
    expect((await rejection(verifier, '€'.repeat(40))).message).toBe('token too large');
    // 90 characters and bytes: within the limit, so its shape is what fails.
    expect((await rejection(verifier, 'a'.repeat(90))).message).toBe('malformed token');
    expect((await rejection(verifier, `${'a'.repeat(49)}é`)).message).toBe('malformed token');
  });

  test('malformed tokens are rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    for (const token of [
      '',
      'abc',
      'a.b',
      'a.b.c.d.e',
      'not a token at all',
      `${b64url('{')}.${b64url('{}')}.x`,
    ]) {
      await rejection(verifier, token);
    }
  });

  test('a non-string sub is rejected', async () => {
    const verifier = verifierFor(await keysDoc());
    expect((await rejection(verifier, await sign(rsa, { sub: 42 as unknown as string }))).message).toBe(
      'sub claim must be a string',
    );
  });

  test('an RS512 token is rejected even though an RSA key matches its kid', async () => {
    const verifier = verifierFor(await keysDoc());
    const header = b64url(JSON.stringify({ alg: 'RS512', kid: rsa.kid }));
    const [, payload, signature] = (await sign(rsa)).split('.');
    expect((await rejection(verifier, `${header}.${payload}.${signature}`)).message).toBe(
      'signing algorithm not allowed',
    );
  });
});

describe('TokenVerifier: keys unavailable', () => {
  test('a key source that cannot be loaded makes verification fail with AuthError', async () => {
    const verifier = new TokenVerifier({ keys: new KeyStore({ url: '/nonexistent/keys.json' }) });
    const error = await rejection(verifier, await sign(rsa as TestKeyPair));
    expect(error.message).toBe('signing keys unavailable');
  });
});

describe('TokenVerifier: remembered verifications', () => {
  test('a remembered token stops being accepted once it expires', async () => {
    let now = Date.now();
    const verifier = verifierFor(pythonKeys(rsa), { now: () => now });
    const token = await sign(rsa, { sub: 'again' }, { expiresInSeconds: 60 });
    expect((await verifier.verify(token)).subject).toBe('again');
    expect((await verifier.verify(token)).subject).toBe('again');
    now += 61_000;
    await rejection(verifier, token);
  });

  test.each([0, 5])(
    'a remembered token is judged by the clock as on its first sight (tolerance %i s)',
    async (clockToleranceSeconds) => {
      const token = await sign(
        rsa,
        { sub: 'edge', nbf: Math.floor(Date.now() / 1000) },
        { expiresInSeconds: 60 },
      );
      const { exp } = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as {
        exp: number;
      };
      const outcome = (verifier: TokenVerifier): Promise<string> =>
        verifier.verify(token).then(
          () => 'accepted',
          (error: unknown) => (error as Error).message,
        );
      const answers: string[] = [];
      for (let offsetMs = -2_000; offsetMs <= 2_000; offsetMs += 250) {
        let now = (exp - 30) * 1000;
        const remembering = verifierFor(pythonKeys(rsa), { now: () => now, clockToleranceSeconds });
        expect(await outcome(remembering)).toBe('accepted');
        now = (exp + clockToleranceSeconds) * 1000 + offsetMs;
        const firstSight = verifierFor(pythonKeys(rsa), { now: () => now, clockToleranceSeconds });
        const [remembered, fresh] = [await outcome(remembering), await outcome(firstSight)];
        expect(remembered).toBe(fresh);
        answers.push(fresh);
      }
      // The boundary lies inside the times tried: both answers were seen.
      expect(new Set(answers)).toEqual(new Set(['accepted', 'token expired']));
    },
  );

  test('a remembered token stops being accepted once its key is rotated out', async () => {
    let served: unknown = pythonKeys(rsa);
    const store = new KeyStore({
      url: 'https://keys.example/keys.json',
      minRefreshIntervalMs: 0,
      fetch: async () => new Response(JSON.stringify(served), { status: 200 }),
    });
    const verifier = new TokenVerifier({ keys: store });
    const token = await sign(rsa, { sub: 'rotated' });
    expect((await verifier.verify(token)).subject).toBe('rotated');
    served = pythonKeys(rsaPrevious);
    await store.reload();
    await rejection(verifier, token);
  });
});

describe('TokenVerifier: every token expires, within the maximum lifetime', () => {
  const nowSeconds = (): number => Math.floor(Date.now() / 1000);
  /** A token with exactly these time claims (undefined leaves a claim out). */
  const timed = (
    claims: { iat?: number; exp?: number; nbf?: number },
    pair: TestKeyPair = rsa,
  ): Promise<string> => {
    const jwt = new SignJWT({ sub: 'alice', ...claims }).setProtectedHeader({ alg: pair.alg, kid: pair.kid });
    return jwt.sign(pair.privateKey);
  };

  test('a token without exp is rejected, however it is signed', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    expect((await rejection(verifier, await timed({ iat: nowSeconds() }))).message).toBe(
      'token has no expiry (exp)',
    );
    expect(await rejection(verifier, await timed({}))).toBeInstanceOf(AuthError);
  });

  test('a lifetime (exp − iat) over the maximum is rejected; at the maximum it is accepted', async () => {
    const verifier = verifierFor(pythonKeys(rsa), { maxLifetimeSeconds: 3600 });
    const now = nowSeconds();
    expect((await verifier.verify(await timed({ iat: now, exp: now + 3600 }))).subject).toBe('alice');
    const long = await rejection(verifier, await timed({ iat: now, exp: now + 3601 }));
    expect(long.message).toBe('token lifetime over 3600 s');
    // Issued long ago for a long life, with little of it left: still a token that lives too long.
    await rejection(verifier, await timed({ iat: now - 30 * 86400, exp: now + 60 }));
  });

  test('without iat, exp may be at most the maximum lifetime from now', async () => {
    const verifier = verifierFor(pythonKeys(rsa), { maxLifetimeSeconds: 3600 });
    const now = nowSeconds();
    expect((await verifier.verify(await timed({ exp: now + 3500 }))).subject).toBe('alice');
    await rejection(verifier, await timed({ exp: now + 10 * 365 * 86400 }));
  });

  test('the default maximum is 24 hours', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    const now = nowSeconds();
    expect((await verifier.verify(await timed({ iat: now, exp: now + 24 * 3600 }))).subject).toBe('alice');
    await rejection(verifier, await timed({ iat: now, exp: now + 24 * 3600 + 1 }));
  });

  test('an iat in the future is rejected beyond a minute of clock skew', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    const now = nowSeconds();
    expect((await verifier.verify(await timed({ iat: now + 30, exp: now + 3600 }))).subject).toBe('alice');
    const future = await rejection(verifier, await timed({ iat: now + 3600, exp: now + 7200 }));
    expect(future.message).toBe('token issued in the future (iat)');
    await rejection(verifier, await timed({ iat: now + 10 * 365 * 86400, exp: now + 10 * 365 * 86400 + 60 }));
  });
});
