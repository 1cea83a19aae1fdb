/** Small statistics helpers: the machine is shared and noisy, so figures are medians of runs. */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Measured runs of one scenario, reduced to medians (and the spread, to show how noisy they were). */
export interface RunSet {
  runs: number;
  perSecond: { median: number; min: number; max: number };
  p50Ms: number;
  p99Ms: number;
}

export interface Run {
  /** Units of work done in the run (events, requests, batches…). */
  units: number;
  elapsedMs: number;
  latenciesMs: number[];
}

export function reduceRuns(runs: readonly Run[]): RunSet {
  const rates = runs.map((run) => (run.units * 1000) / run.elapsedMs);
  return {
    runs: runs.length,
    perSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    p50Ms: median(runs.map((run) => percentile(run.latenciesMs, 50))),
    p99Ms: median(runs.map((run) => percentile(run.latenciesMs, 99))),
  };
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
