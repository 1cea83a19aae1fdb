import {
  isJsonContentType,
  MAX_NESTING_DEPTH,
  parseEventsBody,
  structuralProblem,
} from '../../../shared/ingest/body';

describe('request bodies', () => {
  it('takes an object as one event and an array as a batch', () => {
    expect(parseEventsBody(Buffer.from('{"a":1}'), 'application/json')).toEqual({
      ok: true,
      events: [{ a: 1 }],
      batch: false,
      keptIntegers: false,
    });
    expect(parseEventsBody(Buffer.from('[{"a":1},{"b":2}]'), undefined)).toMatchObject({
      ok: true,
      batch: true,
    });
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    const deep = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
    expect(structuralProblem(JSON.parse(deep(MAX_NESTING_DEPTH)))).toBeNull();
    expect(structuralProblem(JSON.parse(deep(MAX_NESTING_DEPTH + 1)))).toMatch(/nests deeper/);
    const result = parseEventsBody(Buffer.from(`{"a":${deep(100_000)}}`), 'application/json');
    expect(result).toMatchObject({ ok: false, status: 400 });
  });

  it('refuses numbers too large for a double', () => {
    expect(parseEventsBody(Buffer.from('{"n":1e999}'), 'application/json')).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(parseEventsBody(Buffer.from('{"n":-1e999}'), 'application/json')).toMatchObject({
      ok: false,
      status: 400,
    });
  });

  it('answers 415 for a non-JSON content type and accepts +json types with parameters', () => {
    expect(parseEventsBody(Buffer.from('{}'), 'application/x-www-form-urlencoded')).toMatchObject({
      status: 415,
    });
    expect(parseEventsBody(Buffer.from('{}'), 'application/vnd.eventgate+json; charset=utf-8')).toMatchObject(
      {
        ok: true,
      },
    );
  });

  it('decodes each body afresh: a body of bad UTF-8 does not spoil the next, and a leading BOM is dropped', () => {
    const invalidUtf8 = { ok: false, status: 400, error: { message: 'Request body is not valid UTF-8' } };
    expect(parseEventsBody(Buffer.from([0x7b, 0xff, 0x7d]), 'application/json')).toMatchObject(invalidUtf8);
    // A sequence cut short at the end of the body, then a body that starts with a continuation byte.
    expect(parseEventsBody(Buffer.from([0x7b, 0xe2, 0x82]), 'application/json')).toMatchObject(invalidUtf8);
    expect(parseEventsBody(Buffer.from([0xac, 0x7b, 0x7d]), 'application/json')).toMatchObject(invalidUtf8);
    expect(parseEventsBody(Buffer.from('{"a":"€"}'), 'application/json')).toMatchObject({
      events: [{ a: '€' }],
    });
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);
    expect(parseEventsBody(withBom, 'application/json')).toMatchObject({ ok: true, events: [{ a: 1 }] });
  });

  it('reads application/json in any case and with parameters as JSON', () => {
    for (const type of [
      'application/json',
      'Application/JSON',
      'application/json; charset=utf-8',
      ' application/json ',
    ]) {
      expect(isJsonContentType(type)).toBe(true);
    }
    for (const type of ['application/jsonx', 'text/json', 'application/json+', 'application/+json']) {
      expect(isJsonContentType(type)).toBe(false);
    }
  });
});
