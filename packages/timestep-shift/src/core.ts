import type { Rng } from './rng.js';

/** A law on [0, 1] in one convention, its arguments already validated (the package's internal form). */
export interface Core {
  pdf(x: number): number;
  cdf(x: number): number;
  quantile(p: number): number;
  sample(rng: Rng): number;
}

/**
 * The SD3 shift on top of a t-convention law: t' = t / (t + α(1 − t)), back t = αt' / (1 + (α − 1)t'),
 * dt/dt' = α / (1 + (α − 1)t')². A sigma-convention law is shifted by α with `shifted(core, 1 / α)`.
 */
export function shifted(core: Core, shift: number): Core {
  const forward = (t: number) => t / (t + shift * (1 - t));
  // With α < 1 the map can round past 1 at t = 1; the law's functions take [0, 1] only.
  const backward = (t: number) => Math.min(1, (shift * t) / (1 + (shift - 1) * t));
  return {
    pdf(t) {
      const denominator = 1 + (shift - 1) * t;
      return (core.pdf(backward(t)) * shift) / (denominator * denominator);
    },
    cdf: (t) => core.cdf(backward(t)),
    quantile: (p) => forward(core.quantile(p)),
    sample: (rng) => forward(core.sample(rng)),
  };
}

/** The law of 1 − X; for continuous laws only (at an atom, 1 − cdf(1 − x) is P(X < 1 − x), not ≤). */
export function mirrored(core: Core): Core {
  return {
    pdf: (x) => core.pdf(1 - x),
    cdf: (x) => 1 - core.cdf(1 - x),
    quantile: (p) => 1 - core.quantile(1 - p),
    sample: (rng) => 1 - core.sample(rng),
  };
}

/**
 * The generalised inverse of a monotone cdf inside a bracket: Newton steps where they stay inside
 * [lo, hi] and bisection where they leave it or the density is 0 or infinite, until the bracket is
 * one float64 ulp wide (relative), so small quantiles keep their relative precision.
 * @param cdf - non-decreasing on [lo, hi] with cdf(lo) ≤ p ≤ cdf(hi).
 * @param pdf - its derivative (may be 0 or Infinity at points).
 * @param p - the probability.
 * @param lo - lower end of the bracket.
 * @param hi - upper end of the bracket.
 * @returns x in [lo, hi] with cdf(x) = p to float64 rounding (the smallest such x at a jump).
 */
export function invertCdf(
  cdf: (x: number) => number,
  pdf: (x: number) => number,
  p: number,
  lo: number,
  hi: number,
): number {
  if (!(hi > lo) || cdf(lo) >= p) return lo;
  let x = 0.5 * (lo + hi);
  // 2100 halvings reach the smallest subnormal from 1; Newton ends almost every search in < 10 steps.
  for (let iteration = 0; iteration < 2100; iteration++) {
    const residual = cdf(x) - p;
    if (residual === 0) return x;
    if (residual < 0) lo = x;
    else hi = x;
    if (hi - lo <= Number.EPSILON * Math.abs(hi) || hi - lo < Number.MIN_VALUE * 4) return hi;
    let next = x - residual / pdf(x);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next === x) return x;
    x = next;
  }
  return x;
}
