/**
 * Counts failed token requests per key (a client id, a source address) and locks a key out for a
 * while once it has failed too often: guessing a secret then takes years instead of hours. Held in
 * memory, so each Lambda container counts for itself; the API's throttling bounds the total rate.
 */
export interface BruteForceGuardOptions {
  /** Failures within `windowSeconds` that lock a key out. */
  maxFailures?: number;
  windowSeconds?: number;
  lockoutSeconds?: number;
  /** Keys remembered at most; the oldest are forgotten first, so a flood of ids cannot exhaust memory. */
  maxKeys?: number;
  now?: () => number;
}

interface Failures {
  first: number;
  count: number;
  lockedUntil: number;
}

export class BruteForceGuard {
  private readonly failures = new Map<string, Failures>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: BruteForceGuardOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = (options.windowSeconds ?? 300) * 1000;
    this.lockoutMs = (options.lockoutSeconds ?? 300) * 1000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until the first of `keys` that is locked out may try again; 0 when none is. */
  retryAfterSeconds(keys: readonly string[]): number {
    const now = this.now();
    let wait = 0;
    for (const key of keys) {
      const entry = this.failures.get(key);
      if (entry && entry.lockedUntil > now)
        wait = Math.max(wait, Math.ceil((entry.lockedUntil - now) / 1000));
    }
    return wait;
  }

  recordFailure(keys: readonly string[]): void {
    const now = this.now();
    for (const key of keys) {
      let entry = this.failures.get(key);
      if (!entry || now - entry.first > this.windowMs) entry = { first: now, count: 0, lockedUntil: 0 };
      entry.count += 1;
      if (entry.count >= this.maxFailures) entry.lockedUntil = now + this.lockoutMs;
      // Re-inserting keeps the map in order of last failure, which is the eviction order.
      this.failures.delete(key);
      this.failures.set(key, entry);
    }
    while (this.failures.size > this.maxKeys) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  /** A success forgets the client's failures; the address keeps its count. */
  recordSuccess(key: string): void {
    this.failures.delete(key);
  }
}
