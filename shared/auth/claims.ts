import type { JWTPayload } from 'jose';
import { AuthError } from './auth-error';

/** What a verified token's claims must satisfy. */
export interface ClaimRules {
  /** When set, `iss` must equal it. */
  issuer?: string;
  /** When set, `aud` (a string or a list) must hold one of these. */
  audience?: string | string[];
  /** Allowed clock skew for `exp` and `nbf`, in seconds. */
  clockToleranceSeconds: number;
  /** Longest lifetime accepted: `exp` − `iat`, or `exp` − now for a token without `iat`. */
  maxLifetimeSeconds: number;
  /** How far in the future `iat` may be. */
  issuedAtSkewSeconds: number;
}

function holdsAudience(claim: unknown, accepted: readonly string[]): boolean {
  if (typeof claim === 'string') return accepted.includes(claim);
  if (Array.isArray(claim)) return accepted.some((audience) => claim.includes(audience));
  return false;
}

/** `exp` has passed at `nowSeconds` (whole seconds, like jose), allowing `toleranceSeconds`. */
export function expiredAt(exp: number, toleranceSeconds: number, nowSeconds: number): boolean {
  return exp <= nowSeconds - toleranceSeconds;
}

/** `nbf` is still ahead at `nowSeconds` (whole seconds, like jose), allowing `toleranceSeconds`. */
export function notYetValidAt(nbf: number, toleranceSeconds: number, nowSeconds: number): boolean {
  return nbf > nowSeconds + toleranceSeconds;
}

/**
 * The registered claims, checked in the order and with the reasons jose's `jwtVerify` used when it
 * verified tokens here: `iss` and `aud` present when configured, then their values, then the types
 * and times of `iat`, `nbf` and `exp` (whole seconds, like jose).
 */
function checkRegisteredClaims(claims: JWTPayload, rules: ClaimRules, nowSeconds: number): void {
  if (rules.issuer !== undefined && !('iss' in claims)) throw new AuthError('wrong issuer');
  if (rules.audience !== undefined && !('aud' in claims)) throw new AuthError('wrong audience');
  if (rules.issuer !== undefined && claims.iss !== rules.issuer) throw new AuthError('wrong issuer');
  if (
    rules.audience !== undefined &&
    !holdsAudience(claims.aud, typeof rules.audience === 'string' ? [rules.audience] : rules.audience)
  ) {
    throw new AuthError('wrong audience');
  }
  const tolerance = rules.clockToleranceSeconds;
  if (claims.iat !== undefined && typeof claims.iat !== 'number') throw new AuthError('invalid iat claim');
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number' || notYetValidAt(claims.nbf, tolerance, nowSeconds))
      throw new AuthError('token not yet valid');
  }
  if (claims.exp !== undefined) {
    if (typeof claims.exp !== 'number') throw new AuthError('invalid exp claim');
    if (expiredAt(claims.exp, tolerance, nowSeconds)) throw new AuthError('token expired');
  }
}

/**
 * A token must expire, within `maxLifetimeSeconds` of being issued, and must not claim to be issued
 * in the future (beyond a small skew). Runs after the registered claims, which have checked that
 * `exp` and `iat`, if present, are numbers and that the token has not expired.
 */
function checkLifetime(claims: JWTPayload, rules: ClaimRules, nowMs: number): void {
  if (typeof claims.exp !== 'number') throw new AuthError('token has no expiry (exp)');
  const now = nowMs / 1000;
  const issuedAt = typeof claims.iat === 'number' ? claims.iat : undefined;
  if (issuedAt !== undefined && issuedAt > now + rules.issuedAtSkewSeconds)
    throw new AuthError('token issued in the future (iat)');
  const lifetime = claims.exp - (issuedAt ?? now);
  if (lifetime > rules.maxLifetimeSeconds)
    throw new AuthError(`token lifetime over ${rules.maxLifetimeSeconds} s`);
}

/** Every check a token's claims must pass once its signature holds; throws AuthError with the reason. */
export function checkClaims(claims: JWTPayload, rules: ClaimRules, nowMs: number): void {
  checkRegisteredClaims(claims, rules, Math.floor(nowMs / 1000));
  checkLifetime(claims, rules, nowMs);
}
