import type { Clock } from '../../../../shared/clock';
import { RateLimiter } from '../../../../shared/queue/redrive/rate-limiter';

describe('RateLimiter', () => {
  function fakeClock(): Clock & { slept: number[] } {
    let now = 0;
    const slept: number[] = [];
    return {
      slept,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    };
  }

  it('grants everything at once without a rate', async () => {
    const limiter = new RateLimiter(undefined, fakeClock());
    expect(await limiter.acquire(10)).toBe(10);
    expect(await limiter.acquire(10)).toBe(10);
  });

  it('paces grants to the rate', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(2, clock);
    let granted = 0;
    while (granted < 11) granted += await limiter.acquire(10);
    // One message is allowed right away, the other ten arrive at two per second.
    expect(clock.now()).toBe(5000);
  });

  it('takes back what was not sent', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(1, clock);
    expect(await limiter.acquire(10)).toBe(1);
    limiter.refund(1);
    expect(await limiter.acquire(10)).toBe(1);
    expect(clock.slept).toEqual([]);
  });

  it('returns nothing once aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await new RateLimiter(1, fakeClock()).acquire(5, controller.signal)).toBe(0);
  });
});
