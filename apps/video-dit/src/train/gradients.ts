import { flowMatchingPair } from '@flowdit/timestep-shift/tfjs';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers its gradient functions only through tfjs-layers' entry point.
import '@tensorflow/tfjs-layers';
import { deviceTensor } from '../backend/index.js';
import { fusedSquaredError, fusedSquaredErrorAvailable } from '../kernels/index.js';
import { type Dit, ditForwardTokens, type ModelParams, patchDim, scalar, tokenCount } from '../model/index.js';

/** Clips of a training batch in token layout, their noise (same layout) and their times (t = 0 noise). */
export interface BatchShard {
  /** Clean clips x1 as tubelet tokens, `[clips, S, patchDim]` row-major. */
  tokens: Float32Array;
  /** Noise x0, the same layout. */
  noise: Float32Array;
  /** One time per clip, t convention. */
  t: Float32Array;
  /** One loss weight per clip (`train.lossWeight` of its time); absent: every clip weighs 1. */
  lossWeight?: Float32Array;
}

/** A loss and one gradient per weight, in the order of the model's params. */
export interface ShardGradients {
  loss: tf.Scalar;
  grads: tf.Tensor[];
}

/** A shard of a batch and its fraction of the batch. */
export interface ShareOfBatch {
  shard: BatchShard;
  share: number;
}

/**
 * Cuts a batch into `count` consecutive shards of as equal sizes as possible (the first ones get
 * the extra clips), each with its share of the batch.
 * @param batch - the whole batch.
 * @param count - number of shards, 1 ≤ count ≤ clips.
 * @returns the shards, in batch order.
 * @throws {RangeError} when count is not an integer in [1, clips].
 */
export function splitBatch(batch: BatchShard, count: number): ShareOfBatch[] {
  const clips = batch.t.length;
  if (!Number.isInteger(count) || count < 1 || count > clips) {
    throw new RangeError(`a batch of ${clips} clips cannot be cut into ${count} shards (1 to ${clips})`);
  }
  const clipSize = batch.tokens.length / clips;
  const shards: ShareOfBatch[] = [];
  let start = 0;
  for (let k = 0; k < count; k++) {
    const size = Math.floor(clips / count) + (k < clips % count ? 1 : 0);
    const end = start + size;
    shards.push({
      shard: {
        tokens: batch.tokens.subarray(start * clipSize, end * clipSize),
        noise: batch.noise.subarray(start * clipSize, end * clipSize),
        t: batch.t.subarray(start, end),
        ...(batch.lossWeight === undefined ? {} : { lossWeight: batch.lossWeight.subarray(start, end) }),
      },
      share: size / clips,
    });
    start = end;
  }
  return shards;
}

/**
 * `weight · mean((prediction − target)²)`, each clip's squared errors scaled by its loss weight
 * when there are any: one kernel each way where it is registered and the clips weigh alike.
 */
function weightedMeanSquaredError(prediction: tf.Tensor, target: tf.Tensor, weight: number, clipWeights?: tf.Tensor1D): tf.Scalar {
  if (clipWeights !== undefined) {
    // w·(p − v)² = (√w·p − √w·v)²: the weighted error stays one fused kernel, whose gradient,
    // unlike a sum's or a mean's over axes, makes no constant that webgpu uploads at every step
    const rootWeight = tf.reshape(tf.sqrt(clipWeights), [clipWeights.size, 1, 1]);
    return weightedMeanSquaredError(tf.mul(prediction, rootWeight), tf.mul(target, rootWeight), weight);
  }
  if (fusedSquaredErrorAvailable()) return fusedSquaredError(prediction, target, weight / prediction.size);
  return tf.mul(tf.mean(tf.square(tf.sub(prediction, target))), scalar(weight));
}

/**
 * The flow-matching loss `share · mean_i(w_i · mean((v_θ(x_t, t) − (x1 − x0))²))` of clips already
 * in tensors (w_i = 1 without loss weights), and its gradients.
 * @param model - the model; its weights are the variables differentiated.
 * @param tokens - clean clips x1 as tubelet tokens, `[clips, S, patchDim]`.
 * @param noise - x0, the same shape.
 * @param t - one time per clip (t = 0 noise).
 * @param share - the clips' fraction of the batch (1 for a whole batch).
 * @param lossWeight - one loss weight per clip, or none.
 * @returns the loss and one gradient per weight, in the order of the model's params (tensors the caller owns).
 */
