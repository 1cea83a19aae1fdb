import type { JWTPayload } from 'jose';
import { AuthError } from './auth-error';
import { checkClaims, expiredAt, notYetValidAt, type ClaimRules } from './claims';
import { checkCriticalHeader, decodeJsonSegment, readCompactJws, type CompactJws } from './jws';
import {
  algorithmFamily,
  SIGNING_ALGORITHMS,
  type KeyStore,
  type SigningAlgorithm,
  type VerificationKey,
} from './keys';
import { RememberedTokens } from './remembered-tokens';
import { signatureMatches } from './signature';
import { asCompactToken } from './token-shape';

export { AuthError };

/** Real tokens are a few hundred bytes to a couple of KiB; anything far larger is not worth parsing. */
export const MAX_TOKEN_BYTES = 8 * 1024;

/** Default for `token_max_lifetime_seconds`: a day, twice the development token's twelve hours. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/** How far in the future an `iat` may be: the issuer's clock may run a little ahead of ours. */
export const ISSUED_AT_SKEW_SECONDS = 60;

/**
 * Verified tokens remembered, so a producer sending the same token on every request pays for the
 * signature check once. An entry is trusted only while the key set it was checked against is still
 * the current one and its exp/nbf still hold.
 */
export const MAX_REMEMBERED_TOKENS = 1024;

/**
 * The longest header value that can hold a usable token: the token, the scheme, and some spaces
 * around them. Anything longer is refused before it is looked at, so no header costs more than
 * this many characters of work, whatever a client sends.
 */
export const MAX_AUTHORIZATION_HEADER_LENGTH = MAX_TOKEN_BYTES + 256;

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * `Bearer <token>` (scheme in any case, then spaces or tabs) → the token; anything else → null.
 * A hand-written scan instead of a regular expression, so it is linear however the header is built.
 */
function afterBearerScheme(value: string): string | null {
  if (value.length < 7 || value.slice(0, 6).toLowerCase() !== 'bearer' || !isBlank(value.charCodeAt(6)))
    return null;
  let start = 7;
  while (start < value.length && isBlank(value.charCodeAt(start))) start++;
  return value.slice(start);
}

/** A header's value trimmed; null when it is too long to hold a token, so it is not looked at. */
function boundedHeader(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value.length > MAX_AUTHORIZATION_HEADER_LENGTH) return null;
  return value.trim();
}

/**
 * Finds the bearer token in request headers whose names the caller has already lowercased. A raw
 * `bearer` header wins over `authorization: Bearer …`, as in the Python EventGate. Each header's
 * length is bounded before anything else is done with it, and the parsing is linear.
 */
export function extractToken(headers: Record<string, string | undefined>): string | null {
  const raw = boundedHeader(headers.bearer);
  if (raw === null) return null;
  let candidate: string | null;
  if (raw) {
    // Some clients put the scheme in the raw header too; a JWT never contains a space, so stripping it is safe.
    candidate = afterBearerScheme(raw) ?? raw;
  } else {
    const authorization = boundedHeader(headers.authorization);
    if (!authorization) return null;
    candidate = afterBearerScheme(authorization);
  }
  candidate = candidate?.trim() ?? null;
  if (!candidate || candidate.length > MAX_TOKEN_BYTES) return null;
  return asCompactToken(candidate);
}

export interface TokenVerifierOptions {
  keys: KeyStore;
  /** When set, the `iss` claim must equal it. */
  issuer?: string;
  /** When set, the `aud` claim must contain one of these values. */
  audience?: string | string[];
  /** Allowed clock skew for `exp` and `nbf`. The Python EventGate allowed none. */
  clockToleranceSeconds?: number;
  /**
   * Longest lifetime accepted: `exp` − `iat` (or `exp` − now for a token without `iat`). Every token
   * must have an `exp`. Default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS.
   */
  maxLifetimeSeconds?: number;
  /** How far in the future `iat` may be. Default ISSUED_AT_SKEW_SECONDS. */
  issuedAtSkewSeconds?: number;
  maxTokenBytes?: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
}

export interface VerifiedToken {
  subject: string | null;
  claims: JWTPayload;
}

interface Candidates {
  keys: VerificationKey[];
  /** The token's kid names a key we hold, so a failed signature is a bad token, not a rotated key. */
  knownKid: boolean;
}

/**
 * Verifies RS256/ES256 tokens against the key store: the signature with node:crypto on the keys'
 * KeyObjects (see signature.ts for why not jose), then the claims (claims.ts).
 *
 * Audience: the Python EventGate rejected every token carrying an `aud` claim unless an audience was
 * configured (a library default it never set). We accept such tokens when no audience is configured,
 * because many identity providers always set `aud` and the claim can only be checked against a value
 * we know; set `token_audience` to enforce it. Everything the Python gateway accepted is still accepted.
 */
export class TokenVerifier {
  private readonly keys: KeyStore;
  private readonly rules: ClaimRules;
  private readonly clockTolerance: number;
  private readonly maxTokenBytes: number;
  private readonly now: () => number;
  private readonly remembered = new RememberedTokens(MAX_REMEMBERED_TOKENS);

