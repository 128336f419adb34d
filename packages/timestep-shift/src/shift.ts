import type { TimeConvention } from './convention.js';
import { assertConvention } from './convention.js';
import { assertFinite, assertPositive, assertUnit, describe } from './validate.js';

/**
 * The SD3 shift in the t convention (t = 0 noise): `logit(t') = logit(t) − ln shift`, i.e.
 * `t' = t / (t + shift·(1 − t))`. A shift > 1 moves mass toward noise.
 * @param t - a time in [0, 1], t convention.
 * @param shift - the shift α, finite and > 0.
 * @returns the shifted time in [0, 1], t convention.
 * @throws {RangeError} when `t` is outside [0, 1] or `shift` is not finite and > 0.
 */
export function shiftT(t: number, shift: number): number {
  assertUnit('t', t);
  assertPositive('shift', shift);
  if (shift === 1) return t;
  return t / (t + shift * (1 - t));
}

/**
 * Inverse of {@link shiftT}: `t = shift·t' / (shift·t' + 1 − t')`.
 * @param t - a shifted time in [0, 1], t convention.
 * @param shift - the shift α that was applied, finite and > 0.
 * @returns the unshifted time, t convention.
 * @throws {RangeError} when `t` is outside [0, 1] or `shift` is not finite and > 0.
 */
export function inverseShiftT(t: number, shift: number): number {
  assertUnit('t', t);
  assertPositive('shift', shift);
  if (shift === 1) return t;
  return (shift * t) / (shift * t + (1 - t));
}

/**
 * The SD3 shift in the sigma convention (sigma = 1 noise), diffusers' formula:
 * `sigma' = shift·sigma / (1 + (shift − 1)·sigma)`. Equals `1 − shiftT(1 − sigma, shift)`.
 * @param sigma - a noise level in [0, 1], sigma convention.
 * @param shift - the shift α, finite and > 0.
 * @returns the shifted sigma, sigma convention.
 * @throws {RangeError} when `sigma` is outside [0, 1] or `shift` is not finite and > 0.
 */
export function shiftSigma(sigma: number, shift: number): number {
  assertUnit('sigma', sigma);
  assertPositive('shift', shift);
  if (shift === 1) return sigma;
  // ασ/(ασ + 1 − σ) rather than diffusers' ασ/(1 + (α − 1)σ): equal in exact arithmetic, and it
  // keeps σ = 1 at exactly 1 for every α. The schedules use diffusers' own form and rounding.
  return (shift * sigma) / (shift * sigma + (1 - sigma));
}

/**
 * Inverse of {@link shiftSigma}: `sigma = sigma' / (sigma' + shift·(1 − sigma'))`.
 * @param sigma - a shifted sigma in [0, 1], sigma convention.
 * @param shift - the shift α that was applied, finite and > 0.
 * @returns the unshifted sigma, sigma convention.
 * @throws {RangeError} when `sigma` is outside [0, 1] or `shift` is not finite and > 0.
 */
export function inverseShiftSigma(sigma: number, shift: number): number {
  assertUnit('sigma', sigma);
  assertPositive('shift', shift);
  if (shift === 1) return sigma;
  return sigma / (sigma + shift * (1 - sigma));
}

/**
 * The SD3 resolution rule (Esser et al. 2024, §5.3.2, Eq. 23): `α = √(m / n)` for m values at the
 * new resolution and n at the base resolution where shift 1 was right. Count the values the noise
 * is added to (pixels, or latent pixels, times frames), not tokens: a larger patch groups more of
 * them into a token without changing how much of the signal the noise hides.
 * @param pixels - pixel count (frames × height × width) at the target resolution, > 0.
 * @param basePixels - pixel count at the base resolution, > 0.
 * @returns the shift α.
 * @throws {RangeError} when either count is not finite and > 0.
 */
export function resolutionShift(pixels: number, basePixels: number): number {
  assertPositive('pixels', pixels);
  assertPositive('basePixels', basePixels);
  return Math.sqrt(pixels / basePixels);
}

