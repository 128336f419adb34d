import * as tf from '@tensorflow/tfjs-core';
import {
  columnSum,
  columnSumAvailable,
  fusedActivationsAvailable,
  fusedAdaLayerNorm,
  fusedAdaLayerNormAvailable,
  fusedGatedResidual,
  fusedGatedResidualAvailable,
  fusedGelu,
  fusedSilu,
  matMul2d,
  matMul2dBias,
} from '../kernels/index.js';
import { constant, scalar } from './constants.js';

/*
 * Dense products whose gradients are products too: on wasm all of them run in our SIMD kernel
 * (kernels/matmul.ts), transposes included, and a bias gradient is one column-sum kernel (wasm's
 * sum over the first axis transposes the whole input first). The app's README has the timings.
 */

/** Gradients of `x·w` to x and w. */
function productGradients(x: tf.Tensor2D, w: tf.Tensor2D, dy: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  return [matMul2d(dy, w, false, true), matMul2d(x, dy, true, false)];
}

const denseProduct = tf.customGrad((x, w, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor2D, w as tf.Tensor2D]);
  return {
    value: matMul2d(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy, [sx, sw]) => productGradients(sx as tf.Tensor2D, sw as tf.Tensor2D, dy as tf.Tensor2D),
  };
});

/** The sum of dy's rows: one kernel where it is registered, else a product with a row of ones. */
function biasGradient(dy: tf.Tensor2D): tf.Tensor1D {
  if (columnSumAvailable()) return columnSum(dy);
  const ones = constant(`ones 1×${dy.shape[0]}`, () => tf.ones([1, dy.shape[0]])) as tf.Tensor2D;
  return tf.reshape(tf.matMul(ones, dy), [dy.shape[1]]);
}

const denseProductWithBias = tf.customGrad((x, w, b, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor2D, w as tf.Tensor2D]);
  const bias = b as tf.Tensor1D;
  return {
    value: matMul2dBias(x as tf.Tensor2D, w as tf.Tensor2D, bias),
    gradFunc: (dy, [sx, sw]) => {
      const g = dy as tf.Tensor2D;
      return [...productGradients(sx as tf.Tensor2D, sw as tf.Tensor2D, g), biasGradient(g)];
    },
  };
});

/**
 * Dense projection `x·w + b` of a 2-D input, with a gradient made of 2-D non-transposed products.
 * @param x - `[rows, in]` input.
 * @param w - `[in, out]` weight.
 * @param b - optional `[out]` bias.
 * @returns `[rows, out]`.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return (b === undefined ? denseProduct(x, w) : denseProductWithBias(x, w, b)) as tf.Tensor2D;
}

const batchMatMulFast = tf.customGrad((x, y, save) => {
  const a = x as tf.Tensor3D;
  const b = y as tf.Tensor3D;
  (save as tf.GradSaveFunc)([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      const g = dy as tf.Tensor3D;
      return [
        tf.matMul(g, tf.transpose(sb, [0, 2, 1])),
        tf.matMul(tf.transpose(sa, [0, 2, 1]), g),
      ];
    },
  };
});

/**
 * Batched product `a[i]·b[i]` whose forward and backward use fast kernels on every backend.
 * @param a - `[batch, m, k]`.
 * @param b - `[batch, k, n]`.
 * @returns `[batch, m, n]`.
 */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return batchMatMulFast(a, b) as tf.Tensor3D;
}

/** Added to the variance of every layer norm. */
const LAYER_NORM_EPSILON = 1e-6;

/**
 * adaLN: layer norm over the last axis without a learned affine, then `·(1 + scale) + shift`
 * with `[B, D]` modulation broadcast over each clip's tokens. One fused kernel each way where it
 * is registered (cpu, wasm, webgpu); composed ops elsewhere.
 * @param x - the residual stream's rows, clip after clip: `[B·S, D]`.
 * @param shift - `[B, D]`.
 * @param scale - `[B, D]`.
 * @returns `[B·S, D]`.
 */
export function adaLayerNorm(x: tf.Tensor2D, shift: tf.Tensor2D, scale: tf.Tensor2D): tf.Tensor2D {
  if (fusedAdaLayerNormAvailable()) return fusedAdaLayerNorm(x, shift, scale, LAYER_NORM_EPSILON);
  const [b, d] = shift.shape;
  const clips = tf.reshape(x, [b, -1, d]);
  const { mean, variance } = tf.moments(clips, 2, true);
  const normalized = tf.mul(tf.sub(clips, mean), tf.rsqrt(tf.add(variance, scalar(LAYER_NORM_EPSILON))));
  const modulated = tf.add(tf.mul(normalized, tf.add(scalar(1), tf.reshape(scale, [b, 1, d]))), tf.reshape(shift, [b, 1, d]));
  return tf.reshape(modulated, x.shape);
}

/**
 * adaLN-Zero's gated residual `x + gate·f`, the `[B, D]` gate broadcast over each clip's tokens:
 * one fused kernel each way where it is registered; composed ops elsewhere.
 * @param x - the residual stream's rows, clip after clip: `[B·S, D]`.
 * @param gate - `[B, D]`.
 * @param f - the branch's output, `[B·S, D]`.
 * @returns `[B·S, D]`.
 */
export function gatedResidual(x: tf.Tensor2D, gate: tf.Tensor2D, f: tf.Tensor2D): tf.Tensor2D {
  if (fusedGatedResidualAvailable()) return fusedGatedResidual(x, gate, f);
  const [b, d] = gate.shape;
  return tf.add(x, tf.reshape(tf.mul(tf.reshape(gate, [b, 1, d]), tf.reshape(f, [b, -1, d])), x.shape));
}

/**
 * GELU with the tanh approximation (as in DiT): one fused kernel each way where it is registered
 * (cpu, wasm, webgpu); elsewhere composed as `x·sigmoid(2u)`, which equals `0.5·x·(1 + tanh(u))`
 * (wasm's sigmoid was far faster than its tanh).
 * @param x - any tensor.
 * @returns `0.5·x·(1 + tanh(u))` with `u = √(2/π)·(x + 0.044715·x³)`.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (fusedActivationsAvailable()) return fusedGelu(x);
  const twiceInner = tf.mul(scalar(2 * Math.sqrt(2 / Math.PI)), tf.add(x, tf.mul(scalar(0.044715), tf.mul(x, tf.square(x)))));
  return tf.mul(x, tf.sigmoid(twiceInner)) as T;
}

/**
 * SiLU `x·sigmoid(x)`: one fused kernel each way where it is registered (cpu, wasm, webgpu).
 * @param x - any tensor.
 * @returns same shape.
 */
export function silu<T extends tf.Tensor>(x: T): T {
  if (fusedActivationsAvailable()) return fusedSilu(x);
  return tf.mul(x, tf.sigmoid(x)) as T;
}
