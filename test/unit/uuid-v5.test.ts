import { v5 as uuidv5 } from 'uuid';
import { uuidV5For } from '../../shared/uuid-v5';

const NAMESPACES = ['6f1c2b0e-4f7a-5d3e-9a51-0b8e7c2d4a10', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'];

/** A deterministic generator, so that a failure names a name that can be found again. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Any UTF-16 code units, lone surrogates included, at lengths from 0 to a few thousand. */
function randomText(next: () => number): string {
  const length = next() < 0.05 ? Math.floor(next() * 4000) : Math.floor(next() * 60);
  const pick = next();
  const units: number[] = [];
  for (let index = 0; index < length; index++) {
    if (pick < 0.3) units.push(0x20 + Math.floor(next() * 0x5f));
    else if (pick < 0.6) units.push(Math.floor(next() * 0x800));
    else units.push(Math.floor(next() * 0x10000));
  }
  return String.fromCharCode(...units);
}

describe('uuidV5For', () => {
  it.each(NAMESPACES)(
    'makes the ids uuid v5 makes, for JSON names of any text (namespace %s)',
    (namespace) => {
      const id = uuidV5For(namespace);
      const next = generator(namespace.charCodeAt(0));
      for (let index = 0; index < 5000; index++) {
        const name = JSON.stringify(['topic.a', randomText(next), randomText(next)]);
        expect(id(name)).toBe(uuidv5(name, namespace));
      }
    },
  );

  it('makes the ids uuid v5 makes for well-formed names, empty, astral and long ones', () => {
    const id = uuidV5For(NAMESPACES[0] as string);
    const names = [
      '',
      'a',
      'ü',
      '€',
      '😀',
      '𝄞x😀',
      'x'.repeat(170),
      'é'.repeat(200),
      '😀'.repeat(3000),
      'abc',
    ];
    for (const name of names) expect(id(name)).toBe(uuidv5(name, NAMESPACES[0] as string));
  });

  it('gives a short name its own id after a long one (the scratch bytes are not reused stale)', () => {
    const id = uuidV5For(NAMESPACES[0] as string);
    const long = 'y'.repeat(10_000);
    expect(id(long)).toBe(uuidv5(long, NAMESPACES[0] as string));
    expect(id('y')).toBe(uuidv5('y', NAMESPACES[0] as string));
    expect(id('é'.repeat(1000))).toBe(uuidv5('é'.repeat(1000), NAMESPACES[0] as string));
    expect(id('y')).toBe(uuidv5('y', NAMESPACES[0] as string));
  });
});