/** Options of {@link calculateShift}; the defaults are FLUX.1's scheduler config. */
export interface CalculateShiftOptions {
  /** Sequence length where μ = baseShift (default 256). */
  baseSeqLen?: number;
  /** Sequence length where μ = maxShift (default 4096). */
  maxSeqLen?: number;
  /** μ at baseSeqLen (default 0.5). */
  baseShift?: number;
  /** μ at maxSeqLen (default 1.15). */
  maxShift?: number;
  /**
   * Upper bound on μ. The line is extrapolated past maxSeqLen, and at video token counts
   * (tens of thousands) e^μ explodes (μ ≈ 3.2 at 16384 tokens, shift 25); OneTrainer PR #1692
   * caps it. Default: no cap.
   */
  maxMu?: number;
}

/**
 * Flux's resolution-dependent μ (diffusers `calculate_shift`, flux `get_lin_function`):
 * `μ = L·m + b` with `m = (maxShift − baseShift)/(maxSeqLen − baseSeqLen)`, `b = baseShift − m·baseSeqLen`,
 * evaluated in the same order so the float64 result is bit-identical. The shift is α = e^μ.
 * @param seqLen - the image/video token count L, > 0.
 * @param options - line anchors and an optional cap (see {@link CalculateShiftOptions}).
 * @returns μ, capped at `maxMu` if given: not the shift itself, which is e^μ.
 * @throws {RangeError} when `seqLen` is not finite and > 0, or an option is not finite, or the anchors coincide.
 */
export function calculateShift(seqLen: number, options: CalculateShiftOptions = {}): number {
  assertPositive('seqLen', seqLen);
  const { baseSeqLen = 256, maxSeqLen = 4096, baseShift = 0.5, maxShift = 1.15, maxMu } = options;
  assertPositive('baseSeqLen', baseSeqLen);
  assertPositive('maxSeqLen', maxSeqLen);
  assertFinite('baseShift', baseShift);
  assertFinite('maxShift', maxShift);
  if (maxSeqLen === baseSeqLen) {
    throw new RangeError(`maxSeqLen must differ from baseSeqLen, got both ${describe(baseSeqLen)}`);
  }
  const slope = (maxShift - baseShift) / (maxSeqLen - baseSeqLen);
  const intercept = baseShift - slope * baseSeqLen;
  const mu = seqLen * slope + intercept;
  if (maxMu === undefined) return mu;
  assertFinite('maxMu', maxMu);
  return Math.min(mu, maxMu);
}

/**
 * FLUX.2's μ (black-forest-labs/flux2 `compute_empirical_mu`), which depends on the step count:
 * past 4300 tokens `μ = 0.00016927·L + 0.45666666`; below, the line in N through that value at
 * 200 steps and `8.73809524e-05·L + 1.89833333` at 10 steps. Evaluated in the same order, so the
 * float64 result is bit-identical. The shift is e^μ.
 * @param seqLen - the image token count L, > 0.
 * @param steps - the step count N, > 0.
 * @returns μ.
 * @throws {RangeError} when `seqLen` or `steps` is not finite and > 0.
 */
export function flux2Mu(seqLen: number, steps: number): number {
  assertPositive('seqLen', seqLen);
  assertPositive('steps', steps);
  const a1 = 8.73809524e-5;
  const b1 = 1.89833333;
  const a2 = 0.00016927;
  const b2 = 0.45666666;
  if (seqLen > 4300) return a2 * seqLen + b2;
  const mu200 = a2 * seqLen + b2;
  const mu10 = a1 * seqLen + b1;
  const slope = (mu200 - mu10) / 190.0;
  const intercept = mu200 - 200.0 * slope;
  return slope * steps + intercept;
}

/** Options of the time-shift functions. */
export interface TimeShiftOptions {
  /** Exponent γ on `(1/σ − 1)` (default 1, the only value diffusers and Flux use). */
  gamma?: number;
  /** Convention of the value passed and returned (default 't'). */
  convention?: TimeConvention;
}

// σ' = scale / (scale + (1/σ − 1)^γ), evaluated through t/(1 − t) = 1/σ − 1 so neither end loses precision.
function timeShift(x: number, scale: number, options: TimeShiftOptions): number {
  const { gamma = 1, convention = 't' } = options;
  assertConvention(convention);
  assertUnit(convention === 't' ? 't' : 'sigma', x);
  assertPositive('gamma', gamma);
  const t = convention === 't' ? x : 1 - x;
  if (t === 0 || t === 1) return x;
  const odds = (t / (1 - t)) ** gamma;
  return convention === 't' ? odds / (scale + odds) : scale / (scale + odds);
}

