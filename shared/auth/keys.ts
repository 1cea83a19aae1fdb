import { createPublicKey, type KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { importJWK, type JWK } from 'jose';
import { DEFAULTS } from '../config/settings';
import { isS3Uri, readText } from '../config/source';
import { ConfigError } from '../config/errors';
import { withTimeout } from '../timeout';
import { logger } from '../observability/logger';
import { describeError } from '../errors/describe';

/** The only signature algorithms a token may use. */
export type SigningAlgorithm = 'RS256' | 'ES256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256'];

export type KeyFamily = 'RSA' | 'EC';

const FAMILY_ALGORITHM: Record<KeyFamily, SigningAlgorithm> = { RSA: 'RS256', EC: 'ES256' };

export function algorithmFamily(algorithm: SigningAlgorithm): KeyFamily {
  return algorithm === 'RS256' ? 'RSA' : 'EC';
}

/** A public key a token signature may be checked against. */
export interface VerificationKey {
  /** Known only when the key came from a JWKS; the Python formats carry no key ids. */
  readonly kid?: string;
  readonly family: KeyFamily;
  readonly key: KeyObject;
}

/** What the key store needs to report a refresh that failed without failing the request. */
export interface KeyStoreLogger {
  warn(message: string, attributes?: Record<string, unknown>): void;
}

export interface KeyStoreOptions {
  /** http(s)://, s3://bucket/key, file:// or a local path serving one of the accepted key documents. */
  url?: string;
  /** A key document used as is and never refreshed (local runtime, tests). Takes precedence over `url`. */
  keys?: unknown;
  /** Keys older than this are refetched before the next verification. */
  ttlSeconds?: number;
  fetchTimeoutMs?: number;
  /**
   * Least time between two fetches that were not forced by the TTL or `reload()`. Tokens naming an
   * unknown key would otherwise let anyone make us hammer the key server.
   */
  minRefreshIntervalMs?: number;
  fetch?: typeof fetch;
  logger?: KeyStoreLogger;
  /** Clock in milliseconds; injectable so TTLs can be tested without waiting. */
  now?: () => number;
}

const RSA_MIN_MODULUS_BITS = 2048;
const P256 = 'prime256v1';

/** The gateway's structured logger, so these lines carry the invocation's context like all others. */
const gatewayLogger: KeyStoreLogger = {
  warn: (message, attributes) => logger.warn(message, { ...attributes }),
};

/**
 * Public keys used to verify tokens, loaded from a key endpoint or file and cached. Refreshes are
 * lazy (on use after the TTL), early when a token names a key we do not hold (rate limited), and
 * forced by `reload()`. A refresh that fails keeps the keys we already have.
 */
export class KeyStore {
  private readonly url?: string;
  private readonly ttlMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly logger: KeyStoreLogger;
  private readonly now: () => number;
  private readonly isStatic: boolean;
  private keys?: readonly VerificationKey[];
  private staticKeysPromise?: Promise<readonly VerificationKey[]>;
  /** The static keys once parsed. */
  private staticKeys?: readonly VerificationKey[];
  private loadedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastFailure?: Error;
  private inFlight?: Promise<readonly VerificationKey[]>;

  constructor(options: KeyStoreOptions) {
    this.isStatic = options.keys !== undefined;
    if (this.isStatic) {
      this.staticKeysPromise = parseKeyDocument(options.keys, 'static keys');
      // Callers see a rejection when they ask for keys; do not let it surface as unhandled meanwhile.
      this.staticKeysPromise.then(
        (keys) => {
          this.staticKeys = keys;
        },
        () => undefined,
      );
    } else if (!options.url) {
      throw new ConfigError('KeyStore needs a key document url or static keys');
    }
    this.url = options.url;
    this.ttlMs = (options.ttlSeconds ?? DEFAULTS.token_keys_ttl_seconds) * 1000;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5000;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.logger = options.logger ?? gatewayLogger;
    this.now = options.now ?? Date.now;
  }

  /** Current keys; the first call loads them and throws if that fails. */
  async getKeys(): Promise<readonly VerificationKey[]> {
    if (this.staticKeysPromise) return this.staticKeysPromise;
    if (!this.keys) return this.firstLoad();
    if (this.keysAtHand() === undefined) await this.refreshKeepingOld('keys expired');
    return this.keys;
  }

