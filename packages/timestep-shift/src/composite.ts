import type { Core } from './core.js';
import { invertCdf } from './core.js';

/**
 * The law conditioned on [a, b] ("keep the shape"): density f/(F(b) − F(a)) on [a, b], drawn exactly
 * as quantile(F(a) + u·(F(b) − F(a))), no rejection. The caller checks F(b) > F(a).
 */
export function truncatedCore(core: Core, a: number, b: number): Core {
  const low = core.cdf(a);
  const mass = core.cdf(b) - low;
  const clamp = (x: number) => Math.min(b, Math.max(a, x));
  const quantile = (p: number): number => {
    if (p === 0) return a;
    if (p === 1) return b;
    return clamp(core.quantile(Math.min(1, low + p * mass)));
  };
  return {
    pdf: (x) => (x < a || x > b ? 0 : core.pdf(x) / mass),
    cdf(x) {
      if (x <= a) return 0;
      if (x >= b) return 1;
      return Math.min(1, Math.max(0, (core.cdf(x) - low) / mass));
    },
    quantile,
    sample: (rng) => quantile(rng.uniform()),
  };
}

/** The whole law mapped affinely onto [a, b] ("rescale into the range"): X ↦ a + (b − a)·X. */
export function rescaledCore(core: Core, a: number, b: number): Core {
  const width = b - a;
  const back = (y: number) => Math.min(1, Math.max(0, (y - a) / width));
  return {
    pdf: (y) => (y < a || y > b ? 0 : core.pdf(back(y)) / width),
    cdf: (y) => (y < a ? 0 : y >= b ? 1 : core.cdf(back(y))),
    quantile: (p) => Math.min(b, a + width * core.quantile(p)),
    sample: (rng) => Math.min(b, a + width * core.sample(rng)),
  };
}

/**
 * Σ wᵢ·lawᵢ with weights summing to 1: pdf and cdf the weighted sums; the quantile solves cdf(x) = p
 * between the smallest and largest component quantile at p, which bracket it (each component cdf
 * is ≤ p at the smallest and ≥ p at the largest). A draw picks a component with one uniform, then
 * draws from it.
 */
export function mixtureCore(cores: readonly Core[], weights: readonly number[]): Core {
  const pdf = (x: number): number => {
    let sum = 0;
    for (let i = 0; i < cores.length; i++) if (weights[i]! > 0) sum += weights[i]! * cores[i]!.pdf(x);
    return sum;
  };
  const cdf = (x: number): number => {
    // The normalised weights may sum to 1 − 2⁻⁵³: the whole law lies in [0, 1].
    if (x >= 1) return 1;
    let sum = 0;
    for (let i = 0; i < cores.length; i++) if (weights[i]! > 0) sum += weights[i]! * cores[i]!.cdf(x);
    return Math.min(1, sum);
  };
  const quantile = (p: number): number => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < cores.length; i++) {
      if (weights[i]! === 0) continue;
      const x = cores[i]!.quantile(p);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    if (p === 0) return lo;
    if (p === 1) return hi;
    return invertCdf(cdf, pdf, p, lo, hi);
  };
  // The last component with weight > 0 takes the draws a rounded-down weight sum would leave over.
  const last = weights.reduce((found, weight, i) => (weight > 0 ? i : found), 0);
  return {
    pdf,
    cdf,
    quantile,
    sample(rng) {
      const u = rng.uniform();
      let acc = 0;
      for (let i = 0; i < last; i++) {
        acc += weights[i]!;
        if (u < acc) return cores[i]!.sample(rng);
      }
      return cores[last]!.sample(rng);
    },
  };
}
