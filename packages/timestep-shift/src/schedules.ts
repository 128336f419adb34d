import { betaCore } from './beta.js';
import type { TimeConvention } from './convention.js';
import { assertConvention } from './convention.js';
import { calculateShift, flux2Mu } from './shift.js';
import { assertFinite, assertInteger, assertPositive, assertUnit, describe } from './validate.js';

// Reference implementations round to float32 at known points (numpy/torch float32 arrays).
// `round` is Math.fround when reproducing them bit for bit, the identity for plain float64.
type Round = (x: number) => number;
const exact: Round = (x) => x;
const roundingFor = (referenceRounding: boolean | undefined): Round =>
  referenceRounding === false ? exact : Math.fround;

/** numpy.linspace(start, stop, num) in float64: `start + i·step`, the last entry set to `stop`. */
function numpyLinspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * torch.linspace(start, end, steps) on the CPU in float32. The kernel fills the first half from
 * `start` and the second from `end`; full blocks of 16 go through 8-lane vectors whose lanes are
 * `base + k·step`, the rest through the scalar path. Emulating both reproduces Flux's and
 * HunyuanVideo's tables bit for bit.
 */
function torchLinspace(start: number, end: number, steps: number, round: Round): Float64Array {
  const out = new Float64Array(steps);
  if (steps === 1) {
    out[0] = round(start);
    return out;
  }
  if (round === exact) return numpyLinspace(start, end, steps);
  const f = Math.fround;
  const step = f((end - start) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const at = (idx: number) => (idx < halfway ? f(start + f(step * idx)) : f(end - f(step * (steps - idx - 1))));
  const lanes = 8;
  let i = 0;
  for (; i <= steps - 2 * lanes; i += 2 * lanes) {
    for (const offset of [i, i + lanes]) {
      const base = at(offset);
      for (let k = 0; k < lanes; k++) out[offset + k] = f(base + f(k * step));
    }
  }
  for (; i < steps; i++) out[i] = at(i);
  return out;
}

function toConvention(sigmas: Float64Array, convention: TimeConvention): Float64Array {
  return convention === 'sigma' ? sigmas : sigmas.map((sigma) => 1 - sigma);
}

// SD3 shift of a sigma with the reference's float32 rounding of each operation.
function shiftSigmaRounded(sigma: number, shift: number, round: Round): number {
  return round(round(round(shift) * sigma) / round(1 + round(round(shift - 1) * sigma)));
}

/** Common options of the N-step schedules. */
export interface ScheduleOptions<C extends TimeConvention = TimeConvention> {
  /** Convention of the returned values (default 't'): 't' ends at t = 1, 'sigma' ends at sigma = 0. */
  convention?: C;
  /**
   * Reproduce the reference's float32 rounding so values are bit-identical to it (default true);
   * false computes the same formulas in float64 (within about 1e-7 of the reference).
   */
  referenceRounding?: boolean;
}

/** An N-step inference schedule in the sigma convention (sigma = 1 is noise). */
export interface SigmaSchedule {
  readonly convention: 'sigma';
  /** N + 1 sigmas from the noise end, the last 0. */
  readonly sigmas: Float64Array;
  /** The N steps' model timesteps `1000·sigma` (`numTrainTimesteps·sigma`), rounded as the reference rounds them. */
  readonly timesteps: Float64Array;
}

/** An N-step inference schedule in the t convention (t = 0 is noise). */
export interface TimeSchedule {
  readonly convention: 't';
  /** N + 1 times `1 − sigma` from the noise end, the last 1. */
  readonly times: Float64Array;
  /** The N steps' model timesteps `1000·t`, computed as 1000 minus the sigma convention's timesteps. */
  readonly timesteps: Float64Array;
}

/** What every schedule function returns: the schedule in the convention that was asked for. */
export type Schedule = SigmaSchedule | TimeSchedule;

/** The schedule for a convention: {@link TimeSchedule} for 't', {@link SigmaSchedule} for 'sigma', either for both. */
export type ScheduleIn<C extends TimeConvention> = C extends 'sigma' ? SigmaSchedule : TimeSchedule;

// Both conventions come from the same sigmas and sigma timesteps, so a t schedule is the exact
// mirror image of the sigma one: t = 1 − sigma and timestep_t = numTrain − timestep_sigma.
function scheduleIn<C extends TimeConvention>(
  convention: C,
  sigmas: Float64Array,
  timesteps: Float64Array,
  numTrain: number,
): ScheduleIn<C> {
  const schedule: Schedule =
    convention === 'sigma'
      ? { convention: 'sigma', sigmas, timesteps }
      : { convention: 't', times: toConvention(sigmas, 't'), timesteps: timesteps.map((timestep) => numTrain - timestep) };
  return schedule as ScheduleIn<C>;
}

// The checks every schedule starts with; returns the convention, 't' when none is given.
function checkSchedule(steps: number, options: ScheduleOptions | undefined): TimeConvention {
  assertInteger('steps', steps, 1);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object such as { convention: 't' }, got ${describe(options)}`);
  }
  const convention = options?.convention ?? 't';
  assertConvention(convention);
  return convention;
}

/**
 * HunyuanVideo's inference schedule (`FlowMatchDiscreteScheduler.set_timesteps`):
 * `torch.linspace(1, 0, N + 1)` in sigma, then the SD3 shift (default 7.0, `--flow-shift`), in float32;
 * the timesteps are `sigma·1000` in float32.
 * @param steps - N, an integer >= 1.
 * @param options - `shift` (default 7), `convention` (default 't'), `referenceRounding`.
 * @returns N + 1 times (or sigmas) including the terminal (t = 1, or sigma = 0), and N timesteps.
 * @throws {RangeError} when given steps < 1 or not an integer, a shift that is not finite and > 0, or an unknown convention.
 * @throws {TypeError} when `options` is given and is not an object.
 */
export function hunyuanVideoSchedule<C extends TimeConvention = 't'>(
  steps: number,
  options?: ScheduleOptions<C> & { shift?: number },
): ScheduleIn<C> {
  const convention = checkSchedule(steps, options) as C;
  const shift = options?.shift ?? 7;
  assertPositive('shift', shift);
  const round = roundingFor(options?.referenceRounding);
  const sigmas = torchLinspace(1, 0, steps + 1, round).map((sigma) => shiftSigmaRounded(sigma, shift, round));
  const timesteps = sigmas.subarray(0, steps).map((sigma) => round(sigma * 1000));
  return scheduleIn(convention, sigmas, timesteps, 1000);
}

/**
 * Wan2.1's inference schedule (`FlowUniPCMultistepScheduler.set_timesteps`): sigma from
 * `linspace(0.999, 0, N + 1)[:-1]` (0.999 is the float32 first entry of its training table), SD3
 * shift in float64, terminal 0 appended, then cast to float32. Wan's timesteps are the float64
 * `sigma·1000` cast to int64 (truncated), as with `referenceRounding`.
 * @param steps - N, an integer >= 1.
 * @param options - `shift` (default 5.0, Wan2.1 text-to-video 720p), `convention` (default 't'), `referenceRounding`.
 * @returns N + 1 times (or sigmas) including the terminal (t = 1, or sigma = 0), and N timesteps.
 * @throws {RangeError} when given steps < 1 or not an integer, a shift that is not finite and > 0, or an unknown convention.
 * @throws {TypeError} when `options` is given and is not an object.
 */
export function wanSchedule<C extends TimeConvention = 't'>(
  steps: number,
  options?: ScheduleOptions<C> & { shift?: number },
): ScheduleIn<C> {
  const convention = checkSchedule(steps, options) as C;
  const shift = options?.shift ?? 5;
  assertPositive('shift', shift);
  const round = roundingFor(options?.referenceRounding);
  const sigmaMax = round(1 - 1 / 1000);
  const base = numpyLinspace(sigmaMax, 0, steps + 1);
  const sigmas = new Float64Array(steps + 1);
  const timesteps = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const shifted = shiftSigmaRounded(base[i]!, shift, exact);
    sigmas[i] = round(shifted);
    timesteps[i] = round === exact ? shifted * 1000 : Math.trunc(shifted * 1000);
  }
  return scheduleIn(convention, sigmas, timesteps, 1000);
}

/** Options of {@link fluxSchedule}. */
export interface FluxScheduleOptions<C extends TimeConvention = TimeConvention> extends ScheduleOptions<C> {
  /** Image (or video) token count L that sets μ. */
  seqLen: number;
  /** Apply the resolution-dependent shift (default true, as in flux `get_schedule`). */
  shift?: boolean;
  /** μ at 256 tokens (default 0.5). */
  baseShift?: number;
  /** μ at 4096 tokens (default 1.15). */
  maxShift?: number;
  /** Upper bound on μ for token counts far past 4096 (see `calculateShift`). */
  maxMu?: number;
}

/**
 * black-forest-labs/flux `get_schedule(num_steps, image_seq_len)`: `torch.linspace(1, 0, N + 1)`,
 * then the exponential time shift with μ = `calculateShift(seqLen)`, in float32. Flux gives its
 * model the sigma itself (its time embedding multiplies by 1000); the timesteps are that
 * `sigma·1000` in float32, the values diffusers' Flux pipeline passes.
 * @param steps - N, an integer >= 1.
 * @param options - `seqLen`, `convention` (default 't'), optional `shift: false`, `baseShift`, `maxShift`, `maxMu`, `referenceRounding`.
 * @returns N + 1 times (or sigmas) including the terminal (t = 1, or sigma = 0), and N timesteps.
 * @throws {RangeError} when given steps < 1 or not an integer, a seqLen that is not finite and > 0, or an unknown convention.
 * @throws {TypeError} when `options` is not an object.
 */
export function fluxSchedule<C extends TimeConvention = 't'>(steps: number, options: FluxScheduleOptions<C>): ScheduleIn<C> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object with seqLen (the image or video token count), got ${describe(options)}`);
  }
  const convention = checkSchedule(steps, options) as C;
  const mu = calculateShift(options.seqLen, {
    baseShift: options.baseShift ?? 0.5,
    maxShift: options.maxShift ?? 1.15,
    ...(options.maxMu === undefined ? {} : { maxMu: options.maxMu }),
  });
  return timeShiftedLinspace(steps, options.shift === false ? undefined : mu, convention, options.referenceRounding);
}

