import path from 'node:path';
import { sinksWrittenBy } from '../../../shared/deploy/bundling/entries';
import { SINK_DEFINITIONS } from '../../../shared/sinks/catalog';

/** The sinks whose client side a bundle of `entry` keeps; every other sink's is left out. */
function kept(entry: string, definitions = SINK_DEFINITIONS, syncSinks: string[] = []): string[] | undefined {
  const used = sinksWrittenBy([path.normalize(entry)], syncSinks, definitions);
  return used ? [...used].sort() : undefined;
}

describe('which sinks a function’s bundle keeps the client side of', () => {
  test('a worker its own sink only', () => {
    expect(kept(path.join('functions', 'workers', 'kafka.ts'))).toEqual(['kafka']);
  });

  test('the ingest function the sinks sync topics write to', () => {
    expect(kept(path.join('functions', 'ingest.ts'))).toEqual([]);
    expect(kept(path.join('functions', 'ingest.ts'), SINK_DEFINITIONS, ['eventbridge', 'postgres'])).toEqual([
      'eventbridge',
      'postgres',
    ]);
  });

  test('the read function the sink that serves reads, whichever it is', () => {
    expect(kept(path.join('functions', 'read.ts'))).toEqual(['postgres']);
    const readingKafka = SINK_DEFINITIONS.map((definition) => ({
      ...definition,
      readStore: definition.name === 'kafka' ? { open: async () => undefined } : undefined,
    }));
    expect(kept(path.join('functions', 'read.ts'), readingKafka)).toEqual(['kafka']);
  });

  test('everything in a bundle of an entry it does not know', () => {
    expect(kept(path.join('functions', 'other.ts'))).toBeUndefined();
  });
});
