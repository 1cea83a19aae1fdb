import type { JWTPayload } from 'jose';
import { AuthError } from '../../../shared/auth/auth-error';
import { checkClaims, type ClaimRules } from '../../../shared/auth/claims';

const NOW_MS = 1_800_000_000_500;
const now = Math.floor(NOW_MS / 1000);

const rules = (overrides: Partial<ClaimRules> = {}): ClaimRules => ({
  clockToleranceSeconds: 0,
  maxLifetimeSeconds: 3600,
  issuedAtSkewSeconds: 60,
  ...overrides,
});

function reason(claims: JWTPayload, ruleSet: ClaimRules = rules()): string | undefined {
  try {
    checkClaims(claims, ruleSet, NOW_MS);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return (error as AuthError).message;
  }
}

const valid = { iat: now, exp: now + 600 };

describe('checkClaims', () => {
  test('a token within its lifetime passes', () => {
    expect(reason(valid)).toBeUndefined();
    expect(reason({ exp: now + 3600 })).toBeUndefined();
  });

  test('issuer and audience: presence of both is checked before either value', () => {
    const strict = rules({ issuer: 'https://idp', audience: 'eventgate' });
    expect(reason({ ...valid, aud: 'eventgate' }, strict)).toBe('wrong issuer');
    expect(reason({ ...valid, iss: 'https://evil' }, strict)).toBe('wrong audience');
    expect(reason({ ...valid, iss: 'https://evil', aud: 'eventgate' }, strict)).toBe('wrong issuer');
    expect(reason({ ...valid, iss: 'https://idp', aud: ['x', 'eventgate'] }, strict)).toBeUndefined();
    expect(reason({ ...valid, iss: 'https://idp', aud: ['x'] }, strict)).toBe('wrong audience');
    expect(reason({ ...valid, iss: 'https://idp', aud: 5 as unknown as string }, strict)).toBe(
      'wrong audience',
    );
  });

  test('an audience list accepts a token holding any of its values', () => {
    const either = rules({ audience: ['a', 'b'] });
    expect(reason({ ...valid, aud: 'b' }, either)).toBeUndefined();
    expect(reason({ ...valid, aud: ['c', 'a'] }, either)).toBeUndefined();
    expect(reason({ ...valid, aud: 'c' }, either)).toBe('wrong audience');
  });

  test('time claims of the wrong type', () => {
    expect(reason({ ...valid, iat: 'now' as unknown as number })).toBe('invalid iat claim');
    expect(reason({ ...valid, nbf: 'now' as unknown as number })).toBe('token not yet valid');
    expect(reason({ ...valid, exp: 'later' as unknown as number })).toBe('invalid exp claim');
    expect(reason({ ...valid, exp: null as unknown as number })).toBe('invalid exp claim');
  });

  test('exp and nbf in whole seconds, with the clock tolerance', () => {
    expect(reason({ iat: now - 10, exp: now })).toBe('token expired');
    expect(reason({ iat: now - 10, exp: now + 1 })).toBeUndefined();
    expect(reason({ ...valid, nbf: now + 1 })).toBe('token not yet valid');
    expect(reason({ ...valid, nbf: now })).toBeUndefined();
    const tolerant = rules({ clockToleranceSeconds: 30 });
    expect(reason({ iat: now - 100, exp: now - 29 }, tolerant)).toBeUndefined();
    expect(reason({ ...valid, nbf: now + 30 }, tolerant)).toBeUndefined();
  });

  test('every token expires, within the maximum lifetime, and is not issued in the future', () => {
    expect(reason({ iat: now })).toBe('token has no expiry (exp)');
    expect(reason({})).toBe('token has no expiry (exp)');
    expect(reason({ iat: now, exp: now + 3601 })).toBe('token lifetime over 3600 s');
    expect(reason({ exp: now + 3601 })).toBe('token lifetime over 3600 s');
    expect(reason({ iat: now + 61, exp: now + 600 })).toBe('token issued in the future (iat)');
    expect(reason({ iat: now + 59, exp: now + 600 })).toBeUndefined();
  });
});
