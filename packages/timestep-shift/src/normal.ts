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

/** Complementary error function, accurate to a few ulps (relative) over the whole line. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  if (ax < 1.5) return 1 - erfSeries(x);
  const tail = erfcContinuedFraction(ax);
  return x > 0 ? tail : 2 - tail;
}

/** Standard normal cdf Φ(z), with full relative precision in the lower tail. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal density φ(z). */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

// Wichura's AS241 coefficients, highest power first.
const CENTRAL_NUM = [
  2509.0809287301227, 33430.57558358813, 67265.7709270087, 45921.95393154987,
  13731.69376550946, 1971.5909503065513, 133.14166789178438, 3.3871328727963665,
];
const CENTRAL_DEN = [
  5226.495278852854, 28729.085735721943, 39307.89580009271, 21213.794301586597,
  5394.196021424751, 687.1870074920579, 42.31333070160091, 1,
];
const NEAR_NUM = [
  0.0007745450142783414, 0.022723844989269184, 0.2417807251774506, 1.2704582524523684,
  3.6478483247632045, 5.769497221460691, 4.630337846156546, 1.4234371107496835,
];
const NEAR_DEN = [
  1.0507500716444169e-09, 0.0005475938084995345, 0.015198666563616457, 0.14810397642748008,
  0.6897673349851, 1.6763848301838038, 2.053191626637759, 1,
];
const FAR_NUM = [
  2.0103343992922881e-07, 2.7115555687434876e-05, 0.0012426609473880784, 0.026532189526576124,
  0.29656057182850487, 1.7848265399172913, 5.463784911164114, 6.657904643501103,
];
const FAR_DEN = [
  2.0442631033899397e-15, 1.421511758316446e-07, 1.8463183175100548e-05, 0.0007868691311456133,
  0.014875361290850615, 0.1369298809227358, 0.599832206555888, 1,
];

function horner(coefficients: readonly number[], x: number): number {
  let sum = 0;
  for (const c of coefficients) sum = sum * x + c;
  return sum;
}

/**
 * Standard normal quantile Φ⁻¹(p): Wichura's AS241 (PPND16), relative error about 1e-16.
 * Returns ±Infinity at p = 0 and p = 1.
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return p === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  if (p >= 1) return p === 1 ? Number.POSITIVE_INFINITY : Number.NaN;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner(CENTRAL_NUM, r)) / horner(CENTRAL_DEN, r);
  }
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const x = r <= 5 ? horner(NEAR_NUM, r - 1.6) / horner(NEAR_DEN, r - 1.6) : horner(FAR_NUM, r - 5) / horner(FAR_DEN, r - 5);
  return q < 0 ? -x : x;
}