  /**
   * What `getKeys` would answer now, when it can answer without loading or refreshing; otherwise
   * undefined, and `getKeys` must be asked. Lets the verifier take the keys without an await on
   * nearly every request. A subclass that overrides `getKeys` overrides this as well.
   */
  keysAtHand(): readonly VerificationKey[] | undefined {
    if (this.isStatic) return this.staticKeys;
    if (!this.keys) return undefined;
    const now = this.now();
    const expired = now - this.loadedAt >= this.ttlMs;
    // After a failed refresh, stale keys are served for a while instead of retrying on every request.
    const backingOff = this.lastFailure !== undefined && now - this.lastAttemptAt < this.minRefreshIntervalMs;
    return expired && !backingOff ? undefined : this.keys;
  }

  /**
   * Fetches the key document again because a token was signed by a key we do not hold, unless a
   * fetch happened less than `minRefreshIntervalMs` ago. Returns whether the keys were refreshed.
   */
  async refreshForUnknownKey(): Promise<boolean> {
    if (this.isStatic) return false;
    if (!this.keys) {
      await this.firstLoad();
      return true;
    }
    if (this.inFlight) {
      await this.inFlight.catch(() => undefined);
      return true;
    }
    if (this.now() - this.lastAttemptAt < this.minRefreshIntervalMs) return false;
    return this.refreshKeepingOld('unknown signing key');
  }

  /** Forces a fetch now. On failure the old keys stay in use and the error is thrown. */
  async reload(): Promise<void> {
    if (this.isStatic) return;
    await this.fetchOnce();
  }

  private async firstLoad(): Promise<readonly VerificationKey[]> {
    if (this.inFlight) return this.inFlight;
    // A key server that is down should not receive one fetch per request: repeat the last error briefly.
    const sinceFailure = this.now() - this.lastAttemptAt;
    if (this.lastFailure && sinceFailure < Math.min(this.minRefreshIntervalMs, 1000)) throw this.lastFailure;
    return this.fetchOnce();
  }

  private async refreshKeepingOld(why: string): Promise<boolean> {
    try {
      await this.fetchOnce();
      return true;
    } catch (error) {
      this.logger.warn('token key refresh failed; keeping the previous keys', {
        reason: why,
        source: this.url,
        error: describeError(error),
      });
      return false;
    }
  }

