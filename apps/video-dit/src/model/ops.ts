import * as tf from '@tensorflow/tfjs-core';

/*
 * The wasm backend runs its fast matmul (XNNPACK) only for 2-D products without transposes;
 * autodiff's transposed and batched products fall to a scalar loop. These ops keep every
 * product, forward and backward, on that path: the gradients transpose explicitly first.
 */

const matMul2d = tf.customGrad((x, w, save) => {
  const a = x as tf.Tensor2D;
  const b = w as tf.Tensor2D;
  (save as tf.GradSaveFunc)([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
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
  const y = matMul2d(x, w) as tf.Tensor2D;
  return b === undefined ? y : tf.add(y, b);
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

/**
 * Layer norm over the last axis without a learned affine (adaLN supplies scale and shift).
 * @param x - any rank ≥ 1.
 * @param epsilon - added to the variance.
 * @returns normalised `x`, same shape.
 */
export function layerNorm<T extends tf.Tensor>(x: T, epsilon = 1e-6): T {
  const axis = x.rank - 1;
  const { mean, variance } = tf.moments(x, axis, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))) as T;
}

/**
 * GELU with the tanh approximation (as in DiT), built from ops that have gradients everywhere.
 * @param x - any tensor.
 * @returns `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner))) as T;
}

/**
 * SiLU `x·sigmoid(x)`.
 * @param x - any tensor.
 * @returns same shape.
 */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}
