import type { TimeConvention } from './convention.js';
import { assertConvention } from './convention.js';
import { assertInteger, assertUnit, describe } from './validate.js';

// Every step here works in the t convention: t = 0 is noise, t = 1 is data, and the velocity is
// v = dx/dt = data − noise, the target of `flowMatchingPair`. diffusers, Wan and HunyuanVideo
// models output the opposite direction (flow_prediction = noise − data = dx/dσ): negate their
// output to get v. With σ = 1 − t the clean-data estimate is x̂1 = x + (1 − t)·v and the noise
// estimate x̂0 = x − t·v.

/**
 * A velocity field in the t convention: `v(x, t) = dx/dt`, data − noise (t = 0 is noise).
 * @param x - the current sample (do not keep or change it).
 * @param t - its time in [0, 1].
 * @returns the velocity, as many values as `x`.
 */
export type VelocityField = (x: Float64Array, t: number) => ArrayLike<number>;

function assertValues(name: string, values: unknown): asserts values is ArrayLike<number> {
  if (typeof values !== 'object' || values === null || typeof (values as ArrayLike<number>).length !== 'number') {
    throw new TypeError(`${name} must be an array of numbers (number[] or a typed array), got ${describe(values)}`);
  }
}

function assertSameLength(name: string, values: unknown, length: number): asserts values is ArrayLike<number> {
  assertValues(name, values);
  if (values.length !== length) {
    throw new RangeError(`${name} must hold as many values as x (${length}), got ${values.length}`);
  }
}

function checkStep(x: unknown, velocity: unknown, t: number, tNext: number): asserts x is ArrayLike<number> {
  assertValues('x', x);
  assertSameLength('velocity', velocity, x.length);
  assertUnit('t', t);
  assertUnit('tNext', tNext);
}

/**
 * One Euler step of `dx/dt = v` from t to tNext: `x + (tNext − t)·v`. It is diffusers'
 * `FlowMatchEulerDiscreteScheduler.step` and HunyuanVideo's `FlowMatchDiscreteScheduler.step`
 * with their output negated (they step in σ with noise − data), computed in float64.
 * @param x - the sample at time t.
 * @param velocity - v(x, t) = dx/dt (data − noise, t convention), as many values as `x`.
 * @param t - the current time in [0, 1] (t = 0 is noise).
 * @param tNext - the time to step to, in [0, 1].
 * @returns the sample at tNext, a new array.
 * @throws {TypeError} when `x` or `velocity` is not an array of numbers.
 * @throws {RangeError} when the lengths differ, or t or tNext is outside [0, 1].
 */
export function eulerStep(x: ArrayLike<number>, velocity: ArrayLike<number>, t: number, tNext: number): Float64Array {
  checkStep(x, velocity, t, tNext);
  const dt = tNext - t;
  return Float64Array.from(x, (value, i) => value + dt * velocity[i]!);
}

/** Options of {@link stochasticEulerStep}. */
export interface StochasticEulerOptions {
  /**
   * Share η ∈ [0, 1] of the noise estimate replaced by fresh noise (default 1). η = 1 is diffusers'
   * `stochastic_sampling`; η = 0 is the Euler step; in between the noise keeps unit variance.
   */
  eta?: number;
}

/**
 * One renoising Euler step: estimate the data `x̂1 = x + (1 − t)·v` and the noise `x̂0 = x − t·v`,
 * then go to `x' = tNext·x̂1 + (1 − tNext)·(√(1 − η²)·x̂0 + η·ε)`. With η = 1 (the default) this is
 * diffusers' `stochastic_sampling`, `(1 − σ')·x̂1 + σ'·ε` in σ = 1 − t; with η = 0 it is
 * {@link eulerStep}. At tNext = 1 the noise has no weight.
 * @param x - the sample at time t.
 * @param velocity - v(x, t) = dx/dt (data − noise, t convention).
 * @param t - the current time in [0, 1] (t = 0 is noise).
 * @param tNext - the time to step to, in [0, 1].
 * @param noise - fresh standard normal noise ε, as many values as `x`.
 * @param options - `eta` (default 1).
 * @returns the sample at tNext, a new array.
 * @throws {TypeError} when `x`, `velocity` or `noise` is not an array of numbers.
 * @throws {RangeError} when the lengths differ, t or tNext is outside [0, 1], or η is outside [0, 1].
 */
