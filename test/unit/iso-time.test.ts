import { isoTimestamp } from '../../shared/iso-time';

const DAY_MS = 86_400_000;
const MAX_DATE_MS = 8.64e15;

/** A deterministic generator, so that a failure names a time that can be found again. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function expectSameAsDate(ms: number): void {
  expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
}

describe('isoTimestamp', () => {
  it('writes what Date#toISOString writes, across the whole range of a Date', () => {
    const next = generator(7);
    for (let index = 0; index < 20_000; index++) {
      expectSameAsDate(Math.floor((next() * 2 - 1) * MAX_DATE_MS));
    }
  });

  it('writes what Date#toISOString writes around now, millisecond by millisecond and day by day', () => {
    const now = Date.now();
    for (let ms = now - 5_000; ms < now + 5_000; ms++) expectSameAsDate(ms);
    const next = generator(11);
    for (let index = 0; index < 20_000; index++)
      expectSameAsDate(now + Math.floor((next() - 0.5) * 400 * DAY_MS));
  });

  it('is right at the edges: midnights, the epoch, years 0 and 9999 and beyond, the largest times', () => {
    const edges = [0, -1, 1, DAY_MS - 1, DAY_MS, -DAY_MS, -DAY_MS - 1, MAX_DATE_MS, -MAX_DATE_MS];
    const years = [-1, 0, 1, 1969, 1970, 2000, 2024, 9999, 10_000, 275_000];
    for (const year of years) {
      // setUTCFullYear, not Date.UTC, which reads years 0 to 99 as 1900 to 1999.
      const start = new Date(0).setUTCFullYear(year, 0, 1);
      const leapDayEnd = new Date(0).setUTCFullYear(year, 1, 29) + DAY_MS - 1;
      edges.push(start - 1, start, start + 1, start + DAY_MS - 1, leapDayEnd);
    }
    for (const ms of edges) {
      expectSameAsDate(ms);
      // Again after another day has been cached.
      expectSameAsDate(ms);
    }
  });

  it('leaves fractions and times a Date cannot hold to Date#toISOString', () => {
    expectSameAsDate(1_700_000_000_000.75);
    expectSameAsDate(-1_700_000_000_000.25);
    expect(() => isoTimestamp(MAX_DATE_MS + 1)).toThrow(RangeError);
    expect(() => isoTimestamp(Number.NaN)).toThrow(RangeError);
  });
});
