import type { Core } from './core.js';
import { invertCdf } from './core.js';

/**
 * Fritsch–Carlson slopes of the monotone (PCHIP) cubic through (x, y): the weighted harmonic mean of
 * the neighbouring secants where they agree in sign, 0 where they do not, and the three-point end
 * formula limited so each end interval stays monotone. With two knots the cubic is the line.
 */
function pchipSlopes(x: readonly number[], y: readonly number[]): Float64Array {
  const n = x.length;
  const h = new Float64Array(n - 1);
  const delta = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) {
    h[i] = x[i + 1]! - x[i]!;
    delta[i] = (y[i + 1]! - y[i]!) / h[i]!;
  }
  const slopes = new Float64Array(n);
  if (n === 2) {
    slopes.fill(delta[0]!);
    return slopes;
  }
  for (let i = 1; i < n - 1; i++) {
    const before = delta[i - 1]!;
    const after = delta[i]!;
    if (before * after > 0) {
      const w1 = 2 * h[i]! + h[i - 1]!;
      const w2 = h[i]! + 2 * h[i - 1]!;
      slopes[i] = (w1 + w2) / (w1 / before + w2 / after);
    }
  }
  const end = (h0: number, h1: number, d0: number, d1: number): number => {
    const slope = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
    if (Math.sign(slope) !== Math.sign(d0)) return 0;
    if (Math.sign(d0) !== Math.sign(d1) && Math.abs(slope) > 3 * Math.abs(d0)) return 3 * d0;
    return slope;
  };
  slopes[0] = end(h[0]!, h[1]!, delta[0]!, delta[1]!);
  slopes[n - 1] = end(h[n - 2]!, h[n - 3]!, delta[n - 2]!, delta[n - 3]!);
  return slopes;
}

/**
 * The law whose density is the monotone cubic through the knots, divided by its exact integral.
 * Between knots the cubic is a Hermite polynomial, so the cdf is its integral (a quartic) in closed
 * form and the quantile inverts it inside the interval it falls in.
 * @param x - knot positions, strictly increasing from 0 to 1 (validated by the caller).
 * @param y - density values ≥ 0, not all 0 (validated by the caller).
 */
export function knotsCore(x: readonly number[], y: readonly number[]): Core {
  const n = x.length;
  const m = pchipSlopes(x, y);
  // Integral of the Hermite cubic over [x_i, x_i+1]: h·(y0 + y1)/2 + h²·(m0 − m1)/12.
  const cumulative = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    const h = x[i + 1]! - x[i]!;
    cumulative[i + 1] = cumulative[i]! + (h * (y[i]! + y[i + 1]!)) / 2 + (h * h * (m[i]! - m[i + 1]!)) / 12;
  }
  const total = cumulative[n - 1]!;
  const interval = (t: number): number => {
    let lo = 0;
    let hi = n - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (x[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const density = (i: number, t: number): number => {
    const h = x[i + 1]! - x[i]!;
    const s = (t - x[i]!) / h;
    const s2 = s * s;
    const s3 = s2 * s;
    const value =
      (2 * s3 - 3 * s2 + 1) * y[i]! + (s3 - 2 * s2 + s) * h * m[i]! + (3 * s2 - 2 * s3) * y[i + 1]! + (s3 - s2) * h * m[i + 1]!;
    // The monotone cubic stays between its knot values; max(0, ·) removes a round-off below 0.
    return Math.max(0, value) / total;
  };
  const area = (i: number, t: number): number => {
    const h = x[i + 1]! - x[i]!;
    const s = (t - x[i]!) / h;
    const s2 = s * s;
    const s3 = s2 * s;
    const s4 = s3 * s;
    const within =
      (s4 / 2 - s3 + s) * y[i]! +
      (s4 / 4 - (2 * s3) / 3 + s2 / 2) * h * m[i]! +
      (s3 - s4 / 2) * y[i + 1]! +
      (s4 / 4 - s3 / 3) * h * m[i + 1]!;
    return cumulative[i]! + h * within;
  };
  const pdf = (t: number) => density(interval(t), t);
  const cdf = (t: number): number => {
    if (t <= 0) return 0;
    if (t >= 1) return 1;
    return Math.min(1, Math.max(0, area(interval(t), t) / total));
  };
  const quantile = (p: number): number => {
    if (p === 0) return 0;
    if (p === 1) return 1;
    const target = p * total;
    let i = 0;
    while (i < n - 2 && cumulative[i + 1]! < target) i++;
    return invertCdf(
      (t) => area(i, t) / total,
      (t) => density(i, t),
      p,
      x[i]!,
      x[i + 1]!,
    );
  };
  return { pdf, cdf, quantile, sample: (rng) => quantile(rng.uniform()) };
}
