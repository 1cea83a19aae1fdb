import { createPrivateKey, createPublicKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { ConfigError } from '../config/errors';
import { describeError } from '../errors/describe';

/**
 * RS256 rather than ES256: the Python EventGate and tools built for it only understand RSA keys, so
 * the development key works with both.
 */
const DEV_ALGORITHM = 'RS256';
const KEY_FILE = 'dev-signing-key.json';
const JWKS_FILE = 'dev-public-jwks.json';

export interface DevSigningKey {
  kid: string;
  algorithm: typeof DEV_ALGORITHM;
  privateKey: KeyObject;
  publicJwks: { keys: JWK[] };
  /** Where the private key is stored. */
  path: string;
}

interface StoredKey {
  kid: string;
  alg: typeof DEV_ALGORITHM;
  privateJwk: JWK;
  createdAt: string;
}

/**
 * Loads the development signing key from `stateDir`, creating it the first time. The file is
 * created atomically and only once, so two processes starting together end up with the same key.
 */
export async function ensureDevSigningKey(stateDir: string): Promise<DevSigningKey> {
  const keyPath = path.join(stateDir, KEY_FILE);
  const existing = await readStoredKey(keyPath);
  if (existing) return fromStored(existing, keyPath);

  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const stored = await generateStoredKey();
  // Write a private temp file, then hard-link it into place: link fails if another process won the race.
  const temp = path.join(stateDir, `.${KEY_FILE}.${process.pid}.${randomUUID()}`);
  await writeFile(temp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, keyPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readStoredKey(keyPath);
    if (!winner) throw new ConfigError(`${keyPath} vanished while it was being created`);
    return fromStored(winner, keyPath);
  } finally {
    await rm(temp, { force: true });
  }
  return fromStored(stored, keyPath);
}

export interface MintOptions {
  subject: string;
  /** Lifetime; twelve hours by default, long enough for a working day. */
  ttlSeconds?: number;
  issuer?: string;
  audience?: string | string[];
  /** Extra claims; `sub`, `iat` and `exp` always come from the other options. */
  claims?: JWTPayload;
}

export async function mintToken(key: DevSigningKey, options: MintOptions): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + (options.ttlSeconds ?? 12 * 3600));
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(key.privateKey);
}

/** Writes the public half as a JWKS file a KeyStore can load by path; returns that path. */
export async function writePublicJwks(stateDir: string, key: DevSigningKey): Promise<string> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const target = path.join(stateDir, JWKS_FILE);
  const temp = `${target}.${process.pid}.${randomUUID()}`;
  await writeFile(temp, `${JSON.stringify(key.publicJwks, null, 2)}\n`, { mode: 0o644 });
  await rename(temp, target);
  return target;
}

async function generateStoredKey(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(DEV_ALGORITHM, { modulusLength: 2048, extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk);
  return { kid, alg: DEV_ALGORITHM, privateJwk, createdAt: new Date().toISOString() };
}

async function readStoredKey(keyPath: string): Promise<StoredKey | undefined> {
  let text: string;
  try {
    text = await readFile(keyPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${keyPath}: ${describeError(error)}`);
  }
  // A damaged file is reported, never replaced: it may be a key someone relies on.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${keyPath} is not valid JSON; delete it to create a new development key`);
  }
  const candidate = parsed as Partial<StoredKey> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.kid !== 'string' ||
    candidate.alg !== DEV_ALGORITHM ||
    typeof candidate.privateJwk !== 'object' ||
    candidate.privateJwk?.kty !== 'RSA' ||
    typeof candidate.privateJwk.d !== 'string'
  ) {
    throw new ConfigError(`${keyPath} is not a development signing key; delete it to create a new one`);
  }
  // Older files or hand edits may have looser permissions; the key is only for this user.
  await chmod(keyPath, 0o600).catch(() => undefined);
  return candidate as StoredKey;
}

function fromStored(stored: StoredKey, keyPath: string): DevSigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: stored.privateJwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new ConfigError(`${keyPath} holds an unusable key: ${describeError(error)}`);
  }
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  return {
    kid: stored.kid,
    algorithm: DEV_ALGORITHM,
    privateKey,
    publicJwks: { keys: [{ ...publicJwk, kid: stored.kid, alg: DEV_ALGORITHM, use: 'sig' }] },
    path: keyPath,
  };
}