/**
 * Exponential time shift (diffusers/Flux `time_shift`): `σ' = e^μ / (e^μ + (1/σ − 1)^γ)`;
 * with γ = 1 it is the SD3 shift with α = e^μ.
 * @param x - a time in [0, 1] in `options.convention` (default 't').
 * @param mu - μ, e.g. from {@link calculateShift}; in [−700, 700] so that e^μ is finite and > 0.
 * @param options - γ and the convention.
 * @returns the shifted value in the same convention.
 * @throws {RangeError} when `x` is outside [0, 1], `mu` is not finite, γ ≤ 0 or the convention is unknown.
 */
export function exponentialTimeShift(x: number, mu: number, options: TimeShiftOptions = {}): number {
  if (typeof mu !== 'number' || !(Math.abs(mu) <= 700)) {
    throw new RangeError(`mu must be a finite number in [-700, 700] (e^mu must be finite and > 0), got ${describe(mu)}`);
  }
  return timeShift(x, Math.exp(mu), options);
}

/**
 * Linear time shift (diffusers `time_shift_type: 'linear'`, CogView4): `σ' = μ / (μ + (1/σ − 1)^γ)`;
 * with γ = 1 it is the SD3 shift with α = μ.
 * @param x - a time in [0, 1] in `options.convention` (default 't').
 * @param mu - μ > 0 (CogView4: `√(L/256)·0.75 + 0.25`).
 * @param options - γ and the convention.
 * @returns the shifted value in the same convention.
 * @throws {RangeError} when `x` is outside [0, 1], `mu` is not finite and > 0, γ ≤ 0 or the convention is unknown.
 */
export function linearTimeShift(x: number, mu: number, options: TimeShiftOptions = {}): number {
  assertPositive('mu', mu);
  return timeShift(x, mu, options);
}

/**
 * shift_terminal (diffusers `stretch_shift_to_terminal`, LTX-Video): rescales a schedule so its
 * last value lands on `terminal`. In sigma: `σ ← 1 − (1 − σ)·(1 − T)/(1 − σ_last)`; in t:
 * `t ← t·terminal/t_last`. Both conventions describe the same stretch.
 * @param values - a schedule without its terminal entry (e.g. N step values), in `convention`.
 * @param terminal - the value the last entry should take, in the same convention (sigma in [0, 1), t in (0, 1]).
 * @param convention - the convention of `values` and `terminal` (default 't').
 * @returns a new array of the stretched values.
 * @throws {RangeError} when given an empty schedule, a terminal outside the allowed range, a last value at
 *   the data end (nothing to stretch) or an unknown convention.
 */
export function stretchToTerminal(
  values: ArrayLike<number>,
  terminal: number,
  convention: TimeConvention = 't',
): Float64Array {
  assertConvention(convention);
  if (values.length < 1) throw new RangeError('values must hold at least one value, got an empty array');
  const last = values[values.length - 1]!;
  const t = (x: number) => (convention === 't' ? x : 1 - x);
  const terminalT = t(terminal);
  if (!(terminalT > 0 && terminalT <= 1)) {
    const allowed = convention === 't' ? '(0, 1]' : '[0, 1)';
    throw new RangeError(`terminal must be in ${allowed} in the ${convention} convention, got ${describe(terminal)}`);
  }
  if (!(t(last) > 0 && t(last) <= 1)) {
    throw new RangeError(`the last value must not be the data end, got ${describe(last)} (${convention} convention)`);
  }
  const scale = terminalT / t(last);
  return Float64Array.from(values, (x) => (convention === 't' ? x * scale : 1 - (1 - x) * scale));
}

/** A documented shift value. */
export interface ShiftPreset {
  readonly shift: number;
  /** Whether the source uses it to sample training times or inference schedules. */
  readonly use: 'training' | 'inference';
  /**
   * Wan2.2's switch between its two experts, in t (t = 0 noise): the high-noise expert runs while
   * t < boundaryT, i.e. while Wan's timestep ≥ `boundary·1000` with σ boundary = 1 − boundaryT.
   */
  readonly boundaryT?: number;
  readonly source: string;
}

