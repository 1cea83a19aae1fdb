import { createSign, generateKeyPairSync } from 'node:crypto';
import { AuthError } from '../../../shared/auth/auth-error';
import { KeyStore, type VerificationKey } from '../../../shared/auth/keys';
import { preparedKey, signatureMatches } from '../../../shared/auth/signature';
import { TokenVerifier } from '../../../shared/auth/token';
import { b64url, ecKeyPair, encodeSegments, jwks, pythonKeys, rsaKeyPair, sign } from './fixtures';

const rsa = rsaKeyPair('rsa-sig');
const rsaNext = rsaKeyPair('rsa-sig-next');
const ec = ecKeyPair('ec-sig');

function verifierFor(keys: unknown): TokenVerifier {
  return new TokenVerifier({ keys: new KeyStore({ keys }) });
}

async function reason(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthError);
  return (error as AuthError).message;
}

/** The token's signing input and signature, as signatureMatches takes them. */
function parts(token: string): { input: string; signature: Buffer } {
  const end = token.lastIndexOf('.');
  return { input: token.slice(0, end), signature: Buffer.from(token.slice(end + 1), 'base64url') };
}

describe('signature checks on prepared KeyObjects', () => {
  test('a key is prepared once and reused; another key object gets its own', () => {
    const key: VerificationKey = { kid: 'a', family: 'RSA', key: rsa.publicKey };
    expect(preparedKey(key)).toBe(preparedKey(key));
    expect(preparedKey({ ...key })).not.toBe(preparedKey(key));
  });

  test('ES256 keys verify IEEE P1363 (r || s) signatures, as JWS carries them', async () => {
    const key: VerificationKey = { kid: ec.kid, family: 'EC', key: ec.publicKey };
    const { input, signature } = parts(await sign(ec));
    expect(signature).toHaveLength(64);
    expect(signatureMatches(key, input, signature)).toBe(true);
  });

  test('an RS256 signature by another key, or over other content, does not match', async () => {
    const key: VerificationKey = { family: 'RSA', key: rsa.publicKey };
    const { input, signature } = parts(await sign(rsa));
    expect(signatureMatches(key, input, signature)).toBe(true);
    expect(signatureMatches(key, `${input}x`, signature)).toBe(false);
    expect(signatureMatches({ family: 'RSA', key: rsaNext.publicKey }, input, signature)).toBe(false);
    expect(signatureMatches(key, input, Buffer.alloc(0))).toBe(false);
    expect(signatureMatches(key, input, signature.subarray(1))).toBe(false);
  });

  test('keys jose would not verify with (short RSA, other curves) refuse instead of checking', () => {
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const input = 'e30.e30';
    const rsaSignature = createSign('RSA-SHA256').update(input).sign(short.privateKey);
    expect(() => signatureMatches({ family: 'RSA', key: short.publicKey }, input, rsaSignature)).toThrow(
      new AuthError('invalid token'),
    );
    expect(() => signatureMatches({ family: 'EC', key: p384.publicKey }, input, Buffer.alloc(96))).toThrow(
      new AuthError('invalid token'),
    );
  });
});

describe('TokenVerifier: first sight of a token', () => {
  test('an ES256 token whose signature is DER-encoded is refused', async () => {
    const verifier = verifierFor(await jwks(rsa, ec));
    const input = encodeSegments(
      { alg: 'ES256', kid: ec.kid, typ: 'JWT' },
      { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 },
    );
    const der = createSign('SHA256').update(input).sign(ec.privateKey);
    const p1363 = createSign('SHA256').update(input).sign({ key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
    expect((await verifier.verify(`${input}.${b64url(p1363)}`)).subject).toBe('alice');
    expect(await reason(verifier, `${input}.${b64url(der)}`)).toBe('invalid signature');
  });

  test('a token signed by a key not in the set is refused, with or without a kid', async () => {
    const verifier = verifierFor(await jwks(rsa, ec));
    const outsider = rsaKeyPair('outsider');
    expect(await reason(verifier, await sign(outsider))).toBe('unknown signing key');
    expect(await reason(verifier, await sign(outsider, {}, { kid: rsa.kid }))).toBe('invalid signature');
    expect(await reason(verifier, await sign(outsider, {}, { kid: false }))).toBe('invalid signature');
    const outsiderEc = ecKeyPair('outsider-ec');
    expect(await reason(verifier, await sign(outsiderEc, {}, { kid: ec.kid }))).toBe('invalid signature');
  });

  test("a kid whose key is of another family than the token's alg is refused", async () => {
    const verifier = verifierFor(await jwks(rsa, ec));
    // Signed by the RSA key but naming the EC key: the kid is known, no key of its family is an RSA key.
    expect(await reason(verifier, await sign(rsa, {}, { kid: ec.kid }))).toBe('unknown signing key');
    // Signed by the EC key but naming the RSA key.
    expect(await reason(verifier, await sign(ec, {}, { kid: rsa.kid }))).toBe('unknown signing key');
    // The RSA key's own signature under an ES256 header naming the RSA key.
    const [, payload, signature] = (await sign(rsa)).split('.');
    const header = b64url(JSON.stringify({ alg: 'ES256', kid: rsa.kid }));
    expect(await reason(verifier, `${header}.${payload}.${signature}`)).toBe('unknown signing key');
  });

  test('on key rotation the new key set is used: new keys verify, keys rotated out do not', async () => {
    let served: unknown = pythonKeys(rsa);
    const store = new KeyStore({
      url: 'https://keys.example/keys.json',
      minRefreshIntervalMs: 0,
      fetch: async () => new Response(JSON.stringify(served), { status: 200 }),
    });
    const verifier = new TokenVerifier({ keys: store });
    const before = await store.getKeys();
    expect((await verifier.verify(await sign(rsa, { sub: 'first' }))).subject).toBe('first');
    const preparedBefore = preparedKey(before[0] as VerificationKey);

    served = pythonKeys(rsaNext);
    await store.reload();
    const after = await store.getKeys();
    expect(after).not.toBe(before);
    expect(await reason(verifier, await sign(rsa, { sub: 'old key' }))).toBe('invalid signature');
    expect((await verifier.verify(await sign(rsaNext, { sub: 'new key' }))).subject).toBe('new key');
    // The rotated-in key has its own prepared form; the old one belongs to a key no longer served.
    expect(preparedKey(after[0] as VerificationKey)).not.toBe(preparedBefore);
    expect(preparedKey(after[0] as VerificationKey).input).toBe(after[0]?.key);
  });

  test('tokens that verified before do not let a new token from an unknown key through', async () => {
    const verifier = verifierFor(pythonKeys(rsa));
    for (let index = 0; index < 3; index++) {
      expect((await verifier.verify(await sign(rsa, { sub: `user-${index}` }))).subject).toBe(
        `user-${index}`,
      );
    }
    expect(await reason(verifier, await sign(rsaNext, { sub: 'user-3' }, { kid: false }))).toBe(
      'invalid signature',
    );
  });
});