// Flux's and FLUX.2's `get_schedule`: torch.linspace(1, 0, N + 1), then (with μ) the exponential time shift, in float32.
function timeShiftedLinspace<C extends TimeConvention>(
  steps: number,
  mu: number | undefined,
  convention: C,
  referenceRounding: boolean | undefined,
): ScheduleIn<C> {
  const round = roundingFor(referenceRounding);
  let sigmas = torchLinspace(1, 0, steps + 1, round);
  if (mu !== undefined) {
    const scale = round(Math.exp(mu));
    // torch evaluates `e^μ / w` as reciprocal(w)·e^μ; 1/0 = ∞ maps sigma 0 to 0.
    sigmas = sigmas.map((sigma) => round(round(1 / round(scale + round(round(1 / sigma) - 1))) * scale));
  }
  const timesteps = sigmas.subarray(0, steps).map((sigma) => round(sigma * 1000));
  return scheduleIn(convention, sigmas, timesteps, 1000);
}

/** Options of {@link flux2Schedule}. */
export interface Flux2ScheduleOptions<C extends TimeConvention = TimeConvention> extends ScheduleOptions<C> {
  /** Image token count L that sets μ with the step count (see `flux2Mu`). */
  seqLen: number;
}

/**
 * black-forest-labs/flux2 `get_schedule(num_steps, image_seq_len)`: `torch.linspace(1, 0, N + 1)`
 * and the exponential time shift with μ = `flux2Mu(seqLen, N)`, in float32, bit for bit; the
 * timesteps are `sigma·1000` in float32.
 * @param steps - N, an integer >= 1.
 * @param options - `seqLen`, `convention` (default 't'), `referenceRounding`.
 * @returns N + 1 times (or sigmas) including the terminal (t = 1, or sigma = 0), and N timesteps.
 * @throws {RangeError} when given steps < 1 or not an integer, a seqLen that is not finite and > 0, or an unknown convention.
 * @throws {TypeError} when `options` is not an object.
 */