/** Names of the shift presets. */
export type ShiftPresetName =
  | 'sd3'
  | 'hunyuanvideo'
  | 'hunyuanvideo-i2v-stable'
  | 'hunyuanvideo-i2v-dynamic'
  | 'hunyuanvideo-1.5-train'
  | 'hunyuanvideo-1.5-validation'
  | 'hunyuanvideo-1.5-480p'
  | 'hunyuanvideo-1.5-720p-t2v'
  | 'hunyuanvideo-1.5-720p-i2v'
  | 'wan-720p'
  | 'wan-480p'
  | 'wan-flf2v'
  | 'wan2.2-t2v'
  | 'wan2.2-i2v'
  | 'z-image-turbo';

const preset = (shift: number, use: ShiftPreset['use'], source: string, boundaryT?: number): ShiftPreset =>
  Object.freeze(boundaryT === undefined ? { shift, use, source } : { shift, use, boundaryT, source });

/** Shift values used by published models, each with the file it comes from. */
export const SHIFT_PRESETS: Readonly<Record<ShiftPresetName, ShiftPreset>> = Object.freeze({
  sd3: preset(
    3.0,
    'inference',
    'SD3 paper (Esser et al. 2024, arXiv 2403.03206) §5.3.2: shift 3.0 at 1024², training and sampling; diffusers SD3 scheduler config shift 3.0',
  ),
  hunyuanvideo: preset(7.0, 'inference', 'Tencent-Hunyuan/HunyuanVideo hyvideo/config.py: --flow-shift default 7.0 (--infer-steps default 50)'),
  'hunyuanvideo-i2v-stable': preset(
    7.0,
    'inference',
    'Tencent-Hunyuan/HunyuanVideo-I2V README.md: --flow-shift 7.0 with --i2v-stability for a more stable video (50 steps)',
  ),
  'hunyuanvideo-i2v-dynamic': preset(
    17.0,
    'inference',
    'Tencent-Hunyuan/HunyuanVideo-I2V README.md: --flow-shift 17.0 with --i2v-stability unset for a more dynamic video (--infer-steps 50)',
  ),
  'hunyuanvideo-1.5-train': preset(
    3.0,
    'training',
    'Tencent-Hunyuan/HunyuanVideo-1.5 train.py: train_timestep_shift 3.0 on snr_type lognorm (sigmoid of N(0, 1))',
  ),
  'hunyuanvideo-1.5-validation': preset(
    5.0,
    'inference',
    'Tencent-Hunyuan/HunyuanVideo-1.5 train.py: validation_timestep_shift 5.0 (the validation videos during training)',
  ),
  'hunyuanvideo-1.5-480p': preset(
    5.0,
    'inference',
    "Tencent-Hunyuan/HunyuanVideo-1.5 hyvideo/commons/__init__.py PIPELINE_CONFIGS: flow_shift 5.0 for '480p_t2v' and '480p_i2v'",
  ),
  'hunyuanvideo-1.5-720p-t2v': preset(
    9.0,
    'inference',
    "Tencent-Hunyuan/HunyuanVideo-1.5 hyvideo/commons/__init__.py PIPELINE_CONFIGS: flow_shift 9.0 for '720p_t2v'",
  ),
  'hunyuanvideo-1.5-720p-i2v': preset(
    7.0,
    'inference',
    "Tencent-Hunyuan/HunyuanVideo-1.5 hyvideo/commons/__init__.py PIPELINE_CONFIGS: flow_shift 7.0 for '720p_i2v'",
  ),
  'wan-720p': preset(5.0, 'inference', 'Wan-Video/Wan2.1 generate.py: sample_shift 5.0 by default (text-to-video, 720p image-to-video)'),
  'wan-480p': preset(3.0, 'inference', 'Wan-Video/Wan2.1 generate.py: sample_shift 3.0 for image-to-video at 832*480'),
  'wan-flf2v': preset(16.0, 'inference', 'Wan-Video/Wan2.1 generate.py: sample_shift 16 for first-last-frame-to-video and VACE'),
  'wan2.2-t2v': preset(
    12.0,
    'inference',
    'Wan-Video/Wan2.2 wan/configs/wan_t2v_A14B.py: sample_shift 12.0, 40 steps, boundary 0.875 (the high-noise expert while timestep >= 875)',
    0.125,
  ),
  'wan2.2-i2v': preset(
    5.0,
    'inference',
    'Wan-Video/Wan2.2 wan/configs/wan_i2v_A14B.py: sample_shift 5.0, 40 steps, boundary 0.900 (the high-noise expert while timestep >= 900)',
    0.1,
  ),
  'z-image-turbo': preset(
    3.0,
    'inference',
    'ostris/ai-toolkit extensions_built_in/diffusion_models/z_image/z_image.py scheduler_config (Tongyi-MAI/Z-Image-Turbo): shift 3.0, no dynamic shifting; musubi-tuner docs/zimage.md: --flow_shift defaults to 3.0',
  ),
});

