import type { TimestepDistribution } from './distributions.js';
import type { Rng } from './rng.js';
import { assertRng } from './rng.js';
import { resolutionShift, shiftSigma, shiftT } from './shift.js';
import { assertInteger, assertPositive, describe } from './validate.js';

/** Options of {@link sampleTimesteps}. */
export interface SampleOptions {
  /**
   * One draw per quantile slice [i/n, (i+1)/n), then a Fisher–Yates shuffle with the same rng:
   * the batch covers the distribution evenly, which lowers the variance of a batch-mean loss.
   */
  stratified?: boolean;
  /**
   * One SD3 shift per item (length n, each finite and > 0), applied on top of the law's own: item i
   * becomes shiftT(t, shifts[i]) (shiftSigma in sigma). Shifts compose, α then β is αβ, so a law built
   * with shift 1 and these shifts gives each item exactly its own shifted law.
   */
  shifts?: ArrayLike<number>;
  /**
   * One pixel count per item (frames × height × width, length n): item i is shifted by
   * `resolutionShift(pixels[i], basePixels)`, times `shifts[i]` when both are given. For batches whose
   * items come from buckets of different sizes.
   */
  pixels?: ArrayLike<number>;
  /** The pixel count where shift 1 is right; required with `pixels`. */
  basePixels?: number;
}

/**
 * Draws a batch of training times.
 * @param dist - the distribution (its convention is the batch's convention).
 * @param n - batch size, an integer >= 1.
 * @param rng - the seeded generator; it advances by 2n uint32 draws (4n − 2 when stratified).
 * @param options - `stratified` (default false); per-item `shifts` and/or `pixels` with `basePixels`.
 * @returns n values in [0, 1], in the distribution's convention.
 * @throws {RangeError} when `n` is not an integer >= 1, or `shifts`/`pixels` do not hold n numbers > 0,
 *   or `pixels` comes without `basePixels`.
 * @throws {TypeError} when `rng` is not a generator (pass `createRng(seed)`).
 */
export function sampleTimesteps(
  dist: TimestepDistribution,
  n: number,
  rng: Rng,
  options: SampleOptions = {},
): Float64Array {
  assertInteger('n', n, 1);
  assertRng(rng);
  const itemShifts = perItemShifts(n, options);
  const out = new Float64Array(n);
  if (!options.stratified) {
    for (let i = 0; i < n; i++) out[i] = dist.sample(rng);
  } else {
    for (let i = 0; i < n; i++) out[i] = dist.quantile((i + rng.uniform()) / n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      const swap = out[i]!;
      out[i] = out[j]!;
      out[j] = swap;
    }
  }
  if (itemShifts) {
    const shift = dist.convention === 't' ? shiftT : shiftSigma;
    for (let i = 0; i < n; i++) out[i] = shift(out[i]!, itemShifts[i]!);
  }
  return out;
}

function readPerItem(name: string, values: ArrayLike<number>, n: number): Float64Array {
  if (typeof values !== 'object' || values === null || values.length !== n) {
    const length = typeof values === 'object' && values !== null ? ` of length ${values.length}` : '';
    throw new RangeError(`${name} must hold one number per item (${n}), got ${describe(values)}${length}`);
  }
  const out = Float64Array.from(values);
  out.forEach((value, i) => {
    assertPositive(`${name}[${i}]`, value);
  });
  return out;
}

/** The per-item shifts of `options`, or undefined when it asks for none (the draws stay as they are). */
function perItemShifts(n: number, options: SampleOptions): Float64Array | undefined {
  const { shifts, pixels, basePixels } = options;
  if (shifts === undefined && pixels === undefined) return undefined;
  const out = shifts === undefined ? new Float64Array(n).fill(1) : readPerItem('shifts', shifts, n);
  if (pixels !== undefined) {
    if (basePixels === undefined) {
      throw new RangeError('basePixels must be given with pixels: the pixel count where shift 1 is right, got undefined');
    }
    const counts = readPerItem('pixels', pixels, n);
    for (let i = 0; i < n; i++) out[i] = out[i]! * resolutionShift(counts[i]!, basePixels);
  }
  return out;
}
