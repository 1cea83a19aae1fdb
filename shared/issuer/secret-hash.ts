import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt parameters for client secrets. N = 2^14 with r = 8 takes 16 MiB and some tens of
 * milliseconds per check: cheap once per token (tokens last minutes), dear for anyone guessing.
 */
const COST = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
const HASH_FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

function derive(secret: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { ...cost, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** A new client secret: 32 random bytes, base64url, shown once and stored only as a hash. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** `scrypt$N=…,r=…,p=…$<salt>$<hash>`: the parameters travel with the hash so they can change later. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, COST);
  return `scrypt$N=${COST.N},r=${COST.r},p=${COST.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function isSecretHash(value: unknown): value is string {
  return typeof value === 'string' && HASH_FORMAT.test(value);
}

/**
 * Checks a secret against a stored hash in constant time. Without a stored hash (an unknown
 * client) it still does the same work against a throwaway hash, so the answer time does not tell
 * which client ids exist.
 */
export async function verifySecret(secret: string, stored: string | null): Promise<boolean> {
  const match = stored === null ? null : HASH_FORMAT.exec(stored);
  const cost = match ? { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) } : COST;
  const salt = match ? Buffer.from(match[4] as string, 'base64') : randomBytes(SALT_BYTES);
  const expected = match ? Buffer.from(match[5] as string, 'base64') : randomBytes(KEY_LENGTH);
  const actual = await derive(secret, salt, cost);
  return actual.length === expected.length && timingSafeEqual(actual, expected) && match !== null;
}
