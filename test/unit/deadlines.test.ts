import { setDeadline } from '../../shared/deadlines';
import { TimeoutError, withTimeout } from '../../shared/timeout';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Timers holding the process open: the deadlines' shared timer among them while one is pending. */
const refedTimers = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('setDeadline', () => {
  test('deadlines of one duration pass in the order they were set; cancelled ones never do', async () => {
    const passed: string[] = [];
    setDeadline(30, () => passed.push('a'));
    const cancelB = setDeadline(30, () => passed.push('b'));
    await sleep(5);
    setDeadline(30, () => passed.push('c'));
    cancelB();
    cancelB();
    expect(passed).toEqual([]);
    await sleep(60);
    expect(passed).toEqual(['a', 'c']);
  });

  test('a deadline set after the list emptied waits its own full duration', async () => {
    const passed: number[] = [];
    setDeadline(40, () => undefined)();
    await sleep(25);
    const start = performance.now();
    setDeadline(40, () => passed.push(performance.now() - start));
    await sleep(30);
    expect(passed).toEqual([]);
    await sleep(40);
    expect(passed).toHaveLength(1);
    expect(passed[0]).toBeGreaterThanOrEqual(39);
  });

  test('durations differ independently, and a deadline set while others pass is kept', async () => {
    const passed: string[] = [];
    setDeadline(20, () => {
      passed.push('short');
      setDeadline(20, () => passed.push('again'));
    });
    setDeadline(10, () => passed.push('shorter'));
    await sleep(35);
    expect(passed).toEqual(['shorter', 'short']);
    await sleep(30);
    expect(passed).toEqual(['shorter', 'short', 'again']);
  });

  test('holds the process open only while a deadline is pending', async () => {
    const before = refedTimers();
    const cancel = setDeadline(5_000, () => undefined);
    expect(refedTimers()).toBe(before + 1);
    cancel();
    expect(refedTimers()).toBe(before);
    const again = setDeadline(5_000, () => undefined);
    expect(refedTimers()).toBe(before + 1);
    again();
    expect(refedTimers()).toBe(before);
  });

  test('durations a timer cannot hold get a timer of their own, as Node treats them', async () => {
    const passed: string[] = [];
    setDeadline(0, () => passed.push('zero'));
    setDeadline(Number.NaN, () => passed.push('nan'));
    setDeadline(0.5, () => passed.push('half'))();
    await sleep(20);
    expect(passed.sort()).toEqual(['nan', 'zero']);
  });
});

describe('withTimeout', () => {
  test('settles as the work does when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 50, 'work')).resolves.toBe(7);
    const failure = new Error('boom');
    await expect(withTimeout(Promise.reject(failure), 50, 'work')).rejects.toBe(failure);
  });

  test('rejects with a TimeoutError naming the work once the budget passes', async () => {
    const never = new Promise<never>(() => undefined);
    const outcome = withTimeout(never, 15, 'postgres sink');
    await expect(outcome).rejects.toThrow(new TimeoutError('postgres sink timed out after 15 ms'));
    await expect(outcome).rejects.toBeInstanceOf(TimeoutError);
  });

  test('work that fails after its budget has passed is no unhandled rejection', async () => {
    let fail: (error: Error) => void = () => undefined;
    const late = new Promise<never>((_, reject) => {
      fail = reject;
    });
    await expect(withTimeout(late, 5, 'late')).rejects.toBeInstanceOf(TimeoutError);
    fail(new Error('too late'));
    await sleep(5);
  });
});
