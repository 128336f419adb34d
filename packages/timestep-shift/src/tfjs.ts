import * as tf from '@tensorflow/tfjs-core';
import type { TimestepDistribution } from './distributions.js';
import type { Rng } from './rng.js';
import type { SampleOptions } from './sampling.js';
import { sampleTimesteps } from './sampling.js';
import { describe } from './validate.js';

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
