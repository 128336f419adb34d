import type { Core } from './core.js';
import { invertCdf } from './core.js';

// Lanczos approximation, g = 7, nine terms (Godfrey's coefficients): ln Γ to ~1e-15 relative for x ≥ 1/2.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0.
 * @param x - a finite number > 0.
 * @returns ln Γ(x), to about 1e-15 relative (reflection below 1/2).
 */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let series = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * The continued fraction of I_x(a, b) · a·B(a, b) / (x^a (1 − x)^b), evaluated by the modified Lentz
 * method; it converges fast for x < (a + 1)/(a + b + 2).
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let fraction = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    // Even term m(b − m)x / ((a + 2m − 1)(a + 2m)), then odd term −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1)).
    let numerator = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + numerator * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + numerator / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    fraction *= d * c;
    numerator = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + numerator * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + numerator / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    fraction *= step;
    if (Math.abs(step - 1) <= 1e-16) break;
  }
  return fraction;
}

/**
 * The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), the Beta(a, b) cdf.
 * @param x - in [0, 1].
 * @param a - > 0.
 * @param b - > 0.
 * @returns I_x(a, b) in [0, 1]; the smaller tail is computed directly, so each tail keeps its relative precision.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Beta(a, b) on [0, 1]: exact pdf, cdf by the incomplete beta, quantile by inverting it. */
export function betaCore(a: number, b: number): Core {
  const logNorm = logBeta(a, b);
  const pdf = (x: number): number => {
    if (x === 0) return a < 1 ? Number.POSITIVE_INFINITY : a === 1 ? b : 0;
    if (x === 1) return b < 1 ? Number.POSITIVE_INFINITY : b === 1 ? a : 0;
    return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logNorm);
  };
  const cdf = (x: number) => regularizedIncompleteBeta(x, a, b);
  const quantile = (p: number): number => {
    if (p === 0 || p === 1) return p;
    return invertCdf(cdf, pdf, p, 0, 1);
  };
  return { pdf, cdf, quantile, sample: (rng) => quantile(rng.uniform()) };
}
