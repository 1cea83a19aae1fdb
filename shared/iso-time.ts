const DAY_MS = 86_400_000;
/** The largest distance from the epoch a Date can hold, either way (ECMAScript's TimeClip). */
const MAX_DATE_MS = 8.64e15;

/** Zero-padded digits for the time of day: two for hours, minutes and seconds, three for milliseconds. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, value) => String(value).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, value) => String(value).padStart(3, '0'));

let cachedDayStart = Number.NaN;
/** `YYYY-MM-DDT` of the cached day, as toISOString writes it (six digits and a sign beyond 9999). */
let cachedDayPrefix = '';

/**
 * `new Date(ms).toISOString()`, the same text for every time, at a fraction of its cost:
 * Date#toISOString measured 0.70 µs per call, more than the derived event id and about 4% of what
 * the ingest handler spends on a single event. The date part is written by toISOString once per UTC
 * day and kept; the time of day is put together from tables.
 */
export function isoTimestamp(ms: number): string {
  // Fractions and times beyond a Date's range (a RangeError) are left to toISOString itself.
  if (!Number.isInteger(ms) || ms > MAX_DATE_MS || ms < -MAX_DATE_MS) return new Date(ms).toISOString();
  const dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
  if (dayStart !== cachedDayStart) {
    const iso = new Date(dayStart).toISOString();
    cachedDayPrefix = iso.slice(0, iso.indexOf('T') + 1);
    cachedDayStart = dayStart;
  }
  const ofDay = ms - dayStart;
  const seconds = Math.floor(ofDay / 1000);
  return (
    `${cachedDayPrefix}${TWO_DIGITS[Math.floor(seconds / 3600)] as string}:` +
    `${TWO_DIGITS[Math.floor(seconds / 60) % 60] as string}:${TWO_DIGITS[seconds % 60] as string}.` +
    `${THREE_DIGITS[ofDay % 1000] as string}Z`
  );
}
