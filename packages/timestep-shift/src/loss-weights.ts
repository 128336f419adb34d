import type { TimeConvention } from './convention.js';
import { assertConvention } from './convention.js';
import type { TimestepDistribution } from './distributions.js';
import { assertPositive, assertUnit, describe } from './validate.js';

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

// The time in t from a value in `convention`, checked.
function timeOf(x: number, convention: TimeConvention): number {
  assertConvention(convention);
  assertUnit(convention === 't' ? 't' : 'sigma', x);
  return convention === 't' ? x : 1 - x;
}

/**
 * The signal-to-noise ratio of the flow path `x_t = t·data + (1 − t)·noise`: `SNR = (t/(1 − t))²`,
 * i.e. `((1 − σ)/σ)²`; 0 at the noise end, Infinity at the data end.
 * @param x - the time in `convention`.
 * @param convention - the convention of `x` (default 't': t = 0 is noise).
 * @returns the SNR.
 * @throws {RangeError} when `x` is outside [0, 1] or the convention is unknown.
 */
export function flowSnr(x: number, convention: TimeConvention = 't'): number {
  const t = timeOf(x, convention);
  return (t / (1 - t)) ** 2;
}

/** Options of {@link minSnrWeight} and {@link debiasedWeight}. */
export interface SnrWeightOptions {
  /** Convention of the time passed (default 't': t = 0 is noise). */
  convention?: TimeConvention;
  /** Divide by SNR + 1 instead of SNR, as the trainers do for v-prediction (default false). */
  vPrediction?: boolean;
}

/**
 * Min-SNR-γ (Hang et al. 2023) on the flow SNR `(t/(1 − t))²`: `min(SNR, γ)/SNR`, or
 * `min(SNR, γ)/(SNR + 1)` with `vPrediction`, the expression of sd-scripts' `apply_snr_weight`.
 * At the noise end (SNR = 0) it returns the limit, 1 (0 with `vPrediction`); at the data end, 0.
 * @param x - the time in `options.convention` (default 't').
 * @param gamma - γ, finite and > 0 (5 in the paper).
 * @param options - `convention`, `vPrediction`.
 * @returns the weight in [0, 1].
 * @throws {RangeError} when `x` is outside [0, 1], γ is not finite and > 0, or the convention is unknown.
 */
export function minSnrWeight(x: number, gamma: number, options: SnrWeightOptions = {}): number {
  const snr = flowSnr(x, options.convention ?? 't');
  assertPositive('gamma', gamma);
  const divisor = options.vPrediction === true ? snr + 1 : snr;
  if (snr === 0) return options.vPrediction === true ? 0 : 1;
  if (snr === Number.POSITIVE_INFINITY) return 0;
  return Math.min(snr, gamma) / divisor;
}

/**
 * The debiased estimation weight (Yu et al. 2024) on the flow SNR with sd-scripts' cap at 1000
 * (`apply_debiased_estimation`): `1/√min(SNR, 1000)`, or `1/(min(SNR, 1000) + 1)` with `vPrediction`.
 * @param x - the time in `options.convention` (default 't').
 * @param options - `convention`, `vPrediction`.
 * @returns the weight (Infinity at the noise end without `vPrediction`).
 * @throws {RangeError} when `x` is outside [0, 1] or the convention is unknown.
 */
export function debiasedWeight(x: number, options: SnrWeightOptions = {}): number {
  const snr = Math.min(flowSnr(x, options.convention ?? 't'), 1000);
  return options.vPrediction === true ? 1 / (snr + 1) : 1 / Math.sqrt(snr);
}

// ai-toolkit's bell: y(i) = exp(−2((i − 500)/1000)²) on its 1000-entry table, minus its minimum
// (at i = 0), scaled to mean 1 over the table.
const BELL_FLOOR = Math.exp(-0.5);
const BELL_SCALE = (() => {
  let sum = 0;
  for (let i = 0; i < 1000; i++) sum += Math.exp(-2 * ((i - 500) / 1000) ** 2) - BELL_FLOOR;
  return 1000 / sum;
})();

/** Options of {@link bellWeight}. */
export interface BellWeightOptions {
  /** Convention of the time passed (default 't': t = 0 is noise). */
  convention?: TimeConvention;
  /** ai-toolkit's `linear_timesteps2`: the bell up to its peak at t = 1/2, flat at the peak after it (default false). */
  half?: boolean;
}

/**
 * ai-toolkit's bell-shaped mean-normalized timestep weight (`linear_timesteps`; `half` is
 * `linear_timesteps2`): `(exp(−2(t − ½)²) − e^(−½))·c`, with c making the mean over ai-toolkit's
 * 1000-step table 1. Its table entry i (timestep 1000 − i, σ = 1 − i/1000) is this at t = i/1000:
 * 0 at the noise end, about 1.58 at t = 1/2.
 * @param x - the time in `options.convention` (default 't').
 * @param options - `convention`, `half`.
 * @returns the weight, >= 0.
 * @throws {RangeError} when `x` is outside [0, 1] or the convention is unknown.
 */
export function bellWeight(x: number, options: BellWeightOptions = {}): number {
  const t = timeOf(x, options.convention ?? 't');
  const peaked = options.half === true && t >= 0.5 ? 0.5 : t;
  return (Math.exp(-2 * (peaked - 0.5) ** 2) - BELL_FLOOR) * BELL_SCALE;
}

/**
 * Importance weight for training times drawn from one law as if drawn from another:
 * `w(x) = p_target(x)/p_sampled(x)`, so that `E_sampled[w·loss] = E_target[loss]`. Exact, since
 * both densities are.
 * @param target - the law to weight toward.
 * @param sampled - the law the times are drawn from (the same convention as `target`).
 * @returns `w(x)` for x in [0, 1] in their convention: Infinity where only the sampled density vanishes, 0 where both do.
 * @throws {RangeError} when the two conventions differ.
 * @throws {TypeError} when either is not a distribution from `timestepDistribution`.
 */
export function densityRatioWeight(target: TimestepDistribution, sampled: TimestepDistribution): (x: number) => number {
  for (const [name, dist] of [
    ['target', target],
    ['sampled', sampled],
  ] as const) {
    if (typeof dist !== 'object' || dist === null || typeof dist.pdf !== 'function') {
      throw new TypeError(`${name} must be a distribution from timestepDistribution(spec), got ${describe(dist)}`);
    }
  }
  if (target.convention !== sampled.convention) {
    throw new RangeError(
      `target and sampled must share a convention, got ${describe(target.convention)} and ${describe(sampled.convention)}`,
    );
  }
  return (x) => {
    const numerator = target.pdf(x);
    const denominator = sampled.pdf(x);
    if (denominator === 0) return numerator === 0 ? 0 : Number.POSITIVE_INFINITY;
    return numerator / denominator;
  };
}
