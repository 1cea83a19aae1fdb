import { AuthError } from '../../../shared/auth/auth-error';
import { checkCriticalHeader, decodeJsonSegment, readCompactJws } from '../../../shared/auth/jws';
import { b64url } from './fixtures';

describe('readCompactJws', () => {
  test('splits the token and keeps the signing input exactly as sent', () => {
    const header = b64url(JSON.stringify({ alg: 'RS256', kid: 'k' }));
    const payload = b64url(JSON.stringify({ sub: 'a' }));
    const jws = readCompactJws(`${header}.${payload}.c2ln`);
    expect(jws.header).toEqual({ alg: 'RS256', kid: 'k' });
    expect(jws.signingInput).toBe(`${header}.${payload}`);
    expect(jws.payloadSegment).toBe(payload);
    expect(jws.signatureSegment).toBe('c2ln');
  });

  test('a header that is empty, not JSON or not an object is a malformed header', () => {
    for (const header of [
      '',
      b64url('not json'),
      b64url('[]'),
      b64url('null'),
      b64url('"RS256"'),
      b64url('{'),
    ]) {
      expect(() => readCompactJws(`${header}.e30.`)).toThrow(new AuthError('malformed token header'));
    }
  });
});

describe('readCompactJws with the header before it', () => {
  const rs = b64url(JSON.stringify({ alg: 'RS256', kid: 'k', crit: ['b64'], b64: true }));
  const es = b64url(JSON.stringify({ alg: 'ES256', kid: 'e' }));

  test('a header seen on the token before decodes the same, and cannot be changed through the result', () => {
    const first = readCompactJws(`${rs}.e30.`).header;
    const again = readCompactJws(`${rs}.eyJhIjoxfQ.c2ln`).header;
    expect(again).toEqual({ alg: 'RS256', kid: 'k', crit: ['b64'], b64: true });
    expect(again).toEqual(first);
    expect(Object.isFrozen(again)).toBe(true);
    expect(Object.isFrozen(again.crit)).toBe(true);
  });

  test('headers that alternate are each decoded as themselves', () => {
    for (let round = 0; round < 3; round++) {
      expect(readCompactJws(`${rs}.e30.`).header.alg).toBe('RS256');
      expect(readCompactJws(`${es}.e30.`).header).toEqual({ alg: 'ES256', kid: 'e' });
      expect(() => readCompactJws(`${b64url('[]')}.e30.`)).toThrow(new AuthError('malformed token header'));
    }
  });
});

describe('decodeJsonSegment', () => {
  test('non-ASCII text decodes as UTF-8, and bytes that are not UTF-8 become U+FFFD, as with TextDecoder', () => {
    expect(decodeJsonSegment(b64url('{"sub":"Zoë 名前 😀"}'))).toEqual({ sub: 'Zoë 名前 😀' });
    const invalid = Buffer.concat([
      Buffer.from('{"sub":"a'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('b"}'),
    ]);
    expect(decodeJsonSegment(invalid.toString('base64url'))).toEqual({
      sub: JSON.parse(new TextDecoder().decode(invalid)).sub,
    });
    expect(decodeJsonSegment(invalid.toString('base64url'))).toEqual({ sub: 'a\uFFFD(\uFFFDb' });
  });

  test('decodes objects only', () => {
    expect(decodeJsonSegment(b64url('{"a":1}'))).toEqual({ a: 1 });
    for (const segment of ['', b64url('[]'), b64url('1'), b64url('nope')]) {
      expect(decodeJsonSegment(segment)).toBeUndefined();
    }
  });

  test('a leading byte-order mark is dropped, as jose dropped it', () => {
    expect(decodeJsonSegment(b64url('\uFEFF{"a":1}'))).toEqual({ a: 1 });
  });

  test('a __proto__ member stays data and does not change the prototype', () => {
    const decoded = decodeJsonSegment(b64url('{"__proto__":{"admin":true}}'));
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect((decoded as { admin?: unknown }).admin).toBeUndefined();
  });
});

describe('checkCriticalHeader', () => {
  const reason = (header: Record<string, unknown>): string | undefined => {
    try {
      checkCriticalHeader(header);
      return undefined;
    } catch (error) {
      return (error as AuthError).message;
    }
  };

  test('no crit: nothing to check, the payload is encoded', () => {
    expect(checkCriticalHeader({ alg: 'RS256', b64: false })).toEqual({ unencodedPayload: false });
  });

  test('crit must be a non-empty list of non-empty strings', () => {
    for (const crit of [[], 'b64', null, [''], [5], {}])
      expect(reason({ crit, b64: true })).toBe('malformed token');
  });

  test('only b64 is understood; any other name is refused, in the order listed', () => {
    expect(reason({ crit: ['x-custom'], 'x-custom': 1 })).toBe('invalid token');
    expect(reason({ crit: ['x', 'b64'], x: 1, b64: true })).toBe('invalid token');
    expect(reason({ crit: ['b64', 'x'], x: 1 })).toBe('malformed token');
  });

  test('b64 named critical must be present and a boolean', () => {
    expect(reason({ crit: ['b64'] })).toBe('malformed token');
    expect(reason({ crit: ['b64'], b64: 'false' })).toBe('malformed token');
    expect(checkCriticalHeader({ crit: ['b64'], b64: true })).toEqual({ unencodedPayload: false });
    expect(checkCriticalHeader({ crit: ['b64'], b64: false })).toEqual({ unencodedPayload: true });
  });
});
