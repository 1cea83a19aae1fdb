import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface TestKeyPair {
  alg: 'RS256' | 'ES256';
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

let counter = 0;

export function rsaKeyPair(kid = `rsa-${++counter}`, modulusLength = 2048): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return { alg: 'RS256', kid, privateKey, publicKey };
}

export function ecKeyPair(kid = `ec-${++counter}`, namedCurve = 'P-256'): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return { alg: 'ES256', kid, privateKey, publicKey };
}

/** Base64 DER SubjectPublicKeyInfo, the Python EventGate's key format. */
export function derBase64(pair: TestKeyPair): string {
  return pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
}

export function pem(pair: TestKeyPair): string {
  return pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
}

export async function publicJwk(pair: TestKeyPair, withKid = true): Promise<JWK> {
  const jwk = await exportJWK(pair.publicKey);
  return withKid ? { ...jwk, kid: pair.kid, alg: pair.alg, use: 'sig' } : jwk;
}

export async function jwks(...pairs: TestKeyPair[]): Promise<{ keys: JWK[] }> {
  return { keys: await Promise.all(pairs.map((pair) => publicJwk(pair))) };
}

export function pythonKeys(...pairs: TestKeyPair[]): { keys: { key: string }[] } {
  return { keys: pairs.map((pair) => ({ key: derBase64(pair) })) };
}

export interface SignOptions {
  /** Put the key id in the header (default true). */
  kid?: boolean | string;
  expiresInSeconds?: number;
  notBeforeSeconds?: number;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export async function sign(
  pair: TestKeyPair,
  claims: JWTPayload = {},
  options: SignOptions = {},
): Promise<string> {
  const kid = options.kid === false ? undefined : typeof options.kid === 'string' ? options.kid : pair.kid;
  const jwt = new SignJWT({ sub: 'alice', ...claims })
    .setProtectedHeader({ alg: pair.alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .setIssuedAt()
    .setExpirationTime(nowSeconds() + (options.expiresInSeconds ?? 600));
  if (options.notBeforeSeconds !== undefined) jwt.setNotBefore(nowSeconds() + options.notBeforeSeconds);
  return jwt.sign(pair.privateKey);
}

export function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function encodeSegments(header: object, payload: object): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
}

/** The classic confusion attack: HMAC-sign with the RSA public key's text as the shared secret. */
export function hmacWithPublicKey(secret: string, payload: object, kid?: string): string {
  const signingInput = encodeSegments({ alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) }, payload);
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