export function stochasticEulerStep(
  x: ArrayLike<number>,
  velocity: ArrayLike<number>,
  t: number,
  tNext: number,
  noise: ArrayLike<number>,
  options: StochasticEulerOptions = {},
): Float64Array {
  checkStep(x, velocity, t, tNext);
  assertSameLength('noise', noise, x.length);
  const { kept, fresh } = renoising(options);
  return Float64Array.from(x, (value, i) => {
    const v = velocity[i]!;
    const data = value + (1 - t) * v;
    const estimatedNoise = value - t * v;
    return tNext * data + (1 - tNext) * (kept * estimatedNoise + fresh * noise[i]!);
  });
}

/**
 * The weights of the noise estimate and of the fresh noise for {@link StochasticEulerOptions}.
 * @param options - the step's options.
 * @returns `kept` = √(1 − η²) and `fresh` = η.
 * @throws {RangeError} when η is outside [0, 1].
 */
export function renoising(options: StochasticEulerOptions): { kept: number; fresh: number } {
  const eta = options.eta ?? 1;
  if (typeof eta !== 'number' || !(eta >= 0 && eta <= 1)) {
    throw new RangeError(`eta must be a number in [0, 1] (the share of fresh noise), got ${describe(eta)}`);
  }
  return { kept: Math.sqrt(1 - eta * eta), fresh: eta };
}

/** A first-order step written as one linear combination: `x' = x·x + velocity·v + noise·ε`. */
export interface StepCoefficients {
  /** The weight of the current sample. */
  readonly x: number;
  /** The weight of the velocity v = dx/dt (data − noise). */
  readonly velocity: number;
  /** The weight of fresh standard normal noise ε (0 for a deterministic step). */
  readonly noise: number;
}

/**
 * The {@link stochasticEulerStep} from t to tNext as three numbers, so that a step whose work is
 * recorded once (a captured GPU graph) takes new times as data rather than as new constants:
 * `x' = a·x + b·v + c·ε` with `a = tNext + (1 − tNext)·√(1 − η²)`,
 * `b = tNext·(1 − t) − (1 − tNext)·√(1 − η²)·t` and `c = (1 − tNext)·η`. With η = 0 it is the
 * {@link eulerStep} exactly: a = 1, b = tNext − t, c = 0. Equal to the step up to float rounding.
 * @param t - the current time in [0, 1] (t = 0 is noise).
 * @param tNext - the time to step to, in [0, 1].
 * @param options - `eta` (default 1, as in {@link stochasticEulerStep}).
 * @returns the coefficients, in float64.
 * @throws {RangeError} when t or tNext is outside [0, 1], or η is outside [0, 1].
 */
export function stochasticEulerCoefficients(t: number, tNext: number, options: StochasticEulerOptions = {}): StepCoefficients {
  assertUnit('t', t);
  assertUnit('tNext', tNext);
  const { kept, fresh } = renoising(options);
  // the Euler step's own numbers, not the same ones through a longer rounding
  if (fresh === 0) return { x: 1, velocity: tNext - t, noise: 0 };
  return { x: tNext + (1 - tNext) * kept, velocity: tNext * (1 - t) - (1 - tNext) * kept * t, noise: (1 - tNext) * fresh };
}

