// The Beta(a, b) law's cdf and quantile in float64, for diffusers' beta sigmas
// (`scipy.stats.beta.ppf(p, 0.6, 0.6)`).

// Lanczos approximation (g = 7, 9 terms) of ln Γ(x) for x > 0, about 1e-15 relative.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

// The continued fraction of I_x(a, b) (modified Lentz), converging for x < (a + 1)/(a + b + 2).
function continuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
  let result = d;
  for (let m = 1; m <= 500; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + even * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = 1 + even / c;
    c = Math.abs(c) < tiny ? tiny : c;
    result *= d * c;
    const odd = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + odd * d;
    d = Math.abs(d) < tiny ? 1 / tiny : 1 / d;
    c = 1 + odd / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const delta = d * c;
    result *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return result;
}

/**
 * The regularized incomplete beta function I_x(a, b), the Beta(a, b) cdf at x.
 * @param x - in [0, 1].
 * @param a - > 0.
 * @param b - > 0.
 * @returns I_x(a, b) in [0, 1].
 */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * continuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * continuedFraction(1 - x, b, a)) / b;
}

/**
 * The Beta(a, b) quantile: the x with I_x(a, b) = p, by bisection on the cdf, which is monotone
 * even where the density is infinite (a or b < 1), to the last bit of x.
 * @param p - in [0, 1].
 * @param a - > 0.
 * @param b - > 0.
 * @returns x in [0, 1].
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let low = 0;
  let high = 1;
  for (let i = 0; i < 1100; i++) {
    const mid = 0.5 * (low + high);
    if (mid <= low || mid >= high) break;
    if (betaCdf(mid, a, b) < p) low = mid;
    else high = mid;
  }
  // The nearer end of the last bracket.
  return p - betaCdf(low, a, b) <= betaCdf(high, a, b) - p ? low : high;
}
