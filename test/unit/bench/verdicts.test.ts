import { verdictOf, type Figure } from '../../../bench/report';
import { median, percentile, reduceRuns } from '../../../bench/stats';

const figure = (value: number | null, target?: Figure['target']): Figure => ({
  section: 's',
  label: 'l',
  value,
  unit: 'events/s',
  ...(target ? { target } : {}),
});

describe('the bench’s verdicts', () => {
  it('passes a figure on its target and misses it just past it, in either direction', () => {
    expect(verdictOf(figure(60_000, { op: '>=', value: 60_000 }))).toBe('PASS');
    expect(verdictOf(figure(59_999, { op: '>=', value: 60_000 }))).toBe('MISS');
    expect(verdictOf(figure(150, { op: '<=', value: 150 }))).toBe('PASS');
    expect(verdictOf(figure(150.1, { op: '<=', value: 150 }))).toBe('MISS');
  });

  it('gives no verdict to a figure without a target, nor to one that was not measured', () => {
    expect(verdictOf(figure(571))).toBe('info');
    expect(verdictOf(figure(null, { op: '>=', value: 1 }))).toBe('n/a');
    expect(verdictOf(figure(Number.NaN, { op: '<=', value: 1 }))).toBe('n/a');
  });
});

describe('the bench’s statistics', () => {
  it('takes the median of unsorted runs without reordering them', () => {
    const runs = [9, 1, 5];
    expect(median(runs)).toBe(5);
    expect(runs).toEqual([9, 1, 5]);
    expect(median([4, 1, 3, 2])).toBe(2); // nearest rank: the lower middle of an even count
  });

  it('reads nearest-rank percentiles and reduces runs to medians with their spread', () => {
    const latencies = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(latencies, 99)).toBe(99);
    expect(percentile(latencies, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
    const set = reduceRuns([
      { units: 1_000, elapsedMs: 1_000, latenciesMs: [1, 2, 3] },
      { units: 3_000, elapsedMs: 1_000, latenciesMs: [2, 4, 6] },
      { units: 2_000, elapsedMs: 1_000, latenciesMs: [1, 1, 9] },
    ]);
    expect(set.perSecond).toEqual({ median: 2_000, min: 1_000, max: 3_000 });
    expect(set.p50Ms).toBe(2);
    expect(set.p99Ms).toBe(6);
  });
});
