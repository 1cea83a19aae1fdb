import { chunkBy } from '../../../shared/batching/chunk';

/** Items that are their own size, so a chunk reads as the sizes it holds. */
const bySize = (item: number): number => item;

describe('chunkBy', () => {
  it('returns no chunks for no items', () => {
    expect(chunkBy([], { maxCount: 10 })).toEqual([]);
    expect(chunkBy([], { maxBytes: 5, sizeOf: bySize })).toEqual([]);
  });

  it('fills each chunk up to the count before starting the next', () => {
    const items = Array.from({ length: 21 }, (_, index) => index);
    expect(chunkBy(items, { maxCount: 10 }).map((chunk) => chunk.length)).toEqual([10, 10, 1]);
    expect(chunkBy(items, { maxCount: 10 }).flat()).toEqual(items);
  });

  it('makes exactly full chunks when the count divides the items', () => {
    expect(chunkBy([1, 2, 3, 4], { maxCount: 2 })).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(chunkBy([1, 2, 3], { maxCount: 3 })).toEqual([[1, 2, 3]]);
    expect(chunkBy([1, 2, 3], { maxCount: 1 })).toEqual([[1], [2], [3]]);
  });

  it('keeps a chunk that weighs exactly the byte limit, and starts a new one a byte over it', () => {
    expect(chunkBy([4, 6, 1], { maxBytes: 10, sizeOf: bySize })).toEqual([[4, 6], [1]]);
    expect(chunkBy([4, 7], { maxBytes: 10, sizeOf: bySize })).toEqual([[4], [7]]);
  });

  it('gives an item over the byte limit a chunk of its own, between its neighbours', () => {
    expect(chunkBy([1, 11, 2], { maxBytes: 10, sizeOf: bySize })).toEqual([[1], [11], [2]]);
    expect(chunkBy([11], { maxBytes: 10, sizeOf: bySize })).toEqual([[11]]);
    expect(chunkBy([11, 12], { maxBytes: 10, sizeOf: bySize })).toEqual([[11], [12]]);
  });

  it('applies both limits, whichever is reached first', () => {
    const limits = { maxCount: 3, maxBytes: 10, sizeOf: bySize };
    expect(chunkBy([1, 1, 1, 1], limits)).toEqual([[1, 1, 1], [1]]);
    expect(chunkBy([5, 5, 1, 1], limits)).toEqual([
      [5, 5],
      [1, 1],
    ]);
  });

  it('lets items that weigh nothing fill a chunk by count only', () => {
    expect(chunkBy([0, 0, 0], { maxCount: 2, maxBytes: 0, sizeOf: bySize })).toEqual([[0, 0], [0]]);
  });

  it('weighs each item once', () => {
    const sizeOf = jest.fn((item: string) => item.length);
    chunkBy(['aa', 'bbb', 'c'], { maxCount: 2, maxBytes: 4, sizeOf });
    expect(sizeOf).toHaveBeenCalledTimes(3);
  });

  it('refuses limits that could never be met', () => {
    expect(() => chunkBy([1], { maxCount: 0 })).toThrow(RangeError);
    expect(() => chunkBy([1], { maxCount: 2.5 })).toThrow(RangeError);
    expect(() => chunkBy([1], { maxCount: Number.NaN })).toThrow(RangeError);
    expect(() => chunkBy([1], { maxBytes: -1, sizeOf: bySize })).toThrow(RangeError);
  });
});
