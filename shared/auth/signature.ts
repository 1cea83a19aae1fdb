import { verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { AuthError } from './auth-error';
import type { VerificationKey } from './keys';

/*
 * Signatures are checked with node:crypto's one-shot `verify()` on the KeyObject the key store built
 * when it loaded the key, not with `jose.jwtVerify`. Measured on the 2-vCPU development machine for
 * RS256 over a 2048-bit key: `crypto.verify` on a cached KeyObject about 56,000 calls/s when the
 * machine is quiet and 24–28 µs of CPU per call under load; `jwtVerify` with the same KeyObject
 * about 19,000/s, and 46–53 µs under load. The difference is jose's per-call work, not the
 * mathematics: it decodes and parses the header again, re-validates the key against the algorithm
 * on every call, and runs the verification through the libuv thread pool (its promisified
 * `crypto.verify`), so every token costs a hop to a worker thread and back. Synchronous here, a
 * verification holds the event loop for its 25–50 µs; where invocations share a process (the local
 * runtime, Lambda's concurrent invocations) that is accepted as cheaper than the hop. jose stays
 * where it is good: importing JWKs into KeyObjects at load time.
 */

/** What `verify()` is given for one key, and whether jose would have verified with it at all. */
interface PreparedKey {
  readonly input: KeyObject | VerifyKeyObjectInput;
  readonly usable: boolean;
}

const RSA_MIN_MODULUS_BITS = 2048;
const P256 = 'prime256v1';

/**
 * One entry per key object, made the first time the key checks a signature. A key rotation brings
 * new key objects, so the entries of keys rotated out are dropped with them.
 */
const prepared = new WeakMap<VerificationKey, PreparedKey>();

function prepare({ family, key }: VerificationKey): PreparedKey {
  const details = key.asymmetricKeyDetails ?? {};
  if (family === 'RSA') {
    return {
      input: key,
      usable: key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= RSA_MIN_MODULUS_BITS,
    };
  }
  // JWS carries an ECDSA signature as r || s (IEEE P1363), not the DER sequence OpenSSL defaults to.
  return {
    input: { key, dsaEncoding: 'ieee-p1363' },
    usable: key.asymmetricKeyType === 'ec' && details.namedCurve === P256,
  };
}

/** The prepared form of a key: built once per key object, then reused for every token. */
export function preparedKey(key: VerificationKey): PreparedKey {
  let entry = prepared.get(key);
  if (!entry) {
    entry = prepare(key);
    prepared.set(key, entry);
  }
  return entry;
}

/**
 * Whether `signature` is `key`'s RS256 or ES256 (SHA-256) signature over `signingInput`. The caller
 * has matched the key's family to the token's algorithm. A signature of the wrong length or
 * encoding (an ES256 signature in DER, say) is simply not a match.
 */
export function signatureMatches(key: VerificationKey, signingInput: string, signature: Buffer): boolean {
  const { input, usable } = preparedKey(key);
  // jose refused such keys (short RSA moduli, other curves) with an error rather than a mismatch.
  if (!usable) throw new AuthError('invalid token');
  try {
    return verify('sha256', Buffer.from(signingInput, 'latin1'), input, signature);
  } catch {
    return false;
  }
}
