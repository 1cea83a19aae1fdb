/** A parsed RFC 6901 JSON pointer: the reference tokens, unescaped. */
export type JsonPointer = readonly string[];

/** Parses `/a/b~1c` into `['a', 'b/c']`; throws on text that is not a pointer. */
export function parsePointer(text: string): JsonPointer {
  if (text === '') return [];
  if (!text.startsWith('/')) throw new Error(`JSON pointer "${text}" must start with "/"`);
  return text
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new Error(`JSON pointer "${text}" has a bad escape`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

export function formatPointer(tokens: JsonPointer): string {
  return tokens.map((token) => `/${token.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The value at `pointer`, or undefined when the document has nothing there. Own properties only. */
export function resolvePointer(document: unknown, pointer: JsonPointer): unknown {
  let current = document;
  for (const token of pointer) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return current;
}
