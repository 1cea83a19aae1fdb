import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, jwtVerify, SignJWT } from 'jose';
import { MAX_REMEMBERED_TOKENS } from '../shared/auth/token';
import type { TestConf } from '../test/helpers/gateway';
import { median } from './stats';

/**
 * Tokens per new-token scenario: twice what the verifier remembers. Sent in order, round and round,
 * every token has been forgotten by the time it comes back, so each request is a first sight.
 */
export const NEW_TOKEN_POOL = 2 * MAX_REMEMBERED_TOKENS;

export type BenchAlgorithm = 'RS256' | 'ES256';

export interface BenchSigner {
  alg: BenchAlgorithm;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const EC_KID = 'bench-ec';

/**
 * The bench conf's RS256 key, and an ES256 key added to its JWKS next to it. Must run before the
 * gateway first loads its keys.
 */
export async function benchSigners(conf: TestConf): Promise<Record<BenchAlgorithm, BenchSigner>> {
  const rsaPrivate = conf.signer.privateKey as KeyObject;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = path.join(conf.dir, 'jwks.json');
  const jwks = JSON.parse(readFileSync(file, 'utf8')) as { keys: unknown[] };
  const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: EC_KID, alg: 'ES256', use: 'sig' };
  writeFileSync(file, JSON.stringify({ keys: [...jwks.keys, ecJwk] }));
  return {
    RS256: {
      alg: 'RS256',
      kid: conf.signer.kid,
      privateKey: rsaPrivate,
      publicKey: createPublicKey(rsaPrivate),
    },
    ES256: { alg: 'ES256', kid: EC_KID, privateKey: ec.privateKey, publicKey: ec.publicKey },
  };
}

/** `count` distinct tokens (each its own `jti`) for `subject`, minted before anything is timed. */
export async function mintTokens(signer: BenchSigner, subject: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let index = 0; index < count; index++) {
    tokens.push(
      await new SignJWT({ sub: subject, jti: `bench-${signer.alg}-${index}` })
        .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(signer.privateKey),
    );
  }
  return tokens;
}

/** Checks one token's signature; throws when it does not hold, so failures are never what is timed. */
export type TokenCheck = (token: string) => unknown;

/** node:crypto's one-shot verify of the token's signature on a KeyObject made once. */
export function nodeCryptoCheck(signer: BenchSigner): TokenCheck {
  const key =
    signer.alg === 'ES256' ? { key: signer.publicKey, dsaEncoding: 'ieee-p1363' as const } : signer.publicKey;
  return (token) => {
    const end = token.lastIndexOf('.');
    const signature = Buffer.from(token.slice(end + 1), 'base64url');
    if (!verify('sha256', Buffer.from(token.slice(0, end), 'latin1'), key, signature))
      throw new Error('bench token did not verify');
  };
}

/** jose's `jwtVerify` with the same KeyObject: signature and claims. */
export function joseCheck(signer: BenchSigner): TokenCheck {
  return (token) => jwtVerify(token, signer.publicKey, { algorithms: [signer.alg] });
}

export interface CheckCost {
  /** Calls per second of CPU time, so threads the work hops to count as well. */
  perSecond: number;
  cpuMicrosPerCall: number;
}

/**
 * CPU time per call of `check` over `tokens` in order, median of three runs after a warm-up. The
 * position carries on from run to run, so a check that remembers tokens never sees one again soon.
 */
export async function checkCost(
  tokens: readonly string[],
  check: TokenCheck,
  durationMs: number,
): Promise<CheckCost> {
  let position = 0;
  const runOnce = async (ms: number): Promise<number> => {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < ms) {
      await check(tokens[position++ % tokens.length] as string);
      calls += 1;
    }
    const cpu = process.cpuUsage(cpuBefore);
    return (cpu.user + cpu.system) / calls;
  };
  await runOnce(durationMs / 2);
  const samples: number[] = [];
  for (let index = 0; index < 3; index++) samples.push(await runOnce(durationMs / 3));
  const cpuMicrosPerCall = median(samples);
  return { perSecond: 1e6 / cpuMicrosPerCall, cpuMicrosPerCall };
}