export function flux2Schedule<C extends TimeConvention = 't'>(steps: number, options: Flux2ScheduleOptions<C>): ScheduleIn<C> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object with seqLen (the image token count), got ${describe(options)}`);
  }
  const convention = checkSchedule(steps, options) as C;
  return timeShiftedLinspace(steps, flux2Mu(options.seqLen, steps), convention, options.referenceRounding);
}

/** Constructor and `set_timesteps` options of diffusers' `FlowMatchEulerDiscreteScheduler`. */
export interface FlowMatchEulerOptions<C extends TimeConvention = TimeConvention> extends ScheduleOptions<C> {
  /** Constructor `shift` (default 1). SD3: 3.0. Unused when `useDynamicShifting`. */
  shift?: number;
  /** Constructor `num_train_timesteps` (default 1000). */
  numTrainTimesteps?: number;
  /** Constructor `use_dynamic_shifting` (default false): shift by μ at `set_timesteps` instead. */
  useDynamicShifting?: boolean;
  /** Constructor `time_shift_type` (default 'exponential'). */
  timeShiftType?: 'exponential' | 'linear';
  /** Constructor `base_shift`, `max_shift`, `base_image_seq_len`, `max_image_seq_len` (Flux defaults), used with `seqLen`. */
  baseShift?: number;
  maxShift?: number;
  baseImageSeqLen?: number;
  maxImageSeqLen?: number;
  /** Constructor `shift_terminal`: stretch so the last step's sigma is this value. */
  shiftTerminal?: number;
  /** `set_timesteps(sigmas=…)`: explicit step sigmas (sigma convention), e.g. Flux's `linspace(1, 1/N, N)`. */
  sigmas?: ArrayLike<number>;
  /** The same explicit steps given in the t convention (converted with sigma = 1 − t). */
  times?: ArrayLike<number>;
  /** `set_timesteps(mu=…)` for dynamic shifting. */
  mu?: number;
  /**
   * Constructor `use_karras_sigmas`: after the shift (and `shiftTerminal`), respace the N sigmas
   * between the first and the last as `(σ_max^(1/7) + r·(σ_min^(1/7) − σ_max^(1/7)))^7`, r = 0 … 1 (Karras et al. 2022, ρ = 7).
   */
  useKarrasSigmas?: boolean;
  /** Constructor `use_exponential_sigmas`: respace them evenly in ln σ, from σ_max to σ_min. */
  useExponentialSigmas?: boolean;
  /**
   * Constructor `use_beta_sigmas`: respace them as `σ_min + Q(1 − r)·(σ_max − σ_min)` with Q the
   * Beta(0.6, 0.6) quantile (Lee et al. 2024, "Beta sampling is all you need").
   */
  useBetaSigmas?: boolean;
  /**
   * Constructor `invert_sigmas` (Mochi): diffusers then holds `1 − σ`, which is t, in its sigmas
   * (ending at 1) and `1000·(1 − σ)` in its timesteps. Only with `convention: 't'`, where the times
   * and timesteps are those values bit for bit.
   */
  invertSigmas?: boolean;
  /** Token count to compute μ with `calculateShift` and the constructor's anchors, when `mu` is not given. */
  seqLen?: number;
}

/** Options of {@link flowMatchTrainingTable}. */
export interface TrainingTableOptions {
  /** Convention of the table's values (default 't'). */
  convention?: TimeConvention;
  /** Constructor `shift` (default 1). */
  shift?: number;
  /** Constructor `num_train_timesteps` (default 1000). */
  numTrainTimesteps?: number;
  /** Constructor `use_dynamic_shifting` (default false): the table is then left unshifted. */
  useDynamicShifting?: boolean;
}

/** The 1000-entry training table of diffusers' `FlowMatchEulerDiscreteScheduler`, descending in sigma. */
export interface TrainingTable {
  readonly convention: TimeConvention;
  /** Table entries in the chosen convention (float32 values as in diffusers). */
  readonly values: Float64Array;
  /** Matching model timesteps `sigma·numTrainTimesteps` in the sigma convention (float32). */
  readonly timesteps: Float64Array;
}

function sigmaTable(shift: number, numTrain: number, dynamic: boolean): { sigmas: Float64Array; timesteps: Float64Array } {
  const f = Math.fround;
  const sigmas = new Float64Array(numTrain);
  const timesteps = new Float64Array(numTrain);
  for (let k = 0; k < numTrain; k++) {
    const sigma = f((numTrain - k) / numTrain);
    sigmas[k] = dynamic ? sigma : shiftSigmaRounded(sigma, shift, f);
    timesteps[k] = f(sigmas[k]! * numTrain);
  }
  return { sigmas, timesteps };
}

/**
 * The constructor table of diffusers' `FlowMatchEulerDiscreteScheduler`: sigma = shift(k/1000) for
 * k = 1000…1, in float32. Training scripts pick `table[floor(u·1000)]` with u from the sampler
 * (diffusers' u is in the t convention: u = 0 gives sigma = 1).
 * @param options - `convention`, `shift`, `numTrainTimesteps`, `useDynamicShifting`.
 * @returns the table (index 0 is the noise end).
 * @throws {RangeError} when given a shift that is not finite and > 0, numTrainTimesteps < 1 or an unknown convention.
 */
export function flowMatchTrainingTable(options: TrainingTableOptions = {}): TrainingTable {
  const convention = options.convention ?? 't';
  assertConvention(convention);
  const shift = options.shift ?? 1;
  assertPositive('shift', shift);
  const numTrain = options.numTrainTimesteps ?? 1000;
  assertInteger('numTrainTimesteps', numTrain, 1);
  const { sigmas, timesteps } = sigmaTable(shift, numTrain, options.useDynamicShifting === true);
  return { convention, values: toConvention(sigmas, convention), timesteps };
}

/**
 * diffusers' training index path: `idx = floor(u·numTrainTimesteps)` into the training table.
 * @param table - from {@link flowMatchTrainingTable}.
 * @param u - a draw in [0, 1) in the t convention (what diffusers' samplers return).
 * @returns the index, the table value (in the table's convention) and the model timestep.
 * @throws {RangeError} when `u` is outside [0, 1].
 */
export function trainingTableLookup(
  table: TrainingTable,
  u: number,
): { index: number; value: number; timestep: number } {
  assertUnit('u', u);
  const index = Math.min(Math.floor(u * table.values.length), table.values.length - 1);
  return { index, value: table.values[index]!, timestep: table.timesteps[index]! };
}

/**
 * diffusers `FlowMatchEulerDiscreteScheduler(...).set_timesteps(N, sigmas?, mu?)`, reproduced
 * bit for bit (with `referenceRounding`, the default):
 * - default path (no sigmas): `linspace(sigma_max, sigma_min, N)` of the constructor table, which is
 *   already shifted, shifted again. With shift 3 the last sigma is shift(shift(0.001)) ≈ 0.00893,
 *   diffusers' double-shift quirk, reproduced on purpose.
 * - explicit sigmas (Flux pipelines pass `linspace(1, 1/N, N)`): cast to float32, shifted once.
 * - dynamic shifting: exponential `e^μ/(e^μ + (1/σ − 1))` or linear `μ/(μ + (1/σ − 1))` time shift
 *   with `mu` (or μ from `seqLen`).
 * - `shiftTerminal`: the schedule is stretched so its last step lands there.
 * - `useKarrasSigmas`, `useExponentialSigmas`, `useBetaSigmas`: the shifted steps respaced between
 *   their first and last value; `invertSigmas` (t convention only): diffusers' inverted arrays.
 * - diffusers' `stochastic_sampling` changes the step, not the schedule: it is `stochasticEulerStep`.
 * @param steps - N, an integer >= 1 (ignored in favour of the length of explicit sigmas/times, as diffusers does).
 * @param options - constructor and set_timesteps options (see {@link FlowMatchEulerOptions}).
 * @returns N + 1 sigmas (or times) with the terminal, and N timesteps.
 * @throws {RangeError} when given bad steps, shift, mu, seqLen, sigmas or convention, both `sigmas` and
 *   `times`, or dynamic shifting without `mu` or `seqLen`.
 * @throws {TypeError} when `options` is given and is not an object.
 */
export function flowMatchEulerSchedule<C extends TimeConvention = 't'>(
  steps: number,
  options: FlowMatchEulerOptions<C> = {},
): ScheduleIn<C> {
  const convention = checkSchedule(steps, options) as C;
  const round = roundingFor(options.referenceRounding);
  const shift = options.shift ?? 1;
  assertPositive('shift', shift);
  const numTrain = options.numTrainTimesteps ?? 1000;
  assertInteger('numTrainTimesteps', numTrain, 1);
  const dynamic = options.useDynamicShifting === true;
  const timeShiftType = options.timeShiftType ?? 'exponential';
  if (timeShiftType !== 'exponential' && timeShiftType !== 'linear') {
    throw new RangeError(`timeShiftType must be 'exponential' or 'linear', got ${describe(timeShiftType)}`);
  }
  const explicit = explicitSigmas(options);
  const respacing = (['useKarrasSigmas', 'useExponentialSigmas', 'useBetaSigmas'] as const).filter(
    (name) => options[name] === true,
  );
  if (respacing.length > 1) {
    throw new RangeError(
      `only one of useKarrasSigmas, useExponentialSigmas and useBetaSigmas can be true, got ${respacing.join(' and ')}`,
    );
  }
  if (options.invertSigmas === true && convention !== 't') {
    throw new RangeError(
      `invertSigmas returns diffusers' inverted sigmas, which are t = 1 − σ: use convention 't', got ${describe(convention)}`,
    );
  }

  let mu = Number.NaN;
  if (dynamic) {
    if (options.mu !== undefined) {
      assertFinite('mu', options.mu);
      mu = options.mu;
    } else if (options.seqLen !== undefined) {
      mu = calculateShift(options.seqLen, {
        baseSeqLen: options.baseImageSeqLen ?? 256,
        maxSeqLen: options.maxImageSeqLen ?? 4096,
        baseShift: options.baseShift ?? 0.5,
        maxShift: options.maxShift ?? 1.15,
      });
    } else {
      throw new RangeError('mu (or seqLen) is required when useDynamicShifting is true, got neither');
    }
    if (timeShiftType === 'linear' && !(mu > 0)) {
      throw new RangeError(`mu must be > 0 for the linear time shift, got ${describe(mu)}`);
    }
  }

  // The default path works on float64 numpy arrays (one float32 cast at the end); explicit sigmas
  // are float32 arrays, so every operation rounds.
  const op: Round = explicit ? round : exact;
  let sigmas: Float64Array;
  if (explicit) {
    sigmas = Float64Array.from(explicit, (sigma) => round(sigma));
  } else {
    const table = round === exact ? undefined : sigmaTable(shift, numTrain, dynamic).sigmas;
    const sigmaMax = table ? table[0]! : 1;
    const sigmaMin = table ? table[numTrain - 1]! : dynamic ? 1 / numTrain : (shift * (1 / numTrain)) / (1 + (shift - 1) / numTrain);
    sigmas = numpyLinspace(sigmaMax * numTrain, sigmaMin * numTrain, steps).map((timestep) => timestep / numTrain);
  }
  if (dynamic) {
    const scale = op(timeShiftType === 'exponential' ? Math.exp(mu) : mu);
    sigmas = sigmas.map((sigma) => op(scale / op(scale + op(op(1 / sigma) - 1))));
  } else {
    sigmas = sigmas.map((sigma) => shiftSigmaRounded(sigma, shift, op));
  }
  if (options.shiftTerminal !== undefined) {
    const terminal = options.shiftTerminal;
    if (typeof terminal !== 'number' || !(terminal >= 0 && terminal < 1)) {
      throw new RangeError(`shiftTerminal must be a sigma in [0, 1), got ${describe(terminal)}`);
    }
    const oneMinusLast = op(1 - sigmas[sigmas.length - 1]!);
    if (oneMinusLast === 0) throw new RangeError('shiftTerminal needs a last step sigma below 1, got 1');
    // numpy divides a float32 scalar by a Python float in float64, then rounds for the array op.
    const scaleFactor = op(oneMinusLast / (1 - terminal));
    sigmas = sigmas.map((sigma) => op(1 - op(op(1 - sigma) / scaleFactor)));
  }
  if (respacing.length === 1) sigmas = respaced(respacing[0]!, sigmas);
  const stepSigmas = sigmas.map((sigma) => round(sigma));
  if (options.invertSigmas === true) {
    // diffusers: `sigmas = 1.0 − sigmas` on the float32 tensor, timesteps from those, terminal 1.
    const times = new Float64Array(stepSigmas.length + 1);
    stepSigmas.forEach((sigma, i) => {
      times[i] = round(1 - sigma);
    });
    times[stepSigmas.length] = 1;
    const timeSteps = times.subarray(0, stepSigmas.length).map((t) => round(t * numTrain));
    return { convention: 't', times, timesteps: timeSteps } as ScheduleIn<C>;
  }
  const timesteps = stepSigmas.map((sigma) => round(sigma * numTrain));
  const withTerminal = new Float64Array(stepSigmas.length + 1);
  withTerminal.set(stepSigmas);
  return scheduleIn(convention, withTerminal, timesteps, numTrain);
}

