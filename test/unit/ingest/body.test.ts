import { MAX_NESTING_DEPTH, parseEventsBody, structuralProblem } from '../../../shared/ingest/body';

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
});
