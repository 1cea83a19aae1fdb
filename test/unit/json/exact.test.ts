import {
  holdsUnsafeInteger,
  isRawJson,
  numericView,
  parseJson,
  parseJsonExact,
  scalarText,
} from '../../../shared/json/exact';

describe('integers beyond 2^53, digit for digit', () => {
  it('keeps every integer literal a double cannot hold, and writes it back unchanged', () => {
    const text =
      '{"a":9007199254740993,"b":[12345678901234567890,-99999999999999999999],"c":{"d":18446744073709551615},"safe":9007199254740991,"f":1.5,"e":1e20,"g":12345678901234567890.5}';
    const { value, keptIntegers } = parseJsonExact(text);
    expect(keptIntegers).toBe(true);
    // Floats are doubles: 1e20 and 12345678901234567890.5 come back as doubles write them.
    expect(JSON.stringify(value)).toBe(
      '{"a":9007199254740993,"b":[12345678901234567890,-99999999999999999999],"c":{"d":18446744073709551615},"safe":9007199254740991,"f":1.5,"e":100000000000000000000,"g":12345678901234567000}',
    );
    const record = value as Record<string, unknown>;
    expect(isRawJson(record.a)).toBe(true);
    expect(record.safe).toBe(9007199254740991);
  });

  it('parses twice only when a parsed number is an integer beyond 2^53', () => {
    expect(holdsUnsafeInteger(JSON.parse('{"ts":1700000000000,"id":"12345678901234567890"}'))).toBe(false);
    expect(holdsUnsafeInteger(JSON.parse('{"a":[{"n":9007199254740992}]}'))).toBe(true);
    // A float that happens to be integral is parsed again, harmlessly.
    expect(holdsUnsafeInteger(JSON.parse('{"e":1e20}'))).toBe(true);
    expect(JSON.stringify(parseJson('{"e":1e20,"n":12345678901234567890}'))).toBe(
      '{"e":100000000000000000000,"n":12345678901234567890}',
    );
    expect(parseJson('{"ts":1700000000000}')).toEqual({ ts: 1700000000000 });
    expect(parseJsonExact('{"id":"12345678901234567890"}')).toEqual({
      value: { id: '12345678901234567890' },
      keptIntegers: false,
    });
  });

  it('leaves an integer too large for a double as Infinity, for the caller to refuse', () => {
    const { value } = parseJsonExact(`{"n":1${'0'.repeat(400)}}`);
    expect((value as { n: unknown }).n).toBe(Infinity);
  });

  it('keeps __proto__ keys as plain data on the careful path', () => {
    const value = parseJson('{"__proto__":{"polluted":12345678901234567890}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('gives validation the numbers, copying only what holds a kept integer', () => {
    const { value } = parseJsonExact(
      '{"big":12345678901234567890,"list":[1,9007199254740993],"other":{"x":1},"__proto__":{"y":18446744073709551615}}',
    );
    const viewed = numericView(value) as Record<string, unknown>;
    expect(viewed.big).toBe(Number('12345678901234567890'));
    expect(viewed.list).toEqual([1, 9007199254740992]);
    expect(viewed.other).toBe((value as Record<string, unknown>).other);
    expect(Object.hasOwn(viewed, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(viewed)).toBe(Object.prototype);
    // The original still writes the digits.
    expect(JSON.stringify(value)).toContain('"big":12345678901234567890');
    const plain = { a: 1 };
    expect(numericView(plain)).toBe(plain);
  });

  it('gives a kept integer’s digits as its scalar text', () => {
    const { value } = parseJsonExact('{"k":12345678901234567890}');
    expect(scalarText((value as { k: unknown }).k)).toBe('12345678901234567890');
    expect(scalarText(12)).toBe('12');
    expect(scalarText({})).toBeNull();
  });
});
