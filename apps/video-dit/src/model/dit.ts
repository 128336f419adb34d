import { Rope3D } from '@flowdit/rope3d/layer';
import * as tf from '@tensorflow/tfjs-core';
import { fusedAttention, fusedAttentionAvailable } from '../kernels/index.js';
import { type ModelConfig, patchDim, tokenCount, tokenGrid } from './config.js';
import { constant, scalar } from './constants.js';
import { adaLayerNorm, batchMatMul, dense, gatedResidual, gelu, silu } from './ops.js';
import { cloneParams, disposeParams, initParams, type ModelParams, param } from './params.js';
import { patchify, unpatchify } from './patchify.js';

/**
 * A video DiT: its config, its weights and the `Rope3D` layer that rotates q and k on its token
 * grid. Made once per run; every forward pass takes it.
 */
export interface Dit {
  readonly config: ModelConfig;
  readonly params: ModelParams;
  /** 3D RoPE on `[batch, tokens, heads, headDim]`, built for the config's token grid and head dim. */
  readonly rope: Rope3D;
}

/**
 * Builds the `Rope3D` layer of a model config: its token grid `[T/pt, H/ph, W/pw]`, head
 * dimension, θ and channel split (Wan's rule unless `ropeAxisDims` is set).
 * @param config - a validated model config.
 * @returns the layer.
 */
function ditRope(config: ModelConfig): Rope3D {
  return new Rope3D({
    name: 'dit_rope',
    grid: tokenGrid(config),
    headDim: config.hidden / config.heads,
    theta: config.ropeTheta,
    ...(config.ropeAxisDims === undefined ? {} : { axisDims: config.ropeAxisDims }),
  });
}

/**
 * A new DiT with seeded weights (see `initParams`).
 * @param config - a validated model config.
 * @param seed - non-negative integer seed of the weights.
 * @returns the model; free its weights with {@link disposeDit}.
 */
export function createDit(config: ModelConfig, seed: number): Dit {
  return { config, params: initParams(config, seed), rope: ditRope(config) };
}

/**
 * The same model with a copy of its weights in new non-trainable variables (the EMA weights).
 * @param model - the model to copy.
 * @returns a model sharing the config and the RoPE layer.
 */
export function cloneDit(model: Dit): Dit {
  return { ...model, params: cloneParams(model.params) };
}

/**
 * Frees a model's weights.
 * @param model - the model.
 */
export function disposeDit(model: Dit): void {
  disposeParams(model.params);
}

/**
 * Sinusoidal features of t (t convention, in [0, 1]), scaled by 1000 as in DiT so that the
 * frequencies span the same range as integer diffusion steps.
 * @param t - `[B]` times.
 * @param features - even number of features.
 * @returns `[B, features]` = `[cos(1000·t·f_k), sin(1000·t·f_k)]`.
 */
export function timestepFeatures(t: tf.Tensor1D, features: number): tf.Tensor2D {
  const half = features / 2;
  const frequencies = constant(`timestep frequencies ${half}`, () => {
    const values = new Float32Array(half);
    for (let k = 0; k < half; k++) values[k] = Math.exp((-Math.log(10000) * k) / half);
    return tf.tensor2d(values, [1, half]);
  });
  const angles = tf.mul(tf.reshape(tf.mul(t, scalar(1000)), [-1, 1]), frequencies);
  return tf.concat([tf.cos(angles), tf.sin(angles)], 1) as tf.Tensor2D;
}

/** Lower bound of `1 − t` when an x prediction is turned into a velocity (Li & He use 0.05). */
const X_PREDICTION_MIN_REMAINING = 0.05;

function linear(params: ModelParams, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return dense(x, param(params, `${name}.w`) as tf.Tensor2D, param(params, `${name}.b`) as tf.Tensor1D);
}

/** Self-attention of the residual stream's rows `[b·s, d]`, with 3D RoPE on q and k. */
function attention(model: Dit, prefix: string, x: tf.Tensor2D, b: number): tf.Tensor2D {
  const { params, rope } = model;
  const [rows, d] = x.shape;
  const s = rows / b;
  const h = model.config.heads;
  const dh = d / h;
  const qkv = linear(params, `${prefix}.qkv`, x);
  const [q, k, v] = tf.split(tf.reshape(qkv, [b, s, 3 * h, dh]), 3, 2) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const rotatedQ = rope.apply(q) as tf.Tensor4D;
  const rotatedK = rope.apply(k) as tf.Tensor4D;
  const scale = 1 / Math.sqrt(dh);
  let merged: tf.Tensor2D;
  if (fusedAttentionAvailable()) {
    merged = tf.reshape(fusedAttention(rotatedQ, rotatedK, v, scale), [rows, d]);
  } else {
    // heads in front, as 3-D batched products (tensorflow, which has no fused kernel)
    const heads = (t: tf.Tensor4D) => tf.reshape(tf.transpose(t, [0, 2, 1, 3]), [b * h, s, dh]) as tf.Tensor3D;
    const kt = tf.transpose(heads(rotatedK), [0, 2, 1]) as tf.Tensor3D;
    const scores = tf.mul(batchMatMul(heads(rotatedQ), kt), scalar(scale));
    const mixed = batchMatMul(tf.softmax(scores) as tf.Tensor3D, heads(v));
    merged = tf.reshape(tf.transpose(tf.reshape(mixed, [b, h, s, dh]), [0, 2, 1, 3]), [rows, d]);
  }
  return linear(params, `${prefix}.proj`, merged);
}