// diffusers' `_convert_to_karras`, `_convert_to_exponential` and `_convert_to_beta` in float64,
// between the first and the last of the shifted sigmas.
function respaced(
  kind: 'useKarrasSigmas' | 'useExponentialSigmas' | 'useBetaSigmas',
  sigmas: Float64Array,
): Float64Array {
  const steps = sigmas.length;
  const sigmaMax = sigmas[0]!;
  const sigmaMin = sigmas[steps - 1]!;
  const ramp = numpyLinspace(0, 1, steps);
  if (kind === 'useKarrasSigmas') {
    const rho = 7;
    const minInvRho = sigmaMin ** (1 / rho);
    const maxInvRho = sigmaMax ** (1 / rho);
    return ramp.map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
  }
  if (kind === 'useExponentialSigmas') {
    return numpyLinspace(Math.log(sigmaMax), Math.log(sigmaMin), steps).map(Math.exp);
  }
  const beta = betaCore(0.6, 0.6);
  return ramp.map((r) => sigmaMin + beta.quantile(1 - r) * (sigmaMax - sigmaMin));
}

function explicitSigmas(options: FlowMatchEulerOptions): Float64Array | undefined {
  if (options.sigmas !== undefined && options.times !== undefined) {
    throw new RangeError('pass either sigmas or times, not both');
  }
  const given = options.sigmas ?? options.times;
  if (given === undefined) return undefined;
  const name = options.sigmas !== undefined ? 'sigmas' : 'times';
  if (given.length < 1) throw new RangeError(`${name} must hold at least one value, got an empty array`);
  const values = Float64Array.from(given);
  values.forEach((value, i) => {
    assertUnit(`${name}[${i}]`, value);
  });
  return name === 'sigmas' ? values : values.map((t) => 1 - t);
}
