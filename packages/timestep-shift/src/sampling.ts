import type { TimestepDistribution } from './distributions.js';
import type { Rng } from './rng.js';
import { assertRng } from './rng.js';
import { assertInteger } from './validate.js';

/** Options of {@link sampleTimesteps}. */
export interface SampleOptions {
  /**
   * One draw per quantile slice [i/n, (i+1)/n), then a Fisher–Yates shuffle with the same rng:
   * the batch covers the distribution evenly, which lowers the variance of a batch-mean loss.
   */
  stratified?: boolean;
}

/**
 * Draws a batch of training times.
 * @param dist - the distribution (its convention is the batch's convention).
 * @param n - batch size, an integer >= 1.
 * @param rng - the seeded generator; it advances by 2n uint32 draws (4n − 2 when stratified).
 * @param options - `stratified` (default false).
 * @returns n values in [0, 1].
 * @throws {RangeError} when `n` is not an integer >= 1.
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
  const out = new Float64Array(n);
  if (!options.stratified) {
    for (let i = 0; i < n; i++) out[i] = dist.sample(rng);
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = dist.quantile((i + rng.uniform()) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const swap = out[i]!;
    out[i] = out[j]!;
    out[j] = swap;
  }
  return out;
}
