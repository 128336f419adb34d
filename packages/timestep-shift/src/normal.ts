const SQRT_PI = Math.sqrt(Math.PI);

// erf(x) = 2x·e^(−x²)/√π · Σ (2x²)^k / (1·3·…·(2k+1)), evaluated from the tail (Horner form).
function erfSeries(x: number): number {
  const x2 = x * x;
  let sum = 0;
  let denominator = 25.5;
  for (let k = 0; k < 25; k++) {
    sum = 2 + (x2 * sum) / denominator;
    denominator -= 1;
  }
  return (sum * x * Math.exp(-x2)) / SQRT_PI;
}

// erfc(x) for x >= 1.5 from the continued fraction of the Mills ratio, run forward as a
// three-term recurrence of numerators and denominators.
function erfcContinuedFraction(x: number): number {
  if (x >= 30) return 0;
  const x2 = x * x;
  let a = 0;
  let da = 0.5;
  let p = 1;
  let pPrevious = 0;
  let q = da + x2;
  let qPrevious = 1;
  for (let k = 0; k < 50; k++) {
    a += da;
    da += 2;
    const b = da + x2;
    const pNext = b * p - a * pPrevious;
    pPrevious = p;
    p = pNext;
    const qNext = b * q - a * qPrevious;
    qPrevious = q;
    q = qNext;
  }
  return ((p / q) * x * Math.exp(-x2)) / SQRT_PI;
}

/**
 * Complementary error function, accurate to a few ulps (relative) over the whole line.
 * @param x - any number.
 * @returns erfc(x) = 1 − erf(x), in [0, 2]; NaN for NaN.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax < 1.5) return 1 - erfSeries(x);
  const tail = erfcContinuedFraction(ax);
  return x > 0 ? tail : 2 - tail;
}

/**
 * Standard normal cdf Φ(z), with full relative precision in the lower tail.
 * @param z - any number.
 * @returns Φ(z) in [0, 1].
 */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * Standard normal density φ(z).
 * @param z - any number.
 * @returns φ(z) = e^(−z²/2)/√(2π).
 */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/**
 * Standard normal quantile Φ⁻¹(p): Wichura's AS241 (PPND16), relative error about 1e-16. The
 * rational functions are written out (Horner form) because this is the sampler's inner loop.
 * @param p - a probability in [0, 1].
 * @returns z with Φ(z) = p: −Infinity at p = 0, Infinity at p = 1, NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return p === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  if (p >= 1) return p === 1 ? Number.POSITIVE_INFINITY : Number.NaN;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * ((((((((2509.0809287301227) * r + 33430.57558358813) * r + 67265.7709270087) * r + 45921.95393154987) * r + 13731.69376550946) * r + 1971.5909503065513) * r + 133.14166789178438) * r + 3.3871328727963665)) / ((((((((5226.495278852854) * r + 28729.085735721943) * r + 39307.89580009271) * r + 21213.794301586597) * r + 5394.196021424751) * r + 687.1870074920579) * r + 42.31333070160091) * r + 1);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = ((((((((0.0007745450142783414) * r + 0.022723844989269184) * r + 0.2417807251774506) * r + 1.2704582524523684) * r + 3.6478483247632045) * r + 5.769497221460691) * r + 4.630337846156546) * r + 1.4234371107496835) / ((((((((1.0507500716444169e-09) * r + 0.0005475938084995345) * r + 0.015198666563616457) * r + 0.14810397642748008) * r + 0.6897673349851) * r + 1.6763848301838038) * r + 2.053191626637759) * r + 1);
  } else {
    r -= 5;
    x = ((((((((2.0103343992922881e-07) * r + 2.7115555687434876e-05) * r + 0.0012426609473880784) * r + 0.026532189526576124) * r + 0.29656057182850487) * r + 1.7848265399172913) * r + 5.463784911164114) * r + 6.657904643501103) / ((((((((2.0442631033899397e-15) * r + 1.421511758316446e-07) * r + 1.8463183175100548e-05) * r + 0.0007868691311456133) * r + 0.014875361290850615) * r + 0.1369298809227358) * r + 0.599832206555888) * r + 1);
  }
  return q < 0 ? -x : x;
}
