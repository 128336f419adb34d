import * as tf from '@tensorflow/tfjs-core';
import type { TimestepDistribution } from './distributions.js';
import type { Rng } from './rng.js';
import type { SampleOptions } from './sampling.js';
import { sampleTimesteps } from './sampling.js';
import type { FlowUniPC, FlowUniPCOptions, StochasticEulerOptions, UniPCAlgebra } from './solvers.js';
import { flowUniPCPlan, renoising, runFlowUniPC } from './solvers.js';
import { assertUnit, describe } from './validate.js';

/**
 * A `[batchSize]` float32 tensor of training times drawn in float64 by {@link sampleTimesteps}.
 * @param dist - the distribution; the values are in its convention ('t' unless it says 'sigma').
 * @param batchSize - an integer >= 1.
 * @param rng - the seeded generator (advanced as by `sampleTimesteps`).
 * @param options - `stratified` (default false).
 * @returns a new tensor the caller owns (dispose it, or create it inside `tf.tidy`).
 * @throws {RangeError} when `batchSize` is not an integer >= 1.
 * @throws {TypeError} when `rng` is not a generator (pass `createRng(seed)`).
 */
export function timestepTensor(
  dist: TimestepDistribution,
  batchSize: number,
  rng: Rng,
  options: SampleOptions = {},
): tf.Tensor1D {
  if (typeof batchSize !== 'number' || !Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be an integer >= 1, got ${describe(batchSize)}`);
  }
  return tf.tensor1d(Float32Array.from(sampleTimesteps(dist, batchSize, rng, options)), 'float32');
}

/**
 * The flow-matching training pair in the t convention (t = 0 noise, t = 1 data):
 * `x_t = t·data + (1 − t)·noise` and the velocity target `data − noise`.
 * @param data - clean samples x1, shape [batch, ...].
 * @param noise - noise x0, the same shape as `data`.
 * @param t - `[batch]` times in the t convention, broadcast over the other axes.
 * @returns `xt` and `velocity`, new tensors the caller owns.
 * @throws {RangeError} when the shapes disagree or `t` is not `[batch]`.
 */
export function flowMatchingPair(
  data: tf.Tensor,
  noise: tf.Tensor,
  t: tf.Tensor1D,
): { xt: tf.Tensor; velocity: tf.Tensor } {
  const shape = data.shape;
  if (shape.length < 1 || noise.shape.length !== shape.length || noise.shape.some((size, i) => size !== shape[i])) {
    throw new RangeError(
      `noise must have the shape of data [${shape.join(', ')}], got [${noise.shape.join(', ')}]`,
    );
  }
  if (t.rank !== 1 || t.shape[0] !== shape[0]) {
    throw new RangeError(`t must have shape [${shape[0]}] (one time per batch item), got [${t.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const tBroadcast = tf.reshape(t, [shape[0]!, ...shape.slice(1).map(() => 1)]);
    const velocity = tf.sub(data, noise);
    // x_t = noise + t·(data − noise): one multiply, the same value as t·x1 + (1 − t)·x0.
    const xt = tf.add(noise, tf.mul(tBroadcast, velocity));
    return { xt, velocity };
  });
}

function assertSameShape(name: string, tensor: tf.Tensor, like: tf.Tensor): void {
  if (tensor.shape.length !== like.shape.length || tensor.shape.some((size, i) => size !== like.shape[i])) {
    throw new RangeError(`${name} must have the shape of x [${like.shape.join(', ')}], got [${tensor.shape.join(', ')}]`);
  }
}

/**
 * {@link eulerStep} on tensors: `x + (tNext − t)·v`, t convention (t = 0 noise), v = dx/dt = data − noise.
 * @param x - the sample at time t.
 * @param velocity - v(x, t), the shape of `x`.
 * @param t - the current time in [0, 1].
 * @param tNext - the time to step to, in [0, 1].
 * @returns the sample at tNext, a new tensor the caller owns.
 * @throws {RangeError} when the shapes differ, or t or tNext is outside [0, 1].
 */
export function eulerStepTensor(x: tf.Tensor, velocity: tf.Tensor, t: number, tNext: number): tf.Tensor {
  assertSameShape('velocity', velocity, x);
  assertUnit('t', t);
  assertUnit('tNext', tNext);
  return tf.tidy(() => tf.add(x, tf.mul(velocity, tNext - t)));
}

/**
 * {@link stochasticEulerStep} on tensors: `tNext·x̂1 + (1 − tNext)·(√(1 − η²)·x̂0 + η·ε)` with
 * `x̂1 = x + (1 − t)·v` and `x̂0 = x − t·v`; η = 1 (the default) is diffusers' `stochastic_sampling`.
 * @param x - the sample at time t.
 * @param velocity - v(x, t) = dx/dt (data − noise), the shape of `x`.
 * @param t - the current time in [0, 1] (t = 0 is noise).
 * @param tNext - the time to step to, in [0, 1].
 * @param noise - fresh standard normal noise ε, the shape of `x`.
 * @param options - `eta` (default 1).
 * @returns the sample at tNext, a new tensor the caller owns.
 * @throws {RangeError} when the shapes differ, t or tNext is outside [0, 1], or η is outside [0, 1].
 */
export function stochasticEulerStepTensor(
  x: tf.Tensor,
  velocity: tf.Tensor,
  t: number,
  tNext: number,
  noise: tf.Tensor,
  options: StochasticEulerOptions = {},
): tf.Tensor {
  assertSameShape('velocity', velocity, x);
  assertSameShape('noise', noise, x);
  assertUnit('t', t);
  assertUnit('tNext', tNext);
  const { kept, fresh } = renoising(options);
  return tf.tidy(() => {
    const data = tf.add(x, tf.mul(velocity, 1 - t));
    const estimatedNoise = tf.sub(x, tf.mul(velocity, t));
    const renoised = tf.add(tf.mul(estimatedNoise, kept), tf.mul(noise, fresh));
    return tf.add(tf.mul(data, tNext), tf.mul(renoised, 1 - tNext));
  });
}

/**
 * A first-order step from its coefficients, `x' = a·x + b·v (+ c·ε)`, with `[a, b]` or `[a, b, c]`
 * from {@link stochasticEulerCoefficients} in a float32 tensor: where a step's work is recorded
 * once and replayed (a captured WebGPU graph), the times then change as data, with no constant
 * made per step. t convention (t = 0 noise), v = dx/dt = data − noise.
 * @param x - the sample at time t.
 * @param velocity - v(x, t), the shape of `x`.
 * @param coefficients - `[a, b]` for a deterministic step, `[a, b, c]` with `noise`.
 * @param noise - fresh standard normal noise ε, the shape of `x`; only with three coefficients.
 * @returns the sample at tNext, a new tensor the caller owns.
 * @throws {RangeError} when the shapes differ, or the coefficients are not 2 values without noise or 3 with it.
 */
export function linearStepTensor(x: tf.Tensor, velocity: tf.Tensor, coefficients: tf.Tensor, noise?: tf.Tensor): tf.Tensor {
  assertSameShape('velocity', velocity, x);
  const count = noise === undefined ? 2 : 3;
  if (coefficients.rank !== 1 || coefficients.size !== count) {
    throw new RangeError(
      `coefficients must be a 1-D tensor of ${count} values (${noise === undefined ? '[a, b] without noise' : '[a, b, c] with noise'}), got shape [${coefficients.shape.join(', ')}]`,
    );
  }
  if (noise !== undefined) assertSameShape('noise', noise, x);
  return tf.tidy(() => {
    const at = (k: number) => tf.slice(coefficients, [k], [1]);
    const step = tf.add(tf.mul(x, at(0)), tf.mul(velocity, at(1)));
    return noise === undefined ? step : tf.add(step, tf.mul(noise, at(2)));
  });
}

/**
 * {@link heunStep} on tensors: `x + (tNext − t)·(v(x, t) + v(x̃, tNext))/2` with the Euler guess x̃;
 * a step that ends on the data (tNext = 1) is the Euler guess alone.
 * @param x - the sample at time t.
 * @param t - the current time in [0, 1] (t = 0 is noise).
 * @param tNext - the time to step to, in [0, 1].
 * @param velocity - the model: (x, t) => dx/dt (data − noise), a tensor the shape of x; what it
 *   creates is disposed here.
 * @returns the sample at tNext, a new tensor the caller owns.
 * @throws {TypeError} when `velocity` is not a function.
 * @throws {RangeError} when t or tNext is outside [0, 1], or the model returns another shape.
 */
export function heunStepTensor(
  x: tf.Tensor,
  t: number,
  tNext: number,
  velocity: (x: tf.Tensor, t: number) => tf.Tensor,
): tf.Tensor {
  assertUnit('t', t);
  assertUnit('tNext', tNext);
  if (typeof velocity !== 'function') {
    throw new TypeError(`velocity must be a function (x, t) => dx/dt, got ${describe(velocity)}`);
  }
  return tf.tidy(() => {
    const dt = tNext - t;
    const v1 = velocity(x, t);
    assertSameShape('velocity(x, t)', v1, x);
    const guess = tf.add(x, tf.mul(v1, dt));
    if (tNext === 1) return guess;
    const v2 = velocity(guess, tNext);
    assertSameShape('velocity(x, tNext)', v2, x);
    return tf.add(x, tf.mul(tf.add(v1, v2), 0.5 * dt));
  });
}

const tensorAlgebra: UniPCAlgebra<tf.Tensor> = {
  estimate: (x, velocity, sigma) => tf.tidy(() => tf.add(x, tf.mul(velocity, sigma))),
  combine: (update, sample, estimates) =>
    tf.tidy(() =>
      update.onEstimates.reduce<tf.Tensor>(
        (sum, weight, k) => tf.add(sum, tf.mul(estimates[k]!, weight)),
        tf.mul(sample, update.onSample),
      ),
    ),
  copy: (x) => tf.clone(x),
  release: (value) => value.dispose(),
  check: (x, velocity) => assertSameShape('velocity', velocity, x),
};

/**
 * {@link flowUniPC} on tensors: Wan2.1's flow UniPC with the coefficients in float64 and the
 * updates in the tensors' dtype. The run keeps its last `order` data estimates and the last
 * sample (its own copies); they are disposed after the last step, or by `dispose()` when a run
 * stops early.
 * @param schedule - N + 1 times from the noise end, the last 1 (t convention), or sigmas with `convention: 'sigma'`.
 * @param options - `order` (default 2), `solverType` (default 'bh2'), `disableCorrector`, `convention`.
 * @returns the run: `step(x, velocity)` returns the sample at the next time, a new tensor the caller owns.
 * @throws {RangeError} when the schedule or an option is not allowed, and from `step` when the shapes
 *   differ or all steps were taken.
 */
export function flowUniPCTensor(
  schedule: ArrayLike<number>,
  options: FlowUniPCOptions = {},
): FlowUniPC<tf.Tensor> & { dispose(): void } {
  return runFlowUniPC(flowUniPCPlan(schedule, options), tensorAlgebra, options.order ?? 2);
}