/**
 * One Heun step (second order, two evaluations): `v1 = v(x, t)`, the Euler guess
 * `x̃ = x + (tNext − t)·v1`, `v2 = v(x̃, tNext)`, then `x + (tNext − t)·(v1 + v2)/2`. A step that
 * ends on the data (tNext = 1) is the Euler guess alone, as in diffusers'
 * `FlowMatchHeunDiscreteScheduler` (whose last step has no correction).
 * @param x - the sample at time t.
 * @param t - the current time in [0, 1] (t = 0 is noise).
 * @param tNext - the time to step to, in [0, 1].
 * @param velocity - the model as a field v(x, t) = dx/dt (data − noise); called once or twice.
 * @returns the sample at tNext, a new array.
 * @throws {TypeError} when `x` is not an array of numbers or `velocity` not a function.
 * @throws {RangeError} when t or tNext is outside [0, 1], or the field returns the wrong length.
 */
export function heunStep(x: ArrayLike<number>, t: number, tNext: number, velocity: VelocityField): Float64Array {
  assertValues('x', x);
  assertUnit('t', t);
  assertUnit('tNext', tNext);
  if (typeof velocity !== 'function') {
    throw new TypeError(`velocity must be a function (x, t) => dx/dt, got ${describe(velocity)}`);
  }
  const start = Float64Array.from(x);
  const v1 = velocity(start, t);
  assertSameLength('velocity(x, t)', v1, start.length);
  const guess = eulerStep(start, v1, t, tNext);
  if (tNext === 1) return guess;
  const v2 = velocity(guess, tNext);
  assertSameLength('velocity(x, tNext)', v2, start.length);
  const dt = tNext - t;
  return start.map((value, i) => value + dt * (0.5 * (v1[i]! + v2[i]!)));
}

/** Options of {@link flowUniPC}. */
export interface FlowUniPCOptions {
  /** UniPC order p (default 2, Wan's): the predictor uses the last p data estimates; integer in [1, 3]. */
  order?: number;
  /** `'bh2'` (default, Wan's) or `'bh1'`: the B(h) of UniPC (bh1 is B(h) = h, bh2 is e^h − 1). */
  solverType?: 'bh1' | 'bh2';
  /** Step indices after which the corrector is skipped (Wan's `disable_corrector`, default none). */
  disableCorrector?: readonly number[];
  /** Convention of the schedule passed (default 't': times from 0 up to 1; 'sigma': sigmas down to 0). */
  convention?: TimeConvention;
}

/**
 * A linear combination `onSample·x + Σ onEstimates[k]·m_k` of a sample and data estimates
 * (m_0 the newest): each UniPC predictor and corrector update is one.
 */
export interface UniPCUpdate {
  readonly onSample: number;
  readonly onEstimates: readonly number[];
}

const lambda = (sigma: number) => Math.log(1 - sigma) - Math.log(sigma);

// Solves a small dense system by Gaussian elimination with partial pivoting (what LAPACK's gesv does).
function solve(matrix: number[][], rhs: number[]): number[] {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row.slice(0, n), rhs[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row]![col]!) > Math.abs(a[pivot]![col]!)) pivot = row;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let row = col + 1; row < n; row++) {
      const factor = a[row]![col]! / a[col]![col]!;
      for (let k = col; k <= n; k++) a[row]![k]! -= factor * a[col]![k]!;
    }
  }
  const out = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = a[row]![n]!;
    for (let k = row + 1; k < n; k++) sum -= a[row]![k]! * out[k]!;
    out[row] = sum / a[row]![row]!;
  }
  return out;
}

/**
 * The UniPC update in the data-prediction form with flow sigmas (α = 1 − σ), as
 * `multistep_uni_p_bh_update` / `multistep_uni_c_bh_update` of Wan's `FlowUniPCMultistepScheduler`.
 * @param kind - 'predict' (UniP, from σ_s0 to σ_t) or 'correct' (UniC, which also weighs the new estimate).
 * @param sigmaFrom - σ_s0, where the newest estimate m_0 and the sample were taken.
 * @param sigmaTo - σ_t, where the update lands.
 * @param olderSigmas - the sigmas of m_1 … m_{p−1}.
 * @param solverType - 'bh1' or 'bh2'.
 * @returns the coefficients on the sample and on m_0 … m_{p−1}, then (corrector) on the estimate at σ_t.
 */