/** A resolution-dependent μ rule: μ on the line through two token counts (see {@link calculateShift}). */
export interface MuPreset {
  readonly baseSeqLen: number;
  readonly maxSeqLen: number;
  readonly baseShift: number;
  readonly maxShift: number;
  /** The sigma the schedule is stretched to end at (diffusers `shift_terminal`), if any. */
  readonly shiftTerminal?: number;
  readonly source: string;
}

/** Names of the μ presets. */
export type MuPresetName = 'flux' | 'qwen-image' | 'ltx-2';

/**
 * μ rules of published models: pass one to {@link calculateShift} (its anchors are the options'
 * names) and its `shiftTerminal` to `flowMatchEulerSchedule`.
 */
export const MU_PRESETS: Readonly<Record<MuPresetName, MuPreset>> = Object.freeze({
  flux: Object.freeze({
    baseSeqLen: 256,
    maxSeqLen: 4096,
    baseShift: 0.5,
    maxShift: 1.15,
    source: 'black-forest-labs/flux src/flux/sampling.py get_schedule (base_shift 0.5, max_shift 1.15 at 256 and 4096 tokens); diffusers calculate_shift defaults',
  }),
  'qwen-image': Object.freeze({
    baseSeqLen: 256,
    maxSeqLen: 8192,
    baseShift: 0.5,
    maxShift: 0.9,
    shiftTerminal: 0.02,
    source:
      'Qwen-Image scheduler config as copied in kohya-ss/musubi-tuner src/musubi_tuner/qwen_image/qwen_image_utils.py get_scheduler and ostris/ai-toolkit extensions_built_in/diffusion_models/qwen_image/qwen_image.py: base_image_seq_len 256, max_image_seq_len 8192, base_shift 0.5, max_shift 0.9, shift_terminal 0.02, exponential',
  }),
  'ltx-2': Object.freeze({
    baseSeqLen: 1024,
    maxSeqLen: 4096,
    baseShift: 0.95,
    maxShift: 2.05,
    shiftTerminal: 0.1,
    source:
      'Lightricks/LTX-2 packages/ltx-core/src/ltx_core/components/schedulers.py LTX2Scheduler.execute: anchors 1024 and 4096 tokens, base_shift 0.95, max_shift 2.05, stretched to terminal 0.1; ltx-trainer timestep_samplers.py uses the same line for training, and Lightricks/LTX-Video ltx_video/schedulers/rf.py get_normal_shift; neither caps μ',
  }),
});

/**
 * Looks up a μ preset by name, with a clear error for a typo.
 * @param name - one of the keys of {@link MU_PRESETS}.
 * @returns the preset's anchors, terminal and source.
 * @throws {RangeError} when `name` is not a preset.
 */
export function muPreset(name: string): MuPreset {
  if (!Object.hasOwn(MU_PRESETS, name)) {
    throw new RangeError(`preset must be one of ${Object.keys(MU_PRESETS).map(describe).join(', ')}, got ${describe(name)}`);
  }
  return MU_PRESETS[name as MuPresetName];
}

/**
 * Looks up a preset by name, with a clear error for a typo.
 * @param name - one of the keys of {@link SHIFT_PRESETS}.
 * @returns the preset's shift and source.
 * @throws {RangeError} when `name` is not a preset.
 */
export function shiftPreset(name: string): ShiftPreset {
  if (!Object.hasOwn(SHIFT_PRESETS, name)) {
    throw new RangeError(
      `preset must be one of ${Object.keys(SHIFT_PRESETS).map(describe).join(', ')}, got ${describe(name)}`,
    );
  }
  return SHIFT_PRESETS[name as ShiftPresetName];
}