  /** One fetch at a time: concurrent callers share it. */
  private fetchOnce(): Promise<readonly VerificationKey[]> {
    this.inFlight ??= this.fetchAndParse().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchAndParse(): Promise<readonly VerificationKey[]> {
    const location = this.url as string;
    this.lastAttemptAt = this.now();
    try {
      const keys = await parseKeyDocument(await this.fetchDocument(location), location);
      this.keys = keys;
      this.loadedAt = this.now();
      this.lastFailure = undefined;
      return keys;
    } catch (error) {
      this.lastFailure =
        error instanceof ConfigError
          ? error
          : new ConfigError(`cannot load token keys from ${location}: ${describeError(error)}`);
      throw this.lastFailure;
    }
  }

  private async fetchDocument(location: string): Promise<unknown> {
    if (/^https?:\/\//i.test(location)) {
      const response = await this.fetchImpl(location, {
        signal: AbortSignal.timeout(this.fetchTimeoutMs),
        headers: { accept: 'application/json' },
      });
      if (!response.ok) throw new ConfigError(`${location} answered HTTP ${response.status}`);
      return parseJson(await response.text(), location);
    }
    const path = location.startsWith('file://') ? fileURLToPath(location) : location;
    const text = isS3Uri(path)
      ? await withTimeout(readText(path), this.fetchTimeoutMs, location)
      : await readText(path);
    return parseJson(text, location);
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${source} is not valid JSON`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Accepts the Python EventGate formats — `{"keys":[{"key":"<base64 DER SPKI>"}]}` and
 * `{"key":"<base64 DER SPKI>"}`, where a key may also be PEM — and a JWKS. JWKS entries for other
 * algorithms or for encryption are skipped, as identity providers publish those too; anything
 * malformed fails the whole document so a broken key server is noticed rather than half-trusted.
 */
export async function parseKeyDocument(doc: unknown, source: string): Promise<VerificationKey[]> {
  if (!isRecord(doc)) throw new ConfigError(`${source}: key document must be a JSON object`);
  let entries: unknown[];
  if (Array.isArray(doc.keys)) entries = doc.keys;
  else if (typeof doc.key === 'string') entries = [{ key: doc.key }];
  else throw new ConfigError(`${source}: key document needs a "keys" array or a "key" string`);

  const keys: VerificationKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const where = `${source}: keys[${index}]`;
    if (!isRecord(entry)) throw new ConfigError(`${where} is not an object`);
    const key = typeof entry.kty === 'string' ? await fromJwk(entry, where) : await fromEncoded(entry, where);
    if (key) keys.push(key);
  }
  if (keys.length === 0) throw new ConfigError(`${source}: no usable RS256 or ES256 public key`);
  return keys;
}

async function fromEncoded(entry: Record<string, unknown>, where: string): Promise<VerificationKey> {
  const encoded = entry.key;
  if (typeof encoded !== 'string' || encoded.trim() === '')
    throw new ConfigError(`${where} has no "key" string`);
  if (encoded.includes('PRIVATE KEY'))
    throw new ConfigError(`${where} holds a private key; publish only public keys`);
  let key: KeyObject;
  try {
    key = encoded.includes('-----BEGIN')
      ? createPublicKey(encoded.trim())
      : createPublicKey({
          key: Buffer.from(encoded.replace(/\s+/g, ''), 'base64'),
          format: 'der',
          type: 'spki',
        });
  } catch (error) {
    throw new ConfigError(`${where} is not a public key (base64 DER SPKI or PEM): ${describeError(error)}`);
  }
  const kid = typeof entry.kid === 'string' && entry.kid !== '' ? entry.kid : undefined;
  return checked({ kid, family: familyOf(key, where), key }, where);
}

async function fromJwk(entry: Record<string, unknown>, where: string): Promise<VerificationKey | undefined> {
  if (entry.use !== undefined && entry.use !== 'sig') return undefined;
  if (entry.alg !== undefined && !SIGNING_ALGORITHMS.includes(entry.alg as SigningAlgorithm))
    return undefined;
  if (entry.kid !== undefined && typeof entry.kid !== 'string')
    throw new ConfigError(`${where} has a non-string kid`);
  const kid = entry.kid === '' ? undefined : (entry.kid as string | undefined);

  // Only public members are imported: a JWKS that leaks a private part must not become a signing key here.
  let publicJwk: JWK;
  let family: KeyFamily;
  if (entry.kty === 'RSA') {
    if (entry.alg !== undefined && entry.alg !== 'RS256') return undefined;
    publicJwk = { kty: 'RSA', n: entry.n as string, e: entry.e as string };
    family = 'RSA';
  } else if (entry.kty === 'EC') {
    if (entry.crv !== 'P-256' || (entry.alg !== undefined && entry.alg !== 'ES256')) return undefined;
    publicJwk = { kty: 'EC', crv: 'P-256', x: entry.x as string, y: entry.y as string };
    family = 'EC';
  } else {
    return undefined;
  }
  let key: KeyObject;
  try {
    key = (await importJWK(publicJwk, FAMILY_ALGORITHM[family])) as KeyObject;
  } catch (error) {
    throw new ConfigError(
      `${where}${kid ? ` (kid ${kid})` : ''} is not a valid JWK: ${describeError(error)}`,
    );
  }
  return checked({ kid, family, key }, where);
}

function familyOf(key: KeyObject, where: string): KeyFamily {
  if (key.asymmetricKeyType === 'rsa') return 'RSA';
  if (key.asymmetricKeyType === 'ec') return 'EC';
  throw new ConfigError(
    `${where}: ${key.asymmetricKeyType ?? 'unknown'} keys are not supported (RS256 or ES256 only)`,
  );
}

function checked(candidate: VerificationKey, where: string): VerificationKey {
  const details = candidate.key.asymmetricKeyDetails ?? {};
  if (candidate.family === 'RSA' && (details.modulusLength ?? 0) < RSA_MIN_MODULUS_BITS) {
    throw new ConfigError(`${where}: RSA keys must have at least ${RSA_MIN_MODULUS_BITS} bits`);
  }
  if (candidate.family === 'EC' && details.namedCurve !== P256) {
    throw new ConfigError(`${where}: EC keys must use the P-256 curve (ES256)`);
  }
  return candidate;
}