function uniPCUpdate(
  kind: 'predict' | 'correct',
  sigmaFrom: number,
  sigmaTo: number,
  olderSigmas: readonly number[],
  solverType: 'bh1' | 'bh2',
): UniPCUpdate {
  const order = olderSigmas.length + 1;
  const alphaTo = 1 - sigmaTo;
  const lambdaFrom = lambda(sigmaFrom);
  const h = lambda(sigmaTo) - lambdaFrom;
  const rks = [...olderSigmas.map((sigma) => (lambda(sigma) - lambdaFrom) / h), 1];
  const hh = -h;
  const hPhi1 = Math.expm1(hh);
  const bH = solverType === 'bh1' ? hh : Math.expm1(hh);
  const rows: number[][] = [];
  const b: number[] = [];
  let hPhiK = hPhi1 / hh - 1;
  let factorial = 1;
  for (let i = 1; i <= order; i++) {
    rows.push(rks.map((rk) => rk ** (i - 1)));
    b.push((hPhiK * factorial) / bH);
    factorial *= i + 1;
    hPhiK = hPhiK / hh - 1 / factorial;
  }
  let rhos: number[];
  if (kind === 'predict') {
    rhos = order === 1 ? [] : order === 2 ? [0.5] : solve(rows.slice(0, -1), b.slice(0, -1));
  } else {
    rhos = order === 1 ? [0.5] : solve(rows, b);
  }
  // x_t = (σ_t/σ_s0)·x − α_t·hφ1·m0 − α_t·B(h)·(Σ_k ρ_k·(m_k − m0)/r_k [+ ρ_last·(m_t − m0)]).
  const scale = alphaTo * bH;
  const onEstimates = [-alphaTo * hPhi1];
  for (let k = 0; k < order - 1; k++) {
    const weight = scale * (rhos[k]! / rks[k]!);
    onEstimates[0]! += weight;
    onEstimates.push(-weight);
  }
  if (kind === 'correct') {
    const weight = scale * rhos[order - 1]!;
    onEstimates[0]! += weight;
    onEstimates.push(-weight);
  }
  return { onSample: sigmaTo / sigmaFrom, onEstimates };
}

/** The multistep state of a flow UniPC run; see {@link flowUniPC}. */
export interface FlowUniPC<In, Out = In> {
  /** N, the number of steps. */
  readonly steps: number;
  /** The index of the next step, 0 … N (N when done). */
  readonly stepIndex: number;
  /**
   * Takes step `stepIndex`: the corrector on `x` (from the second step on), then the predictor to
   * the next time.
   * @param x - the sample at `times[stepIndex]` (what the previous step returned, or the noise).
   * @param velocity - the model's v(x, t) = dx/dt (data − noise) at that sample and time.
   * @returns the sample at `times[stepIndex + 1]`.
   */
  step(x: In, velocity: In): Out;
}

/** What {@link flowUniPCPlan} returns: per step, the corrector (null on the first step or when disabled) and the predictor. */
export interface FlowUniPCPlan {
  readonly sigmas: Float64Array;
  readonly steps: readonly { readonly correct: UniPCUpdate | null; readonly predict: UniPCUpdate }[];
}

/**
 * The coefficients of every step of Wan's flow UniPC (`FlowUniPCMultistepScheduler` with
 * `predict_x0`, `lower_order_final`), shared by {@link flowUniPC} and the tensor version.
 * @param schedule - N + 1 times from the noise end (t convention) or sigmas (sigma convention), the last at the data end.
 * @param options - order, solver type, disabled correctors, convention.
 * @returns the sigmas and, for each step, the updates.
 * @throws {RangeError} when the schedule is shorter than 2 values, a value is outside [0, 1], the order is
 *   not 1, 2 or 3, the solver type is unknown, or a disabled corrector index is not an integer >= 0.
 */
