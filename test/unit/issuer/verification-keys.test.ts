import { KeyStore, type VerificationKey } from '../../../shared/auth/keys';
import { TokenVerifier } from '../../../shared/auth/token';
import { KeysWithIssuer } from '../../../shared/issuer/verification-keys';
import { pythonKeys, rsaKeyPair, sign } from '../auth/fixtures';

const own = rsaKeyPair('issuer-own');
const outsideKey = rsaKeyPair('outside');
const rotated = rsaKeyPair('outside-rotated');
const ownKeys: VerificationKey[] = [{ kid: own.kid, family: 'RSA', key: own.publicKey }];

function outsideStore(served: () => unknown, fetched: { count: number }): KeyStore {
  return new KeyStore({
    url: 'https://keys.example/keys.json',
    minRefreshIntervalMs: 0,
    fetch: async () => {
      fetched.count++;
      return new Response(JSON.stringify(served()), { status: 200 });
    },
  });
}

describe('KeysWithIssuer', () => {
  test('serves one key set while neither part changes, and a new one when the outside keys rotate', async () => {
    let served: unknown = pythonKeys(outsideKey);
    const outside = outsideStore(() => served, { count: 0 });
    const keys = new KeysWithIssuer(ownKeys, outside);
    const first = await keys.getKeys();
    expect(await keys.getKeys()).toBe(first);
    expect(first.map((key) => key.kid)).toEqual([own.kid, undefined]);
    served = pythonKeys(rotated);
    await keys.reload();
    const second = await keys.getKeys();
    expect(second).not.toBe(first);
    expect(second[1]?.key.equals(rotated.publicKey)).toBe(true);
  });

  test('a token seen before is not verified again while the keys stay the same', async () => {
    const outside = outsideStore(() => pythonKeys(outsideKey), { count: 0 });
    const keys = new KeysWithIssuer(ownKeys, outside);
    const verifier = new TokenVerifier({ keys });
    const token = await sign(own, { sub: 'issued' });
    const first = await verifier.verify(token);
    // A remembered token answers with the very result of its first verification.
    expect(await verifier.verify(token)).toBe(first);
    const fromOutside = await sign(outsideKey, { sub: 'outside' }, { kid: false });
    const outsideFirst = await verifier.verify(fromOutside);
    expect(await verifier.verify(fromOutside)).toBe(outsideFirst);
  });

  test('without an outside store only the own keys are served', async () => {
    const keys = new KeysWithIssuer(ownKeys, null);
    expect(await keys.getKeys()).toBe(ownKeys);
  });

  test('keys at hand: the very set getKeys gives, once the outside keys are loaded', async () => {
    const outside = outsideStore(() => pythonKeys(outsideKey), { count: 0 });
    const keys = new KeysWithIssuer(ownKeys, outside);
    expect(keys.keysAtHand()).toBeUndefined();
    const loaded = await keys.getKeys();
    expect(keys.keysAtHand()).toBe(loaded);
    expect(new KeysWithIssuer(ownKeys, null).keysAtHand()).toBe(ownKeys);
  });
});
