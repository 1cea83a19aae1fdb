import { extractToken, MAX_TOKEN_BYTES } from '../../../shared/auth/token';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const OTHER = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.b3RoZXI';

describe('extractToken', () => {
  test.each([
    ['Authorization: Bearer', { authorization: `Bearer ${TOKEN}` }],
    ['lowercase scheme', { authorization: `bearer ${TOKEN}` }],
    ['uppercase scheme', { authorization: `BEARER ${TOKEN}` }],
    ['surrounding whitespace', { authorization: `  Bearer   ${TOKEN}  ` }],
    ['tab after the scheme', { authorization: `Bearer\t${TOKEN}` }],
    ['raw bearer header', { bearer: TOKEN }],
    ['raw bearer header with whitespace', { bearer: `  ${TOKEN}\t` }],
    ['raw bearer header that repeats the scheme', { bearer: `Bearer ${TOKEN}` }],
  ])('finds the token: %s', (_, headers) => {
    expect(extractToken(headers)).toBe(TOKEN);
  });

  test('the raw bearer header wins over Authorization', () => {
    expect(extractToken({ bearer: TOKEN, authorization: `Bearer ${OTHER}` })).toBe(TOKEN);
  });

  test('an empty raw bearer header falls back to Authorization', () => {
    expect(extractToken({ bearer: '  ', authorization: `Bearer ${OTHER}` })).toBe(OTHER);
  });

  test.each([
    ['no headers', {}],
    ['undefined values', { authorization: undefined, bearer: undefined }],
    ['Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['scheme without a token', { authorization: 'Bearer' }],
    ['scheme with only spaces', { authorization: 'Bearer    ' }],
    ['token without a scheme', { authorization: TOKEN }],
    ['scheme glued to the token', { authorization: `Bearer${TOKEN}` }],
    ['two tokens', { authorization: `Bearer ${TOKEN} ${OTHER}` }],
    ['not a compact JWS', { authorization: 'Bearer not-a-jwt' }],
    ['oversized token', { authorization: `Bearer ${TOKEN}${'A'.repeat(MAX_TOKEN_BYTES)}` }],
    ['oversized raw header', { bearer: `${TOKEN}${'A'.repeat(MAX_TOKEN_BYTES)}` }],
  ])('returns null: %s', (_, headers) => {
    expect(extractToken(headers as Record<string, string | undefined>)).toBeNull();
  });
});