export function flowUniPCPlan(schedule: ArrayLike<number>, options: FlowUniPCOptions = {}): FlowUniPCPlan {
  const convention = options.convention ?? 't';
  assertConvention(convention);
  assertValues('schedule', schedule);
  if (schedule.length < 2) {
    throw new RangeError(`schedule must hold N + 1 >= 2 values (with the terminal), got ${schedule.length}`);
  }
  const name = convention === 't' ? 'times' : 'sigmas';
  const sigmas = Float64Array.from(schedule, (value, i) => {
    assertUnit(`${name}[${i}]`, value);
    return convention === 't' ? 1 - value : value;
  });
  const order = options.order ?? 2;
  if (!(order === 1 || order === 2 || order === 3)) {
    throw new RangeError(`order must be 1, 2 or 3, got ${describe(order)}`);
  }
  const solverType = options.solverType ?? 'bh2';
  if (solverType !== 'bh1' && solverType !== 'bh2') {
    throw new RangeError(`solverType must be 'bh1' or 'bh2', got ${describe(solverType)}`);
  }
  const disabled = options.disableCorrector ?? [];
  disabled.forEach((index, i) => {
    assertInteger(`disableCorrector[${i}]`, index, 0);
  });
  const steps = sigmas.length - 1;
  const plan: { correct: UniPCUpdate | null; predict: UniPCUpdate }[] = [];
  let previousOrder = 0;
  for (let i = 0; i < steps; i++) {
    // The corrector re-runs the previous step at the previous step's order, now weighing the estimate at σ_i.
    const correct =
      i > 0 && !disabled.includes(i - 1)
        ? uniPCUpdate(
            'correct',
            sigmas[i - 1]!,
            sigmas[i]!,
            Array.from({ length: previousOrder - 1 }, (_, k) => sigmas[i - 2 - k]!),
            solverType,
          )
        : null;
    // Lower orders while there is too little history, and in the last steps (lower_order_final).
    const stepOrder = Math.min(order, steps - i, i + 1);
    const predict = uniPCUpdate(
      'predict',
      sigmas[i]!,
      sigmas[i + 1]!,
      Array.from({ length: stepOrder - 1 }, (_, k) => sigmas[i - 1 - k]!),
      solverType,
    );
    plan.push({ correct, predict });
    previousOrder = stepOrder;
  }
  return { sigmas, steps: plan };
}

/** How a flow UniPC run combines its values: arrays here, tensors in the tfjs subpath. */
export interface UniPCAlgebra<T> {
  /** The data estimate x̂1 = x + σ·v (σ = 1 − t). */
  estimate(x: T, velocity: T, sigma: number): T;
  /** `update.onSample·sample + Σ update.onEstimates[k]·estimates[k]`, a new value. */
  combine(update: UniPCUpdate, sample: T, estimates: readonly T[]): T;
  /** A copy the run owns. */
  copy(x: T): T;
  /** Called with each value the run no longer needs (tensors are disposed). */
  release(value: T): void;
  /** Checks the arguments of a step. */
  check(x: T, velocity: T): void;
}

/**
 * Runs a {@link FlowUniPCPlan} with the given algebra; the state holds the last `order` estimates
 * and the last sample.
 * @param plan - from {@link flowUniPCPlan}.
 * @param algebra - arrays or tensors.
 * @param order - the plan's order (how many estimates to keep).
 * @returns the stepper.
 */
