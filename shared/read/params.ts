/** Reading the read API's parameters; every problem becomes a message for a 400. */
export class BadReadRequest extends Error {
  override readonly name = 'BadReadRequest';
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** `since` / `until`: epoch milliseconds or an RFC 3339 date-time. */
export function parseInstant(value: string | undefined, name: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  let millis: number;
  if (/^\d{1,15}$/.test(value)) millis = Number(value);
  else if (DATE_TIME.test(value)) millis = Date.parse(value);
  else throw new BadReadRequest(`'${name}' must be epoch milliseconds or an RFC 3339 date-time`);
  if (!Number.isFinite(millis) || Number.isNaN(new Date(millis).getTime())) {
    throw new BadReadRequest(`'${name}' is not a valid time`);
  }
  return new Date(millis);
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** A page size: a positive integer, at most MAX_PAGE_SIZE (larger values are refused, not clamped). */
export function parseLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE_SIZE) {
    throw new BadReadRequest(`'limit' must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return Number(value);
}
