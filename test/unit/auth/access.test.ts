import {
  authorize,
  casefold,
  compileFullMatch,
  parseAccessMap,
  topicsInAccessMap,
  type AccessDecision,
} from '../../../shared/auth/access';
import { ConfigError } from '../../../shared/config/errors';

const map = parseAccessMap(
  {
    'Public.CPS.za.Runs': ['FooUser', 'svc-runs'],
    'public.cps.za.test': {
      TestUser: {},
      Restricted: { source_app: ['^ingest-[a-z]+$', 'curate'], tenant_id: ['T\\d{3}'] },
      Numbers: { count: ['\\d+'], flag: ['true'] },
    },
    'public.empty': [],
  },
  'access.json',
);

const allowed: AccessDecision = { allowed: true };

function configErrorFor(doc: unknown): string {
  try {
    parseAccessMap(doc, 's3://bucket/access.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseAccessMap', () => {
  test('lists the topics lowercased', () => {
    expect(topicsInAccessMap(map)).toEqual(['public.cps.za.runs', 'public.cps.za.test', 'public.empty']);
  });

  test.each([
    ['a non-object document', ['topic']],
    ['a topic mapped to a string', { t: 'alice' }],
    ['a non-string user in the list form', { t: ['alice', 7] }],
    ['an empty user name', { t: [''] }],
    ['restrictions that are not an object', { t: { alice: ['f'] } }],
    ['patterns that are not a list', { t: { alice: { f: 'x' } } }],
    ['a pattern that is not a string', { t: { alice: { f: [1] } } }],
    ['topics that differ only by case', { Topic: ['a'], topic: ['b'] }],
    ['users that differ only by case', { t: { Alice: {}, alice: { f: ['x'] } } }],
  ])('rejects %s', (_, doc) => {
    expect(configErrorFor(doc)).toContain('s3://bucket/access.json');
  });

  test('an invalid regex names the source, topic, user and field', () => {
    const message = configErrorFor({ 'orders.created': { Alice: { region: ['eu-(west'] } } });
    expect(message).toContain('s3://bucket/access.json');
    expect(message).toContain("topic 'orders.created'");
    expect(message).toContain("user 'Alice'");
    expect(message).toContain("field 'region'");
  });

  test('letter escapes that would silently change meaning are refused', () => {
    expect(() => compileFullMatch('\\p{L}\\-x', 'here')).toThrow(ConfigError);
    expect(() => compileFullMatch('\\e', 'here')).toThrow(ConfigError);
  });
});

describe('compileFullMatch', () => {
  test('anchors for a full match, even across alternation', () => {
    const pattern = compileFullMatch('abc|xyz', 'here');
    expect(pattern.test('abc')).toBe(true);
    expect(pattern.test('xyz')).toBe(true);
    expect(pattern.test('abcd')).toBe(false);
    expect(pattern.test('0xyz')).toBe(false);
  });

  test('accepts Python spellings: named groups, \\A, \\Z and escaped punctuation', () => {
    const named = compileFullMatch('(?P<cc>[a-z]{2})-(?P=cc)', 'here');
    expect(named.test('za-za')).toBe(true);
    expect(named.test('za-uk')).toBe(false);
    expect(compileFullMatch('\\Aabc\\Z', 'here').test('abc')).toBe(true);
    const punctuation = compileFullMatch('run\\-\\d+\\:ok', 'here');
    expect(punctuation.test('run-12:ok')).toBe(true);
    expect(punctuation.test('run-12:okay')).toBe(false);
  });

  test('a trailing newline is not allowed by $', () => {
    expect(compileFullMatch('abc', 'here').test('abc\n')).toBe(false);
  });
});

describe('authorize', () => {
  test('a listed user is allowed, matched case-insensitively on subject and topic', () => {
    expect(authorize(map, 'public.cps.za.runs', 'FooUser', {})).toEqual(allowed);
    expect(authorize(map, 'PUBLIC.cps.za.runs', 'foouser', {})).toEqual(allowed);
    expect(authorize(map, 'public.cps.za.runs', 'SVC-RUNS', {})).toEqual(allowed);
    expect(authorize(map, 'public.cps.za.test', 'testuser', { anything: 1 })).toEqual(allowed);
  });

  test('an unlisted user is refused with type auth', () => {
    expect(authorize(map, 'public.cps.za.runs', 'mallory', {})).toEqual({
      allowed: false,
      type: 'auth',
      message: "User 'mallory' is not authorized for topic 'public.cps.za.runs'",
    });
  });

  test('a token without subject is refused', () => {
    const decision = authorize(map, 'public.cps.za.runs', null, {});
    expect(decision).toMatchObject({ allowed: false, type: 'auth' });
  });

  test('a topic absent from the map, or with no users, admits nobody', () => {
    expect(authorize(map, 'public.unknown', 'FooUser', {})).toMatchObject({ allowed: false, type: 'auth' });
    expect(authorize(map, 'public.empty', 'FooUser', {})).toMatchObject({ allowed: false, type: 'auth' });
  });

  test('a restricted user must satisfy every restricted field with a full match', () => {
    const ok = { source_app: 'ingest-app', tenant_id: 'T123' };
    expect(authorize(map, 'public.cps.za.test', 'restricted', ok)).toEqual(allowed);
    expect(authorize(map, 'public.cps.za.test', 'RESTRICTED', { ...ok, source_app: 'curate' })).toEqual(
      allowed,
    );
    for (const value of ['curated', 'xcurate', 'ingest-App', 'ingest-app\n']) {
      expect(authorize(map, 'public.cps.za.test', 'Restricted', { ...ok, source_app: value })).toEqual({
        allowed: false,
        type: 'permission',
        message: "Field 'source_app' value not permitted for user 'Restricted'",
      });
    }
    expect(authorize(map, 'public.cps.za.test', 'Restricted', { ...ok, tenant_id: 'T1234' })).toMatchObject({
      allowed: false,
      type: 'permission',
    });
  });

  test('a missing or null restricted field is refused', () => {
    const expected = {
      allowed: false,
      type: 'permission',
      message: "Required field 'tenant_id' missing from message",
    };
    expect(authorize(map, 'public.cps.za.test', 'Restricted', { source_app: 'curate' })).toEqual(expected);
    expect(
      authorize(map, 'public.cps.za.test', 'Restricted', { source_app: 'curate', tenant_id: null }),
    ).toEqual(expected);
    expect(authorize(map, 'public.cps.za.test', 'Restricted', ['curate'])).toMatchObject({
      type: 'permission',
    });
  });

  test('numbers and booleans are matched as text', () => {
    expect(authorize(map, 'public.cps.za.test', 'numbers', { count: 42, flag: true })).toEqual(allowed);
    expect(authorize(map, 'public.cps.za.test', 'numbers', { count: 4.5, flag: true })).toMatchObject({
      allowed: false,
      message: "Field 'count' value not permitted for user 'Numbers'",
    });
    expect(authorize(map, 'public.cps.za.test', 'numbers', { count: 1, flag: false })).toMatchObject({
      allowed: false,
    });
  });

  test('inherited properties do not count as fields', () => {
    const inherited = parseAccessMap({ t: { u: { constructor: ['.*'] } } }, 'doc');
    expect(authorize(inherited, 't', 'u', {})).toMatchObject({ allowed: false, type: 'permission' });
    expect(authorize(inherited, 't', 'u', { constructor: 'x' })).toEqual(allowed);
  });

  test('Unicode subjects fold like Python casefold for sharp s and final sigma', () => {
    expect(casefold('STRASSE')).toBe(casefold('Straße'));
    expect(casefold('ΟΔΟΣ')).toBe(casefold('οδοσ'));
    const unicode = parseAccessMap({ t: ['Straße', 'ÉLODIE'] }, 'doc');
    expect(authorize(unicode, 't', 'STRASSE', {})).toEqual(allowed);
    expect(authorize(unicode, 't', 'élodie', {})).toEqual(allowed);
    // Dotless i is a different letter; folding must not turn it into "i".
    expect(authorize(parseAccessMap({ t: ['admin'] }, 'doc'), 't', 'admın', {})).toMatchObject({
      allowed: false,
    });
  });

  test('folds each value anew when it differs from the one before, and the same when it repeats', () => {
    const values = ['Straße', 'Straße', 'ΟΔΟΣ', 'Straße', '', 'ABC', 'ABC', ''];
    expect(values.map((value) => casefold(value))).toEqual([
      'strasse',
      'strasse',
      'οδοσ',
      'strasse',
      '',
      'abc',
      'abc',
      '',
    ]);
  });
});
