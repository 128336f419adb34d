import type { TimeConvention } from './convention.js';
import { assertConvention } from './convention.js';
import { assertUnit, describe } from './validate.js';

/** Loss weighting schemes of diffusers' `compute_loss_weighting_for_sd3`. */
export type LossWeighting = 'sigma_sqrt' | 'cosmap' | 'none';

/**
 * The per-sample loss weight (diffusers `compute_loss_weighting_for_sd3`): `sigma_sqrt` is σ⁻²,
 * `cosmap` is 2/(π(1 − 2σ + 2σ²)), `none` is 1. Computed in float64.
 * @param scheme - the weighting scheme.
 * @param x - the time in `convention` (σ = 1 − t).
 * @param convention - the convention of `x` (default 't').
 * @returns the weight (Infinity for `sigma_sqrt` at σ = 0).
 * @throws {RangeError} when given an unknown scheme or convention, or `x` outside [0, 1].
 */
export function lossWeight(scheme: LossWeighting, x: number, convention: TimeConvention = 't'): number {
  assertConvention(convention);
  assertUnit(convention === 't' ? 't' : 'sigma', x);
  const sigma = convention === 't' ? 1 - x : x;
  switch (scheme) {
    case 'sigma_sqrt':
      return sigma ** -2;
    case 'cosmap':
      return 2 / (Math.PI * (1 - 2 * sigma + 2 * (sigma * sigma)));
    case 'none':
      return 1;
    default:
      throw new RangeError(`scheme must be 'sigma_sqrt', 'cosmap' or 'none', got ${describe(scheme)}`);
  }
}