function mlp(params: ModelParams, prefix: string, x: tf.Tensor2D): tf.Tensor2D {
  return linear(params, `${prefix}.fc2`, gelu(linear(params, `${prefix}.fc1`, x)));
}

/**
 * The DiT forward pass on tokens: timestep embedding, `depth` adaLN-Zero blocks of 3D-RoPE
 * self-attention and MLP, final adaLN and linear; an x prediction is turned into the velocity it
 * implies. Flow matching acts on each value alone, so training and sampling can stay in token
 * space and skip the per-step patchify and unpatchify.
 * @param model - the model (its EMA copy when sampling).
 * @param tokens - noisy clips as tubelet tokens `[B, S, patchDim]` (see `patchify`).
 * @param t - `[B]` times in the t convention (t = 0 noise, t = 1 data).
 * @returns the predicted velocity `x1 − x0` in the same token layout, `[B, S, patchDim]`.
 * @throws {RangeError} when `tokens` or `t` do not match the config.
 */
export function ditForwardTokens(model: Dit, tokens: tf.Tensor3D, t: tf.Tensor1D): tf.Tensor3D {
  const { config, params } = model;
  const s = tokenCount(config);
  const p = patchDim(config);
  if (tokens.rank !== 3 || tokens.shape[1] !== s || tokens.shape[2] !== p) {
    throw new RangeError(`tokens must have shape [B, ${s}, ${p}], got [${tokens.shape.join(', ')}]`);
  }
  if (t.rank !== 1 || t.shape[0] !== tokens.shape[0]) {
    throw new RangeError(`t must have shape [${tokens.shape[0]}], got [${t.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const b = tokens.shape[0];
    // the residual stream as rows, clip after clip: [b·s, d]
    let x = linear(params, 'patch_in', tf.reshape(tokens, [b * s, p]));
    const temb = linear(params, 'time.fc2', silu(linear(params, 'time.fc1', timestepFeatures(t, config.timeFeatures))));
    const cond = silu(temb);
    for (let i = 0; i < config.depth; i++) {
      const prefix = `block${i}`;
      const mod = tf.split(linear(params, `${prefix}.mod`, cond), 6, 1) as tf.Tensor2D[];
      const [shiftA, scaleA, gateA, shiftM, scaleM, gateM] = mod as [
        tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D,
      ];
      x = gatedResidual(x, gateA, attention(model, prefix, adaLayerNorm(x, shiftA, scaleA), b));
      x = gatedResidual(x, gateM, mlp(params, prefix, adaLayerNorm(x, shiftM, scaleM)));
    }
    const [shiftF, scaleF] = tf.split(linear(params, 'final.mod', cond), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    let head = adaLayerNorm(x, shiftF, scaleF);
    if (config.headHidden > 0) head = gelu(linear(params, 'final.fc', head));
    const prediction = tf.reshape(linear(params, 'final.out', head), [b, s, p]) as tf.Tensor3D;
    if (config.prediction === 'velocity') return prediction;
    const remaining = tf.reshape(tf.maximum(tf.sub(scalar(1), t), scalar(X_PREDICTION_MIN_REMAINING)), [b, 1, 1]);
    return tf.div(tf.sub(prediction, tokens), remaining) as tf.Tensor3D;
  });
}

/**
 * The DiT forward pass on clips: tubelet patchify, {@link ditForwardTokens}, unpatchify.
 * @param model - the model.
 * @param xt - noisy clips `[B, T, H, W, C]`.
 * @param t - `[B]` times in the t convention (t = 0 noise, t = 1 data).
 * @returns the predicted velocity `x1 − x0`, `[B, T, H, W, C]`.
 * @throws {RangeError} when `xt` or `t` do not match the config.
 */
export function ditForward(model: Dit, xt: tf.Tensor5D, t: tf.Tensor1D): tf.Tensor5D {
  const { config } = model;
  const expected = [config.frames, config.height, config.width, config.channels];
  if (xt.rank !== 5 || expected.some((size, i) => xt.shape[i + 1] !== size)) {
    throw new RangeError(`xt must have shape [B, ${expected.join(', ')}], got [${xt.shape.join(', ')}]`);
  }
  // ditForwardTokens checks t against the batch.
  return tf.tidy(() => unpatchify(ditForwardTokens(model, patchify(xt, config), t), config));
}