export function runFlowUniPC<T>(plan: FlowUniPCPlan, algebra: UniPCAlgebra<T>, order: number): FlowUniPC<T> & { dispose(): void } {
  let stepIndex = 0;
  const estimates: T[] = [];
  let lastSample: T | null = null;
  const dispose = () => {
    for (const value of estimates.splice(0)) algebra.release(value);
    if (lastSample !== null) algebra.release(lastSample);
    lastSample = null;
  };
  return {
    steps: plan.steps.length,
    get stepIndex() {
      return stepIndex;
    },
    step(x: T, velocity: T): T {
      if (stepIndex >= plan.steps.length) {
        throw new RangeError(`the run is done: all ${plan.steps.length} steps were taken`);
      }
      algebra.check(x, velocity);
      const { correct, predict } = plan.steps[stepIndex]!;
      // The estimate comes from the sample before the correction, as in the reference.
      const estimate = algebra.estimate(x, velocity, plan.sigmas[stepIndex]!);
      // The corrector weighs m_0 … m_{p−1} of the previous step and the new estimate.
      const sample =
        correct !== null && lastSample !== null
          ? algebra.combine(correct, lastSample, [...estimates.slice(0, correct.onEstimates.length - 1), estimate])
          : algebra.copy(x);
      if (lastSample !== null) algebra.release(lastSample);
      lastSample = sample;
      estimates.unshift(estimate);
      while (estimates.length > order) algebra.release(estimates.pop()!);
      const next = algebra.combine(predict, lastSample, estimates.slice(0, predict.onEstimates.length));
      stepIndex += 1;
      if (stepIndex === plan.steps.length) dispose();
      return next;
    },
    dispose,
  };
}

const arrayAlgebra: UniPCAlgebra<Float64Array> = {
  estimate: (x, velocity, sigma) => x.map((value, i) => value + sigma * velocity[i]!),
  combine: (update, sample, estimates) =>
    sample.map((value, i) => {
      let sum = update.onSample * value;
      update.onEstimates.forEach((weight, k) => {
        sum += weight * estimates[k]![i]!;
      });
      return sum;
    }),
  copy: (x) => Float64Array.from(x),
  release: () => {},
  check: () => {},
};

/**
 * Wan2.1's flow UniPC (`FlowUniPCMultistepScheduler`, also diffusers' `UniPCMultistepScheduler`
 * with `use_flow_sigmas` and `prediction_type: 'flow_prediction'`): a multistep predictor–corrector
 * on the data estimates x̂1 = x + (1 − t)·v, in float64. Call `step` once per step, in order, with the
 * model's velocity at the sample the previous step returned; the run keeps the last `order` estimates.
 * The reference's `bh1` returns NaN on a last step that ends at σ = 0 (it multiplies −∞ by 0); here that
 * step is its limit, the last data estimate.
 * @param schedule - N + 1 times from the noise end, the last 1 (t convention, e.g. `wanSchedule(N).times`),
 *   or sigmas ending at 0 with `convention: 'sigma'`.
 * @param options - `order` (default 2), `solverType` (default 'bh2'), `disableCorrector`, `convention`.
 * @returns the run: `step(x, velocity)` returns the sample at the next time, a new array.
 * @throws {RangeError} when the schedule or an option is not allowed (see {@link FlowUniPCOptions}), and from
 *   `step` when the lengths differ or all steps were taken.
 * @throws {TypeError} when `step` is given something that is not an array of numbers.
 */
export function flowUniPC(schedule: ArrayLike<number>, options: FlowUniPCOptions = {}): FlowUniPC<ArrayLike<number>, Float64Array> {
  const plan = flowUniPCPlan(schedule, options);
  const run = runFlowUniPC(plan, arrayAlgebra, options.order ?? 2);
  return {
    get steps() {
      return run.steps;
    },
    get stepIndex() {
      return run.stepIndex;
    },
    step(x, velocity) {
      assertValues('x', x);
      assertSameLength('velocity', velocity, x.length);
      return run.step(Float64Array.from(x), Float64Array.from(velocity));
    },
  };
}
