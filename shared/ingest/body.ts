import type { ApiError } from '../http/response';

export type ParsedBody =
  { ok: true; events: unknown[]; batch: boolean } | { ok: false; status: 400 | 415; error: ApiError };

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/** JSON media types (`application/json`, `application/*+json`); a missing header is taken as JSON. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  const mediaType = header.split(';')[0]?.trim() ?? '';
  return JSON_MEDIA_TYPE.test(mediaType);
}

/** Deeper than any real event; deep enough nesting would overflow the stack of JSON.stringify and ajv. */
export const MAX_NESTING_DEPTH = 64;

/**
 * What JSON.parse lets through but an event must not hold: nesting beyond MAX_NESTING_DEPTH, and
 * numbers too large for a double (`1e999` parses as Infinity and would be stored as null). Iterative,
 * so the check itself cannot overflow.
 */
export function structuralProblem(value: unknown): string | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return 'Request body holds a number too large to represent';
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_NESTING_DEPTH) return `Request body nests deeper than ${MAX_NESTING_DEPTH} levels`;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (typeof child === 'object' || typeof child === 'number')
        stack.push({ value: child, depth: depth + 1 });
    }
  }
  return null;
}

function invalid(message: string): ParsedBody {
  return { ok: false, status: 400, error: { type: 'validation', message } };
}

/**
 * The body of a POST: one JSON object is one event, a JSON array is a batch. Everything else is the
 * client's mistake and gets a 4xx, never a 5xx.
 */
export function parseEventsBody(body: Buffer | null, contentType: string | undefined): ParsedBody {
  if (!isJsonContentType(contentType)) {
    return {
      ok: false,
      status: 415,
      error: { type: 'content_type', message: `Content-Type must be application/json, got '${contentType}'` },
    };
  }
  if (body === null || body.length === 0)
    return invalid('Request body is empty; send a JSON object or array');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return invalid('Request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return invalid(`Request body is not valid JSON: ${(error as Error).message}`);
  }
  const problem = structuralProblem(value);
  if (problem !== null) return invalid(problem);
  if (Array.isArray(value)) return { ok: true, events: value, batch: true };
  if (typeof value === 'object' && value !== null) return { ok: true, events: [value], batch: false };
  return invalid('Request body must be a JSON object (one event) or an array of objects (a batch)');
}
