/**
 * Integers beyond 2^53 kept digit for digit.
 *
 * `JSON.parse` turns every number into a double, so `12345678901234567890` would come out as
 * `12345678901234567000`. Node 22's `JSON.parse` gives a reviver each number's source text, and
 * `JSON.rawJSON` makes a value that `JSON.stringify` writes back as exactly that text: an integer
 * literal a double cannot hold is kept as such a raw value, and every sink, which serialises the
 * event with `JSON.stringify`, writes the digits the client sent. Floats stay doubles.
 *
 * The reviver costs several times a plain parse, so text is parsed plainly first; only when the
 * result holds an integer beyond Number.MAX_SAFE_INTEGER (which the caller's walk over the value
 * notices, see `holdsUnsafeInteger`) is it parsed again with the reviver.
 */

/** What `JSON.rawJSON` returns: a frozen, null-prototype object that JSON.stringify writes as its text. */
export interface RawJson {
  readonly rawJSON: string;
}

interface ParseContext {
  source?: string;
}

/** The parts of Node 22's JSON that TypeScript's ES2022 library does not describe yet. */
interface JsonWithSource {
  parse(text: string, reviver: (key: string, value: unknown, context?: ParseContext) => unknown): unknown;
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): boolean;
}

const NativeJson = JSON as unknown as JsonWithSource;

const INTEGER_LITERAL = /^-?\d+$/;

/**
 * Whether a number from JSON.parse may stand for an integer literal a double cannot hold exactly:
 * integral and beyond ±(2^53 − 1). (A float literal such as `1e20` passes too; re-parsing it
 * changes nothing.)
 */
export function isUnsafeInteger(value: number): boolean {
  return Number.isInteger(value) && !Number.isSafeInteger(value);
}

/** Whether a parsed value holds a number that `isUnsafeInteger` flags. Iterative. */
export function holdsUnsafeInteger(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'number') {
      if (isUnsafeInteger(current)) return true;
    } else if (typeof current === 'object' && current !== null) {
      for (const child of Array.isArray(current) ? current : Object.values(current)) {
        if (typeof child === 'object' || typeof child === 'number') stack.push(child);
      }
    }
  }
  return false;
}

export function isRawJson(value: unknown): value is RawJson {
  return typeof value === 'object' && value !== null && NativeJson.isRawJSON(value);
}

export interface ExactParse {
  value: unknown;
  /** Whether any integer was kept as its source text (a RawJson value somewhere in `value`). */
  keptIntegers: boolean;
}

/**
 * `JSON.parse` with the reviver: an integer literal beyond ±(2^53 − 1) whose double is finite
 * becomes a RawJson holding its digits. Literals too large for a double (`1e999` written out) stay
 * Infinity, for the caller to refuse. Throws what JSON.parse throws. Several times slower than
 * JSON.parse: for text known to need it.
 */
export function parseJsonExact(text: string): ExactParse {
  let keptIntegers = false;
  const value = NativeJson.parse(text, (_key, parsed, context) => {
    if (typeof parsed !== 'number' || Number.isSafeInteger(parsed) || !Number.isFinite(parsed)) return parsed;
    const source = context?.source;
    if (source === undefined || !INTEGER_LITERAL.test(source)) return parsed;
    keptIntegers = true;
    return NativeJson.rawJSON(source);
  });
  return { value, keptIntegers };
}

/** JSON.parse, with integers beyond 2^53 kept digit for digit (parsed twice only when there are some). */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return holdsUnsafeInteger(value) ? parseJsonExact(text).value : value;
}

function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Plain assignment to a `__proto__` key would set the prototype instead of the property.
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * The value as validation should see it: every kept integer as the (nearest) double, so a schema's
 * `type: integer`, `minimum` or `maximum` treats it as the number it is. Only the objects on a path
 * to a kept integer are copied; the rest is shared, and a value without any is returned as it is.
 * Recursive: call it on values whose nesting is already bounded.
 */
export function numericView(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isRawJson(value)) return Number(value.rawJSON);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const viewed = numericView(item);
      if (viewed !== item) {
        copy ??= value.slice();
        copy[index] = viewed;
      }
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const viewed = numericView(item);
    if (viewed !== item) {
      copy ??= { ...record };
      defineOwn(copy, key, viewed);
    }
  }
  return copy ?? value;
}

/** The text of a scalar as the client wrote it: strings as they are, kept integers digit for digit. */
export function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRawJson(value)) return value.rawJSON;
  return null;
}
