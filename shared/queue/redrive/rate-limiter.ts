import { systemClock, type Clock } from '../../clock';
import { SQS_MAX_BATCH_ENTRIES } from '../publisher';

/**
 * Token bucket for `replay --rate`: refills continuously and holds at most one batch, so a slow
 * receive does not turn into a burst afterwards.
 */
export class RateLimiter {
  private tokens: number;
  private lastRefill: number;
  private readonly capacity: number;

  /** Without a rate every request is granted in full at once. */
  constructor(
    private readonly perSecond: number | undefined,
    private readonly clock: Clock = systemClock,
  ) {
    this.capacity = perSecond
      ? Math.max(1, Math.min(SQS_MAX_BATCH_ENTRIES, perSecond))
      : Number.POSITIVE_INFINITY;
    this.tokens = perSecond ? 1 : Number.POSITIVE_INFINITY;
    this.lastRefill = clock.now();
  }

  /** Waits until at least one message may go, then grants up to `wanted`. Returns 0 when aborted. */
  async acquire(wanted: number, signal?: AbortSignal): Promise<number> {
    if (!this.perSecond) return wanted;
    for (;;) {
      if (signal?.aborted) return 0;
      this.refill();
      if (this.tokens >= 1) {
        const granted = Math.min(wanted, Math.floor(this.tokens));
        this.tokens -= granted;
        return granted;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.perSecond) * 1000), signal);
    }
  }

  /** Gives back what was granted but not sent (non-matching or fewer messages received). */
  refund(count: number): void {
    if (!this.perSecond || count <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + count);
  }

  private refill(): void {
    const now = this.clock.now();
    if (!this.perSecond) return;
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.lastRefill) / 1000) * this.perSecond);
    this.lastRefill = now;
  }
}
