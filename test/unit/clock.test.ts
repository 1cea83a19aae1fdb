import { systemClock } from '../../shared/clock';

describe('systemClock', () => {
  it('tells the time in milliseconds since the epoch', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('sleeps for the time asked', async () => {
    const started = Date.now();
    await systemClock.sleep(30);
    // Timers may fire a millisecond early by the wall clock.
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('wakes up as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    setTimeout(() => controller.abort(), 10);
    await sleeping;
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('does not sleep at all on a signal that has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const started = Date.now();
    await systemClock.sleep(60_000, controller.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
