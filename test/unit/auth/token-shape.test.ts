import { asCompactToken } from '../../../shared/auth/token-shape';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('asCompactToken', () => {
  test('three base64url segments, empty ones included, are a token', () => {
    for (const candidate of [TOKEN, '..', 'a.b.c', 'A-_z.09.-_'])
      expect(asCompactToken(candidate)).toBe(candidate);
  });

  test('anything else is not, also right after a token that passed', () => {
    for (const candidate of ['a.b', 'a.b.c.d', 'a.b.c=', 'a+b.c.d', 'a.b.c ', ' a.b.c', 'a.b.é', '']) {
      expect(asCompactToken(TOKEN)).toBe(TOKEN);
      expect(asCompactToken(candidate)).toBeNull();
    }
  });

  test('the same text checked again, as a new string, is answered alike', () => {
    expect(asCompactToken(TOKEN)).toBe(TOKEN);
    const copy = [...TOKEN].join('');
    expect(asCompactToken(copy)).toBe(TOKEN);
    expect(asCompactToken(`${TOKEN}!`)).toBeNull();
    expect(asCompactToken(copy)).toBe(TOKEN);
  });
});
