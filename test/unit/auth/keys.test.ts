import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK } from 'jose';
import { ConfigError } from '../../../shared/config/errors';
import { KeyStore, parseKeyDocument } from '../../../shared/auth/keys';
import { derBase64, ecKeyPair, jwks, pem, publicJwk, pythonKeys, rsaKeyPair } from './fixtures';

const rsa = rsaKeyPair('rsa-a');
const rsaB = rsaKeyPair('rsa-b');
const ec = ecKeyPair('ec-a');

async function configError(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

describe('parseKeyDocument', () => {
  test('reads the Python list form, keeping order and the key family', async () => {
    const keys = await parseKeyDocument(pythonKeys(rsa, rsaB), 'doc');
    expect(keys.map((key) => key.family)).toEqual(['RSA', 'RSA']);
    expect(keys[0]?.key.equals(rsa.publicKey)).toBe(true);
    expect(keys[1]?.key.equals(rsaB.publicKey)).toBe(true);
    expect(keys.every((key) => key.kid === undefined)).toBe(true);
  });

  test('reads the Python single-key form, PEM keys and DER EC keys', async () => {
    const [single] = await parseKeyDocument({ key: derBase64(rsa) }, 'doc');
    expect(single?.key.equals(rsa.publicKey)).toBe(true);
    const [fromPem, ecDer] = await parseKeyDocument(
      { keys: [{ key: pem(rsaB) }, { key: derBase64(ec) }] },
      'doc',
    );
    expect(fromPem?.key.equals(rsaB.publicKey)).toBe(true);
    expect(ecDer?.family).toBe('EC');
  });

  test('reads a JWKS with kids, skipping keys for other uses and algorithms', async () => {
    const doc = await jwks(rsa, ec);
    doc.keys.push({ ...(await publicJwk(rsaB)), use: 'enc' });
    doc.keys.push({ ...(await publicJwk(rsaB)), alg: 'PS256', kid: 'ps' });
    doc.keys.push({ ...(await exportJWK(ecKeyPair('p384', 'P-384').publicKey)), kid: 'p384' });
    doc.keys.push({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'ed' });
    const keys = await parseKeyDocument(doc, 'jwks');
    expect(keys.map((key) => [key.kid, key.family])).toEqual([
      ['rsa-a', 'RSA'],
      ['ec-a', 'EC'],
    ]);
  });

  test('imports only the public part of a JWK that leaks its private members', async () => {
    const privateJwk = { ...(await exportJWK(rsa.privateKey)), kid: 'leaky' };
    const [key] = await parseKeyDocument({ keys: [privateJwk] }, 'doc');
    expect(key?.key.type).toBe('public');
    expect(key?.key.equals(rsa.publicKey)).toBe(true);
  });

  test.each([
    ['not an object', []],
    ['null', null],
    ['no keys', {}],
    ['empty keys', { keys: [] }],
    ['key not a string', { key: 42 }],
    ['entry not an object', { keys: ['abc'] }],
    ['entry without key', { keys: [{}] }],
    ['garbage base64', { keys: [{ key: 'bm90IGEga2V5' }] }],
    ['JWKS of only unsupported keys', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }],
    ['broken RSA JWK', { keys: [{ kty: 'RSA', n: 'AQAB' }] }],
  ])('rejects %s', async (_, doc) => {
    expect(await configError(parseKeyDocument(doc, 'the-source'))).toContain('the-source');
  });

  test('rejects private keys, short RSA keys and EC keys off P-256 given as DER', async () => {
    const privatePem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(await configError(parseKeyDocument({ key: privatePem }, 'doc'))).toContain('private key');
    expect(await configError(parseKeyDocument(pythonKeys(rsaKeyPair('small', 1024)), 'doc'))).toContain(
      '2048',
    );
    expect(await configError(parseKeyDocument(pythonKeys(ecKeyPair('p384', 'P-384')), 'doc'))).toContain(
      'P-256',
    );
  });
});

describe('KeyStore sources', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'eventgate-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('needs a url or static keys', () => {
    expect(() => new KeyStore({})).toThrow(ConfigError);
  });

  test('loads a local path and a file:// URL', async () => {
    const file = path.join(dir, 'keys.json');
    await writeFile(file, JSON.stringify(await jwks(rsa)));
    for (const url of [file, pathToFileURL(file).href]) {
      const keys = await new KeyStore({ url }).getKeys();
      expect(keys.map((key) => key.kid)).toEqual(['rsa-a']);
    }
  });

  test('a first load that fails throws a ConfigError naming the source', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ not json');
    expect(await configError(new KeyStore({ url: file }).getKeys())).toContain(file);
    expect(await configError(new KeyStore({ url: path.join(dir, 'missing.json') }).getKeys())).toContain(
      'missing.json',
    );
  });

  test('static keys are parsed once and never refreshed', async () => {
    const store = new KeyStore({ keys: pythonKeys(rsa) });
    expect(await store.refreshForUnknownKey()).toBe(false);
    await store.reload();
    expect((await store.getKeys()).length).toBe(1);
    expect(await configError(new KeyStore({ keys: { nope: true } }).getKeys())).toContain('static keys');
  });
});
