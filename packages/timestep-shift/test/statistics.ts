import fc from 'fast-check';
import { expect } from 'vitest';

/** Kolmogorov–Smirnov D = sup |F_n(x) − F(x)| of a sample against a cdf. */
export function ksStatistic(sample: Float64Array, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(sample).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Two-sided KS critical value at level 1e-3 for large n: c(α)/√n with c = √(−ln(α/2)/2) ≈ 1.95. */
export function ksCritical(n: number): number {
  return Math.sqrt(-Math.log(1e-3 / 2) / 2) / Math.sqrt(n);
}

/**
 * Pearson χ² of a histogram of `sample` on `bins` equal-width bins of [0, 1] against the counts
 * the cdf predicts; neighbouring bins are pooled until each expects at least 5 draws.
 */
export function chiSquareHistogram(
  sample: Float64Array,
  cdf: (x: number) => number,
  bins: number,
): { statistic: number; degreesOfFreedom: number } {
  const counts = new Float64Array(bins);
  for (const x of sample) counts[Math.min(bins - 1, Math.floor(x * bins))]! += 1;
  const n = sample.length;
  const pooled: { observed: number; expected: number }[] = [];
  let observed = 0;
  let expected = 0;
  for (let b = 0; b < bins; b++) {
    observed += counts[b]!;
    expected += n * (cdf((b + 1) / bins) - cdf(b / bins));
    if (expected >= 5) {
      pooled.push({ observed, expected });
      observed = 0;
      expected = 0;
    }
  }
  const last = pooled[pooled.length - 1]!;
  last.observed += observed;
  last.expected += expected;
  let statistic = 0;
  for (const bin of pooled) statistic += (bin.observed - bin.expected) ** 2 / bin.expected;
  return { statistic, degreesOfFreedom: pooled.length - 1 };
}

/** Upper 1e-3 point of χ²_k (Wilson–Hilferty; within 0.5% for k >= 10). */
export function chiSquareCritical(k: number): number {
  const z = 3.090232306167813;
  const c = 2 / (9 * k);
  return k * (1 - c + z * Math.sqrt(c)) ** 3;
}

/** Composite Simpson rule of f over [a, b] with `intervals` (even) intervals. */
export function simpson(f: (x: number) => number, a: number, b: number, intervals: number): number {
  const h = (b - a) / intervals;
  let sum = f(a) + f(b);
  for (let i = 1; i < intervals; i++) sum += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (sum * h) / 3;
}

/** What the law checks below need of a distribution. */
interface Law {
  pdf(x: number): number;
  cdf(x: number): number;
  quantile(p: number): number;
}

/**
 * quantile(cdf(x)) = x and cdf(quantile(p)) = p for arbitrary x and p in [0, 1]; the first only
 * where p is away from 0 and 1 (and, with `minDensity`, where the density exceeds it).
 * The round trip is as good as the cdf's rounding allows: ~1e-16 in p is 1e-16/pdf in x.
 */
export function expectQuantileInvertsCdf(dist: Law, minDensity?: number): void {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (x) => {
      const p = dist.cdf(x);
      const density = dist.pdf(x);
      if (p > 1e-12 && p < 1 - 1e-12 && (minDensity === undefined || density > minDensity)) {
        expect(Math.abs(dist.quantile(p) - x)).toBeLessThanOrEqual(1e-12 + 1e-14 / density);
      }
      expect(Math.abs(dist.cdf(dist.quantile(x)) - x)).toBeLessThanOrEqual(1e-13);
    }),
  );
}

/** The cdf is exactly 0 at 0 and 1 at 1, and never falls on a grid of 1000 steps between. */
export function expectMonotoneCdf(dist: Law): void {
  expect(dist.cdf(0)).toBe(0);
  expect(dist.cdf(1)).toBe(1);
  let previous = 0;
  for (let i = 1; i <= 1000; i++) {
    const value = dist.cdf(i / 1000);
    expect(value).toBeGreaterThanOrEqual(previous);
    previous = value;
  }
}
