/**
 * How large one chunk may be. Batch APIs cap calls by entries (SQS, EventBridge: 10), by bytes
 * (SQS: 1 MiB, EventBridge: 256 KiB) or both; a byte limit needs to know what an item weighs.
 */
export type ChunkLimits<T> =
  | { maxCount: number; maxBytes?: undefined; sizeOf?: undefined }
  | { maxCount?: number; maxBytes: number; sizeOf: (item: T) => number };

/**
 * Splits `items` in order into the fewest consecutive chunks within the limits, filling each before
 * starting the next. An item that alone weighs more than `maxBytes` gets a chunk of its own rather
 * than being dropped: what to do with it is the caller's decision (most check it beforehand, and a
 * call with it fails alone). `sizeOf` is called once per item.
 */
export function chunkBy<T>(items: readonly T[], limits: ChunkLimits<T>): T[][] {
  const maxCount = limits.maxCount ?? Number.POSITIVE_INFINITY;
  // A fractional or zero count would never fill a chunk the way the caller meant.
  if (maxCount !== Number.POSITIVE_INFINITY && !(Number.isInteger(maxCount) && maxCount >= 1))
    throw new RangeError(`maxCount must be a whole number of at least 1, got ${maxCount}`);
  if (limits.maxBytes !== undefined && !(limits.maxBytes >= 0))
    throw new RangeError(`maxBytes must not be negative, got ${limits.maxBytes}`);

  const chunks: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const item of items) {
    const bytes = limits.sizeOf ? limits.sizeOf(item) : 0;
    const full =
      current.length >= maxCount ||
      (limits.maxBytes !== undefined && current.length > 0 && currentBytes + bytes > limits.maxBytes);
    if (full) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
