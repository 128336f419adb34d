import { normalQuantile, type TimestepDistribution } from '@flowdit/timestep-shift';

/** Counts of values in `bins` equal bins over [0, 1] (1 itself in the last bin). */
export function histogram(values: ArrayLike<number>, bins: number): Float64Array {
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor(values[i]! * bins))]! += 1;
  return counts;
}

// Gauss–Legendre nodes and weights on [−1, 1], 8 points: exact for polynomials of degree 15, and
// no node at a bin's ends, where some densities diverge.
const NODES = [-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498, 0.1834346424956498, 0.525532409916329, 0.7966664774136267, 0.9602898564975363];
const WEIGHTS = [0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620, 0.362683783378362, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763];

/**
 * The counts the drawn density predicts for `n` draws in each of `bins` equal bins: the pdf itself
 * integrated over each bin (Gauss–Legendre on 4 sub-intervals), so a histogram that agrees with them
 * agrees with the curve on screen, not only with the cdf.
 */
export function expectedCounts(pdf: (x: number) => number, n: number, bins: number): Float64Array {
  const expected = new Float64Array(bins);
  const parts = 4;
  const width = 1 / (bins * parts);
  for (let bin = 0; bin < bins; bin++) {
    let mass = 0;
    for (let part = 0; part < parts; part++) {
      const middle = (bin * parts + part + 0.5) * width;
      for (let k = 0; k < NODES.length; k++) mass += WEIGHTS[k]! * pdf(middle + (NODES[k]! * width) / 2);
    }
    expected[bin] = (n * mass * width) / 2;
  }
  return expected;
}

/** Pearson's χ² of counts against expected counts, over the bins that expect at least 5 (dof = those bins − 1). */
export function chiSquare(counts: ArrayLike<number>, expected: ArrayLike<number>): { chi2: number; dof: number } {
  let chi2 = 0;
  let used = 0;
  for (let i = 0; i < counts.length; i++) {
    const e = expected[i]!;
    if (!(e >= 5)) continue;
    chi2 += (counts[i]! - e) ** 2 / e;
    used += 1;
  }
  return { chi2, dof: Math.max(1, used - 1) };
}

/** The p-quantile of χ² with `dof` degrees of freedom, by Wilson–Hilferty (within 1% for dof ≥ 10 at p = 0.999). */
export function chiSquareQuantile(p: number, dof: number): number {
  const z = normalQuantile(p);
  const a = 2 / (9 * dof);
  return dof * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** What the laws view states about one law: from its own cdf and quantile, and from the draws. */
export interface LawSummary {
  /** The median, in the distribution's convention. */
  median: number;
  /** P(t < 0.5): the share of training times nearer noise than data, from the cdf. */
  noiseShare: number;
  /** The same share among the draws. */
  drawnNoiseShare: number;
}

/**
 * The median and the noise-side share of a law, and the share among draws.
 * @param dist - the law, in either convention.
 * @param draws - values drawn from it, in its convention.
 */
export function summarize(dist: TimestepDistribution, draws: ArrayLike<number>): LawSummary {
  // the noise side is t < 0.5, which in sigma is sigma > 0.5
  const noise = dist.convention === 't' ? (x: number) => x < 0.5 : (x: number) => x > 0.5;
  let drawn = 0;
  for (let i = 0; i < draws.length; i++) if (noise(draws[i]!)) drawn += 1;
  const below = dist.cdf(0.5);
  return { median: dist.quantile(0.5), noiseShare: dist.convention === 't' ? below : 1 - below, drawnNoiseShare: drawn / draws.length };
}