export function flowMatchingGradients(
  model: Dit,
  tokens: tf.Tensor,
  noise: tf.Tensor,
  t: tf.Tensor1D,
  share: number,
  lossWeight?: tf.Tensor1D,
): ShardGradients {
  return tf.tidy(() => {
    const { xt, velocity } = flowMatchingPair(tokens, noise, t);
    const weights = [...model.params.values()];
    // seeded by a kept 1, which tf.variableGrads would make (and webgpu upload) at every step
    const { value, grads } = tf.engine().gradients(
      () => weightedMeanSquaredError(ditForwardTokens(model, xt as tf.Tensor3D, t), velocity, share, lossWeight),
      weights,
      scalar(1),
    );
    return { loss: value, grads };
  });
}

/**
 * The clips of a shard as tensors of its shapes: tokens and noise `[clips, S, patchDim]`, t and
 * the loss weights, if any, `[clips]`.
 * @param model - the model the shapes are of.
 * @param shard - the clips, noise, times and loss weights.
 * @returns the values and shapes, in the order {@link flowMatchingGradients} takes them.
 */
export function shardInputs(model: Dit, shard: BatchShard): { values: Float32Array; shape: number[] }[] {
  const clips = shard.t.length;
  const shape = [clips, tokenCount(model.config), patchDim(model.config)];
  return [
    { values: shard.tokens, shape },
    { values: shard.noise, shape },
    { values: shard.t, shape: [clips] },
    ...(shard.lossWeight === undefined ? [] : [{ values: shard.lossWeight, shape: [clips] }]),
  ];
}

/**
 * The flow-matching loss of a shard, `share · mean_i(w_i · mean((v_θ(x_t, t) − (x1 − x0))²))`,
 * and its gradients: weighted by their shares, the shards' losses and gradients add up to the batch's.
 * @param model - the model; its weights are the variables differentiated.
 * @param shard - the clips, noise and times.
 * @param share - the shard's fraction of the batch (1 for a whole batch).
 * @returns the loss and one gradient per weight, in the order of the model's params (tensors the caller owns).
 */
export function shardGradients(model: Dit, shard: BatchShard, share: number): ShardGradients {
  return tf.tidy(() => {
    const [tokens, noise, t, lossWeight] = shardInputs(model, shard).map(({ values, shape }) => deviceTensor(values, shape)) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor1D,
      tf.Tensor1D | undefined,
    ];
    const { loss, grads } = flowMatchingGradients(model, tokens, noise, t, share, lossWeight);
    return { loss, grads };
  });
}

/**
 * Tensors' values in one flat array, in order: the weights a gradient worker receives, the
 * gradients it sends back.
 * @param tensors - the tensors (not disposed).
 * @returns their values, concatenated.
 */
export async function flattenTensors(tensors: readonly tf.Tensor[]): Promise<Float32Array> {
  const flat = tf.tidy(() => tf.concat(tensors.map((t) => tf.reshape(t, [-1]))));
  try {
    return (await flat.data()) as Float32Array;
  } finally {
    flat.dispose();
  }
}

/**
 * Splits a flat array into tensors of the weights' shapes (the inverse of {@link flattenTensors} for the weights).
 * @param flat - the values.
 * @param params - the weights whose shapes and order to follow.
 * @returns one tensor per weight (the caller owns them).
 * @throws {RangeError} when the length does not match.
 */
export function unflatten(flat: Float32Array, params: ModelParams): tf.Tensor[] {
  const weights = [...params.values()];
  const total = weights.reduce((sum, w) => sum + w.size, 0);
  if (flat.length !== total) throw new RangeError(`expected ${total} values for ${weights.length} weights, got ${flat.length}`);
  // One upload per weight from a view of the array: tf.split of the whole vector is far slower on wasm.
  let offset = 0;
  return weights.map((w) => {
    const part = tf.tensor(flat.subarray(offset, offset + w.size), w.shape, 'float32');
    offset += w.size;
    return part;
  });
}
