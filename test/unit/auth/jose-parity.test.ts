/**
 * The verifier checks signatures and claims itself (node:crypto on KeyObjects) rather than through
 * jose's jwtVerify. This holds it to jose as the reference: over a matrix of honest, odd and forged
 * tokens it accepts exactly the tokens jwtVerify accepts with the key their kid names (and that
 * also pass the gateway's own rules: exp required, lifetime, iat skew, a string sub).
 */
import { createSign, type KeyObject } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';
import { KeyStore } from '../../../shared/auth/keys';
import { TokenVerifier, type TokenVerifierOptions } from '../../../shared/auth/token';
import { b64url, ecKeyPair, jwks, rsaKeyPair, type TestKeyPair } from './fixtures';

const NOW_MS = 1_800_000_000_000;
const now = NOW_MS / 1000;
const MAX_LIFETIME = 3600;

const rsa = rsaKeyPair('parity-rsa');
const ec = ecKeyPair('parity-ec');
const stranger = rsaKeyPair('parity-stranger');
const pairs = [rsa, ec];

function signWith(pair: TestKeyPair, input: string, der = false): string {
  const signer = createSign('SHA256').update(input);
  const signature =
    pair.alg === 'ES256' && !der
      ? signer.sign({ key: pair.privateKey, dsaEncoding: 'ieee-p1363' })
      : signer.sign(pair.privateKey);
  return b64url(signature);
}

/** The gateway's rules beyond jose's: what the old verifier checked after jwtVerify. */
function gatewayRulesHold(claims: JWTPayload): boolean {
  if (typeof claims.exp !== 'number') return false;
  const issuedAt = typeof claims.iat === 'number' ? claims.iat : undefined;
  if (issuedAt !== undefined && issuedAt > now + 60) return false;
  if (claims.exp - (issuedAt ?? now) > MAX_LIFETIME) return false;
  return claims.sub === undefined || typeof claims.sub === 'string';
}

/** jwtVerify with the keys the token's kid selects (every key when it has no kid). */
async function joseAccepts(token: string, options: Partial<TokenVerifierOptions>): Promise<boolean> {
  let kid: unknown;
  try {
    ({ kid } = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
      kid?: unknown;
    });
  } catch {
    return false;
  }
  // Every key here has a kid: a kid naming none of them selects none (kid-less keys would be tried).
  const named = typeof kid === 'string' && kid !== '' ? pairs.filter((pair) => pair.kid === kid) : pairs;
  const keys: KeyObject[] = named.map((pair) => pair.publicKey);
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['RS256', 'ES256'],
        issuer: options.issuer,
        audience: options.audience,
        currentDate: new Date(NOW_MS),
      });
      return gatewayRulesHold(payload);
    } catch {
      // Another key may be the one.
    }
  }
  return false;
}

function tokens(): string[] {
  const headers: Record<string, unknown>[] = [];
  for (const alg of ['RS256', 'ES256', 'none', 'HS256', 'RS384', 'rs256', 256]) {
    for (const kid of [rsa.kid, ec.kid, 'unknown', '', undefined]) headers.push({ alg, kid });
  }
  for (const crit of [[], ['b64'], ['exp'], [''], 'b64']) {
    for (const b64 of [true, false, 'yes', undefined])
      headers.push({ alg: 'RS256', kid: rsa.kid, crit, b64, exp: 1 });
  }
  headers.push({ alg: 'RS256', kid: rsa.kid, b64: false }, { alg: 'ES256', kid: ec.kid, jwk: { kty: 'EC' } });
  const payloads: Record<string, unknown>[] = [
    { sub: 'alice', iat: now, exp: now + 600 },
    { sub: 'alice', exp: now + 600 },
    { sub: 'alice', iat: now },
    { sub: 42, iat: now, exp: now + 600 },
    { sub: 'alice', iat: now, exp: now },
    { sub: 'alice', iat: now, exp: 'soon' },
    { sub: 'alice', iat: 'now', exp: now + 600 },
    { sub: 'alice', iat: now, exp: now + 600, nbf: now + 1 },
    { sub: 'alice', iat: now, exp: now + 600, nbf: null },
    { sub: 'alice', iat: now, exp: now + 3601 },
    { sub: 'alice', iat: now + 120, exp: now + 600 },
    { sub: 'alice', iat: now, exp: now + 600, iss: 'https://idp', aud: ['x', 'eventgate'] },
    { sub: 'alice', iat: now, exp: now + 600, iss: 'https://idp' },
    { sub: 'alice', iat: now, exp: now + 600, aud: 'eventgate' },
  ];
  const out: string[] = [];
  for (const header of headers) {
    for (const payload of payloads) {
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      for (const pair of [rsa, ec, stranger]) out.push(`${input}.${signWith(pair, input)}`);
      out.push(`${input}.${signWith(ec, input, true)}`, `${input}.`);
    }
  }
  return out;
}

describe('TokenVerifier accepts what jose.jwtVerify accepts', () => {
  const matrix = tokens();

  test.each<[string, Partial<TokenVerifierOptions>]>([
    ['no issuer or audience configured', {}],
    ['issuer and audience configured', { issuer: 'https://idp', audience: 'eventgate' }],
  ])('%s', async (_name, options) => {
    const verifier = new TokenVerifier({
      keys: new KeyStore({ keys: await jwks(rsa, ec) }),
      maxLifetimeSeconds: MAX_LIFETIME,
      now: () => NOW_MS,
      ...options,
    });
    const disagreements: string[] = [];
    let accepted = 0;
    for (const token of matrix) {
      const ours = await verifier.verify(token).then(
        () => true,
        () => false,
      );
      if (ours) accepted++;
      if (ours !== (await joseAccepts(token, options))) {
        const [header, payload] = token.split('.').map((part) => Buffer.from(part, 'base64url').toString());
        disagreements.push(`${header} ${payload}: ours ${ours ? 'accepted' : 'refused'}`);
      }
    }
    expect(disagreements).toEqual([]);
    // The matrix holds honest tokens too, so agreement is not just refusing everything.
    expect(accepted).toBeGreaterThan(5);
  });
});