  constructor(options: TokenVerifierOptions) {
    this.keys = options.keys;
    this.clockTolerance = options.clockToleranceSeconds ?? 0;
    this.rules = {
      issuer: options.issuer || undefined,
      audience: options.audience && options.audience.length > 0 ? options.audience : undefined,
      clockToleranceSeconds: this.clockTolerance,
      maxLifetimeSeconds: options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
      issuedAtSkewSeconds: options.issuedAtSkewSeconds ?? ISSUED_AT_SKEW_SECONDS,
    };
    this.maxTokenBytes = options.maxTokenBytes ?? MAX_TOKEN_BYTES;
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<VerifiedToken> {
    // A remembered token passed the size and shape checks below when it was first verified, so it
    // is looked up first and they are not run again.
    const remembered = this.remembered.get(token);
    if (remembered) {
      const keys = this.keys.keysAtHand() ?? (await this.currentKeys());
      if (remembered.keys === keys && this.stillValid(remembered.verified.claims)) {
        return remembered.verified;
      }
      this.remembered.forget(token);
    }
    if (this.exceedsMaxBytes(token)) throw new AuthError('token too large');
    if (asCompactToken(token) === null) throw new AuthError('malformed token');
    const { verified, keys } = await this.verifySignature(token);
    this.remembered.remember(token, verified, keys);
    return verified;
  }

  /** Its UTF-8 size over the limit; counted only when its length leaves that in doubt. */
  private exceedsMaxBytes(token: string): boolean {
    // A UTF-16 code unit is one to three bytes of UTF-8.
    if (token.length > this.maxTokenBytes) return true;
    return token.length * 3 > this.maxTokenBytes && Buffer.byteLength(token, 'utf8') > this.maxTokenBytes;
  }

  /** A remembered token's times, judged as on its first sight. */
  private stillValid(claims: JWTPayload): boolean {
    const now = Math.floor(this.now() / 1000);
    if (typeof claims.exp === 'number' && expiredAt(claims.exp, this.clockTolerance, now)) return false;
    return !(typeof claims.nbf === 'number' && notYetValidAt(claims.nbf, this.clockTolerance, now));
  }

  /**
   * A token seen for the first time: its header, a key its `kid` and `alg` allow, the signature,
   * then the claims. The order of the checks, and so the reason given, is the one jose's `jwtVerify`
   * had when it did this work. Also gives the key set it was checked against, which the token is
   * remembered with.
   */
  private async verifySignature(
    token: string,
  ): Promise<{ verified: VerifiedToken; keys: readonly VerificationKey[] }> {
    const jws = readCompactJws(token);
    const { alg, kid } = jws.header;
    if (!SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm))
      throw new AuthError('signing algorithm not allowed');
    const algorithm = alg as SigningAlgorithm;
    const keyId = typeof kid === 'string' && kid !== '' ? kid : undefined;

    let keys = this.keys.keysAtHand() ?? (await this.currentKeys());
    let outcome = this.tryKeys(jws, this.candidates(keys, algorithm, keyId));
    if (!outcome.verified && !outcome.knownKid && (await this.keys.refreshForUnknownKey())) {
      keys = await this.currentKeys();
      outcome = this.tryKeys(jws, this.candidates(keys, algorithm, keyId));
    }
    if (!outcome.verified) throw new AuthError(outcome.tried ? 'invalid signature' : 'unknown signing key');
    return { verified: toVerified(outcome.claims), keys };
  }

  /** The current keys, loaded or refreshed first if need be (when the store has none at hand). */
  private async currentKeys(): Promise<readonly VerificationKey[]> {
    try {
      return await this.keys.getKeys();
    } catch (error) {
      throw new AuthError('signing keys unavailable', { cause: error });
    }
  }

  /** Keys of the token's algorithm family: those named by its kid, else those that carry no kid. */
  private candidates(
    keys: readonly VerificationKey[],
    algorithm: SigningAlgorithm,
    kid?: string,
  ): Candidates {
    const family = algorithmFamily(algorithm);
    if (kid !== undefined) {
      const named = keys.filter((key) => key.kid === kid);
      if (named.length > 0) return { keys: named.filter((key) => key.family === family), knownKid: true };
    }
    // Keys from the Python formats carry no kid, so a token naming a kid may still be signed by one of them.
    const unnamedOrAny = kid === undefined ? keys : keys.filter((key) => key.kid === undefined);
    return { keys: unnamedOrAny.filter((key) => key.family === family), knownKid: false };
  }

  private tryKeys(
    jws: CompactJws,
    candidates: Candidates,
  ): { verified: true; claims: JWTPayload } | { verified: false; knownKid: boolean; tried: boolean } {
    if (candidates.keys.length > 0) {
      const { unencodedPayload } = checkCriticalHeader(jws.header);
      const signature = Buffer.from(jws.signatureSegment, 'base64url');
      for (const key of candidates.keys) {
        // Rotation: the previous key may still be the one that signed it.
        if (!signatureMatches(key, jws.signingInput, signature)) continue;
        if (unencodedPayload) throw new AuthError('malformed token');
        const claims = decodeJsonSegment(jws.payloadSegment);
        if (!claims) throw new AuthError('malformed token');
        checkClaims(claims, this.rules, this.now());
        return { verified: true, claims };
      }
    }
    return { verified: false, knownKid: candidates.knownKid, tried: candidates.keys.length > 0 };
  }
}

function toVerified(claims: JWTPayload): VerifiedToken {
  if (claims.sub !== undefined && typeof claims.sub !== 'string')
    throw new AuthError('sub claim must be a string');
  return { subject: claims.sub ? claims.sub : null, claims };
}
