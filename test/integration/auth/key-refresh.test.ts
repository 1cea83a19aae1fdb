import { KeyStore, type KeyStoreOptions } from '../../../shared/auth/keys';
import { AuthError, TokenVerifier } from '../../../shared/auth/token';
import { ConfigError } from '../../../shared/config/errors';
import { derBase64, ecKeyPair, jwks, pythonKeys, rsaKeyPair, sign } from '../../unit/auth/fixtures';
import { KeyServer } from './key-server';

const current = rsaKeyPair('key-current');
const next = rsaKeyPair('key-next');
const ec = ecKeyPair('key-ec');

const MIN_REFRESH_MS = 30_000;
const TTL_SECONDS = 600;

describe('KeyStore against a key server on 127.0.0.1', () => {
  let server: KeyServer;
  let url: string;
  let clock: number;
  let warnings: string[];

  beforeEach(async () => {
    server = new KeyServer();
    url = await server.start();
    clock = 1_000_000;
    warnings = [];
  });

  afterEach(async () => {
    await server.stop();
  });

  function store(options: Partial<KeyStoreOptions> = {}): KeyStore {
    return new KeyStore({
      url,
      ttlSeconds: TTL_SECONDS,
      minRefreshIntervalMs: MIN_REFRESH_MS,
      now: () => clock,
      logger: { warn: (message) => warnings.push(message) },
      ...options,
    });
  }

  const verifierOn = (keys: KeyStore): TokenVerifier => new TokenVerifier({ keys });

  async function reason(verifier: TokenVerifier, token: string): Promise<string> {
    const error = await verifier.verify(token).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AuthError);
    return (error as Error).message;
  }

  test.each([
    ['the Python list form', () => Promise.resolve(pythonKeys(current, ec))],
    ['the Python single-key form', () => Promise.resolve({ key: derBase64(current) })],
    ['a JWKS', () => jwks(current, ec)],
  ])('verifies tokens with keys served in %s', async (_, document) => {
    server.document = await document();
    const verifier = verifierOn(store());
    expect((await verifier.verify(await sign(current, { sub: 'svc' }))).subject).toBe('svc');
    expect(server.requests).toBe(1);
  });

  test('keys at hand: none before the first load, then the set getKeys gives until the TTL passes', async () => {
    server.document = await jwks(current);
    const keys = store();
    expect(keys.keysAtHand()).toBeUndefined();
    const loaded = await keys.getKeys();
    expect(keys.keysAtHand()).toBe(loaded);
    clock += TTL_SECONDS * 1000;
    // Expired: the caller must ask getKeys, which refreshes.
    expect(keys.keysAtHand()).toBeUndefined();
    server.document = await jwks(current, next);
    const refreshed = await keys.getKeys();
    expect(refreshed).toHaveLength(2);
    expect(keys.keysAtHand()).toBe(refreshed);
    expect(server.requests).toBe(2);

    // A refresh that fails keeps the old keys at hand while it backs off, as getKeys serves them.
    clock += TTL_SECONDS * 1000;
    server.status = 500;
    expect(await keys.getKeys()).toBe(refreshed);
    expect(keys.keysAtHand()).toBe(refreshed);
    clock += MIN_REFRESH_MS;
    expect(keys.keysAtHand()).toBeUndefined();
  });

  test('static keys are at hand once parsed, as the same set getKeys gives', async () => {
    const keys = new KeyStore({ keys: pythonKeys(current) });
    const loaded = await keys.getKeys();
    expect(keys.keysAtHand()).toBe(loaded);
  });

  test('an unknown kid triggers one refresh, after which the newly served key verifies', async () => {
    server.document = await jwks(current);
    const keys = store();
    const verifier = verifierOn(keys);
    await verifier.verify(await sign(current));
    expect(server.requests).toBe(1);

    server.document = await jwks(current, next);
    clock += MIN_REFRESH_MS;
    expect((await verifier.verify(await sign(next, { sub: 'rotated' }))).subject).toBe('rotated');
    expect(server.requests).toBe(2);
    // The new key is now cached: no further fetch.
    await verifier.verify(await sign(next));
    expect(server.requests).toBe(2);
  });

  test('unknown-kid refreshes are rate limited', async () => {
    server.document = await jwks(current);
    const verifier = verifierOn(store());
    await verifier.verify(await sign(current));

    // Within the interval after the first load, forged kids cause no fetch at all.
    for (const kid of ['forged-1', 'forged-2', 'forged-3']) {
      expect(await reason(verifier, await sign(rsaKeyPair(kid)))).toBe('unknown signing key');
    }
    expect(server.requests).toBe(1);

    clock += MIN_REFRESH_MS;
    expect(await reason(verifier, await sign(rsaKeyPair('forged-4')))).toBe('unknown signing key');
    expect(await reason(verifier, await sign(rsaKeyPair('forged-5')))).toBe('unknown signing key');
    expect(server.requests).toBe(2);

    // The real rotation arriving inside the interval waits for it to pass.
    server.document = await jwks(current, next);
    const rotated = await sign(next);
    expect(await reason(verifier, rotated)).toBe('unknown signing key');
    expect(server.requests).toBe(2);
    clock += MIN_REFRESH_MS;
    expect((await verifier.verify(rotated)).subject).toBe('alice');
    expect(server.requests).toBe(3);
  });

  test('concurrent tokens with an unknown kid share one fetch', async () => {
    server.document = await jwks(current);
    const verifier = verifierOn(store());
    await verifier.verify(await sign(current));
    server.document = await jwks(current, next);
    clock += MIN_REFRESH_MS;
    const tokens = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => sign(next, { sub: `user-${n}` })));
    const results = await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(results.map((result) => result.subject)).toEqual([
      'user-1',
      'user-2',
      'user-3',
      'user-4',
      'user-5',
      'user-6',
    ]);
    expect(server.requests).toBe(2);
  });

  test('a token without kid from a rotated-in Python-format key triggers a refresh too', async () => {
    server.document = pythonKeys(current);
    const verifier = verifierOn(store());
    await verifier.verify(await sign(current, {}, { kid: false }));
    server.document = pythonKeys(next, current);
    clock += MIN_REFRESH_MS;
    expect((await verifier.verify(await sign(next, {}, { kid: false }))).subject).toBe('alice');
    expect(server.requests).toBe(2);
  });

  test('a known kid with a bad signature does not trigger a refresh', async () => {
    server.document = await jwks(current);
    const verifier = verifierOn(store());
    await verifier.verify(await sign(current));
    clock += MIN_REFRESH_MS;
    expect(await reason(verifier, await sign(rsaKeyPair(current.kid)))).toBe('invalid signature');
    expect(server.requests).toBe(1);
  });

  test('keys are refetched once older than the TTL, not before', async () => {
    server.document = await jwks(current);
    const keys = store();
    expect((await keys.getKeys()).map((key) => key.kid)).toEqual(['key-current']);

    server.document = await jwks(next);
    clock += TTL_SECONDS * 1000 - 1;
    expect((await keys.getKeys()).map((key) => key.kid)).toEqual(['key-current']);
    expect(server.requests).toBe(1);

    clock += 1;
    expect((await keys.getKeys()).map((key) => key.kid)).toEqual(['key-next']);
    expect(server.requests).toBe(2);
  });

  test.each([
    ['an HTTP error', (s: KeyServer) => (s.status = 500)],
    ['a body that is not JSON', (s: KeyServer) => (s.rawBody = '<html>oops</html>')],
    ['a document without keys', (s: KeyServer) => (s.document = { keys: [] })],
  ])('a refresh that meets %s keeps the old keys and backs off', async (_, breakServer) => {
    server.document = await jwks(current);
    const verifier = verifierOn(store());
    await verifier.verify(await sign(current));

    breakServer(server);
    clock += TTL_SECONDS * 1000;
    expect((await verifier.verify(await sign(current, { sub: 'still-ok' }))).subject).toBe('still-ok');
    expect(server.requests).toBe(2);
    expect(warnings).toHaveLength(1);

    // Stale keys are served without hitting the broken server on every request.
    await verifier.verify(await sign(current));
    expect(server.requests).toBe(2);

    server.status = 200;
    server.rawBody = undefined;
    server.document = await jwks(next);
    clock += MIN_REFRESH_MS;
    expect((await verifier.verify(await sign(next))).subject).toBe('alice');
    expect(server.requests).toBe(3);
  });

  test('a first load that fails rejects tokens, then recovers once the server does', async () => {
    server.status = 503;
    const keys = store();
    const verifier = verifierOn(keys);
    expect(await reason(verifier, await sign(current))).toBe('signing keys unavailable');
    await expect(keys.getKeys()).rejects.toBeInstanceOf(ConfigError);

    server.status = 200;
    server.document = await jwks(current);
    clock += MIN_REFRESH_MS;
    expect((await verifier.verify(await sign(current))).subject).toBe('alice');
  });

  test('a key server that does not answer fails the load after the fetch timeout', async () => {
    server.hang = true;
    const error = await store({ fetchTimeoutMs: 200 })
      .getKeys()
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(url);
  });

  test('reload() fetches at once; when it fails the old keys stay in use', async () => {
    server.document = await jwks(current);
    const keys = store();
    const verifier = verifierOn(keys);
    await verifier.verify(await sign(current));

    server.document = await jwks(next);
    await keys.reload();
    expect(server.requests).toBe(2);
    expect((await verifier.verify(await sign(next))).subject).toBe('alice');

    server.status = 500;
    await expect(keys.reload()).rejects.toBeInstanceOf(ConfigError);
    expect((await verifier.verify(await sign(next))).subject).toBe('alice');
  });
});
