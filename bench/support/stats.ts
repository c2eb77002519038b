export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Rounds to `digits` decimals, so results.json stays readable. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Runs `fn` and returns its result with the elapsed milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - start };
}

/** `[a, b, c]` rotated by `by`: round r of an alternating comparison starts with a different contender. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A ratio estimated from per-round ratios, with its 95% confidence interval. */
export interface RatioEstimate {
  /** Geometric mean of the rounds' ratios: a ratio and its inverse weigh alike. */
  estimate: number;
  low: number;
  high: number;
}

/**
 * The geometric mean of `ratios` and a 95% Student-t interval on their logarithms. The rounds' ratios are taken as
 * independent draws around one true ratio; the interval says how far this run's figure can be from it, which a
 * median alone hides. It cannot say what differs from run to run (each run has its own processes, with their own
 * JIT and heap histories): compare runs before trusting a figure near a target.
 */
export function ratioEstimate(ratios: number[]): RatioEstimate {
  const logs = ratios.map(Math.log);
  const n = logs.length;
  const mean = logs.reduce((sum, value) => sum + value, 0) / n;
  if (n < 2) return { estimate: Math.exp(mean), low: Number.NaN, high: Number.NaN };
  const variance = logs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const halfWidth = studentT975(n - 1) * Math.sqrt(variance / n);
  return { estimate: Math.exp(mean), low: Math.exp(mean - halfWidth), high: Math.exp(mean + halfWidth) };
}

/** Student's t 97.5th percentiles for 1 to 3 degrees of freedom, where the expansion below is too rough. */
const T975_SMALL_DF = [12.706, 4.303, 3.182];

/**
 * The 97.5th percentile of Student's t with `df` degrees of freedom: from the table for 1 to 3, else from the
 * normal one by the Cornish-Fisher expansion, within 0.3% of the tables from 4 up (2.776 → 2.769 at 4).
 */
function studentT975(df: number): number {
  if (df <= T975_SMALL_DF.length) return T975_SMALL_DF[df - 1];
  const z = 1.959964;
  return (
    z +
    (z ** 3 + z) / (4 * df) +
    (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2) +
    (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3)
  );
}
