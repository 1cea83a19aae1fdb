import { createRouter } from '../../../shared/http/router';

const ROUTES = [
  { path: '/topics', methods: ['GET'] },
  { path: '/topics/{topic}', methods: ['GET', 'POST', 'OPTIONS'] },
  { path: '/topics/{topic}/versions/{version}', methods: ['GET'] },
] as const;

describe('createRouter', () => {
  test('matches paths, decodes parameters, serves HEAD as GET and names the allowed methods', () => {
    const match = createRouter(ROUTES);
    expect(match('POST', '/topics/a%2Eb')).toEqual({
      kind: 'found',
      path: '/topics/{topic}',
      method: 'POST',
      params: { topic: 'a.b' },
      allow: ['GET', 'POST', 'OPTIONS'],
    });
    expect(match('POST', '/topics/%E0%A4%A')).toMatchObject({ params: { topic: '%E0%A4%A' } });
    expect(match('HEAD', '/topics/x/versions/2/')).toMatchObject({
      method: 'GET',
      params: { topic: 'x', version: '2' },
    });
    expect(match('DELETE', '/topics')).toEqual({ kind: 'method-not-allowed', allow: ['GET'] });
    expect(match('GET', '/nowhere')).toEqual({ kind: 'not-found' });
  });

  test('the same request again gets the same answer, which cannot be changed by whoever holds it', () => {
    const match = createRouter(ROUTES);
    const first = match('POST', '/topics/orders');
    const again = match('POST', `/topics/${'orders'}`);
    expect(again).toBe(first);
    expect(Object.isFrozen(again)).toBe(true);
    if (again.kind !== 'found') throw new Error('expected a match');
    expect(Object.isFrozen(again.params)).toBe(true);
    expect(() => {
      (again.params as Record<string, string>).topic = 'other';
    }).toThrow(TypeError);
  });

  test('requests that alternate are each matched as themselves', () => {
    const match = createRouter(ROUTES);
    for (let round = 0; round < 3; round++) {
      expect(match('POST', '/topics/a')).toMatchObject({ kind: 'found', params: { topic: 'a' } });
      expect(match('GET', '/topics/a')).toMatchObject({ kind: 'found', method: 'GET' });
      expect(match('PUT', '/topics/a')).toEqual({
        kind: 'method-not-allowed',
        allow: ['GET', 'POST', 'OPTIONS'],
      });
      expect(match('POST', '/topics/b')).toMatchObject({ kind: 'found', params: { topic: 'b' } });
      expect(match('POST', '/topics/b/x')).toEqual({ kind: 'not-found' });
    }
  });
});
