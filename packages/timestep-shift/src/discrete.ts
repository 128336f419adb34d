import type { Core } from './core.js';

/**
 * Equal mass 1/n on each listed value (a repeated value counts as often as it is listed). The cdf
 * counts the values ≤ x; the quantile is the generalised inverse; `pdf` is Infinity on a listed value
 * and 0 elsewhere (point masses have no density). A draw picks an index uniformly, as trainers do.
 * @param values - the values in the law's own convention, each in [0, 1].
 */
export function discreteCore(values: readonly number[]): Core {
  const listed = Float64Array.from(values);
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const countAtMost = (x: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    pdf: (x) => (countAtMost(x) > 0 && sorted[countAtMost(x) - 1] === x ? Number.POSITIVE_INFINITY : 0),
    cdf: (x) => countAtMost(x) / n,
    quantile(p) {
      // The smallest k with k/n ≥ p; p·n may round up past an integer, so step back when k − 1 already holds.
      let k = Math.ceil(p * n);
      if (k > 1 && (k - 1) / n >= p) k--;
      return sorted[Math.max(0, k - 1)]!;
    },
    sample: (rng) => listed[Math.floor(rng.uniform() * n)]!,
  };
}
