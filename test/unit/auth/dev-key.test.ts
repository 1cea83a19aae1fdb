import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { ensureDevSigningKey, mintToken, writePublicJwks } from '../../../shared/auth/dev-key';
import { KeyStore } from '../../../shared/auth/keys';
import { AuthError, TokenVerifier } from '../../../shared/auth/token';
import { ConfigError } from '../../../shared/config/errors';
import { DEFAULTS } from '../../../shared/config/settings';
import { decodePayload } from './fixtures';

describe('development signing key', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'eventgate-devkey-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  test('is created once with owner-only permissions and loaded unchanged afterwards', async () => {
    const nested = path.join(stateDir, 'state');
    const created = await ensureDevSigningKey(nested);
    expect((await stat(created.path)).mode & 0o777).toBe(0o600);
    expect(created.publicJwks.keys).toHaveLength(1);
    expect(created.publicJwks.keys[0]).toMatchObject({
      kty: 'RSA',
      kid: created.kid,
      alg: 'RS256',
      use: 'sig',
    });
    expect(created.publicJwks.keys[0]).not.toHaveProperty('d');

    const loaded = await ensureDevSigningKey(nested);
    expect(loaded.kid).toBe(created.kid);
    expect(loaded.privateKey.equals(created.privateKey)).toBe(true);
  });

  test('processes racing to create it end up with the same key', async () => {
    const keys = await Promise.all([1, 2, 3, 4].map(() => ensureDevSigningKey(stateDir)));
    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
    const reloaded = await ensureDevSigningKey(stateDir);
    expect(reloaded.kid).toBe(keys[0]?.kid);
  });

  test('minted tokens verify through a KeyStore reading the written JWKS file', async () => {
    const key = await ensureDevSigningKey(stateDir);
    const jwksPath = await writePublicJwks(stateDir, key);
    const verifier = new TokenVerifier({
      keys: new KeyStore({ url: jwksPath }),
      issuer: 'eventgate-dev',
      audience: 'eventgate',
    });
    const token = await mintToken(key, {
      subject: 'dev-user',
      issuer: 'eventgate-dev',
      audience: 'eventgate',
      claims: { scope: 'publish', sub: 'ignored' },
    });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: key.kid });
    const verified = await verifier.verify(token);
    expect(verified.subject).toBe('dev-user');
    expect(verified.claims.scope).toBe('publish');
  });

  test('the twelve-hour development token passes the default maximum token lifetime; a longer one does not', async () => {
    const key = await ensureDevSigningKey(stateDir);
    const verifier = new TokenVerifier({
      keys: new KeyStore({ url: await writePublicJwks(stateDir, key) }),
      maxLifetimeSeconds: DEFAULTS.token_max_lifetime_seconds,
    });
    expect((await verifier.verify(await mintToken(key, { subject: 'dev-user' }))).subject).toBe('dev-user');
    await expect(
      verifier.verify(await mintToken(key, { subject: 'dev-user', ttlSeconds: 25 * 3600 })),
    ).rejects.toThrow('token lifetime over 86400 s');
  });

  test('tokens last twelve hours unless told otherwise', async () => {
    const key = await ensureDevSigningKey(stateDir);
    const standard = decodePayload(await mintToken(key, { subject: 'a' }));
    expect((standard.exp as number) - (standard.iat as number)).toBe(12 * 3600);
    const short = decodePayload(await mintToken(key, { subject: 'a', ttlSeconds: 60 }));
    expect((short.exp as number) - (short.iat as number)).toBe(60);
  });

  test('a token from another state directory is rejected', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'eventgate-devkey-other-'));
    try {
      const mine = await ensureDevSigningKey(stateDir);
      const theirs = await ensureDevSigningKey(other);
      const verifier = new TokenVerifier({ keys: new KeyStore({ keys: mine.publicJwks }) });
      await expect(verifier.verify(await mintToken(theirs, { subject: 'x' }))).rejects.toBeInstanceOf(
        AuthError,
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('a damaged key file is reported, not replaced', async () => {
    const keyPath = path.join(stateDir, 'dev-signing-key.json');
    await writeFile(keyPath, '{"kid": "x"}');
    await expect(ensureDevSigningKey(stateDir)).rejects.toBeInstanceOf(ConfigError);
    await writeFile(keyPath, 'not json');
    await expect(ensureDevSigningKey(stateDir)).rejects.toThrow(/delete it/);
  });
});
