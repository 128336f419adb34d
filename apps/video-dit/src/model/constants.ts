import * as tf from '@tensorflow/tfjs-core';

/*
 * A JS number in a tfjs op (`tf.mul(x, 2)`) becomes a new tensor at every call, which the webgpu
 * backend uploads from the CPU through a staging buffer of its own. The model's constants are
 * made once per backend instead and kept.
 */

const constants = new Map<tf.KernelBackend, Map<string, tf.Tensor>>();

/**
 * A constant tensor, made on the current backend the first time it is asked for and kept.
 * @param key - names it (equal keys must make equal tensors).
 * @param make - makes it.
 * @returns the kept tensor; never dispose it.
 */
export function constant(key: string, make: () => tf.Tensor): tf.Tensor {
  const backend = tf.backend();
  let made = constants.get(backend);
  if (made === undefined) {
    made = new Map();
    constants.set(backend, made);
  }
  const cached = made.get(key);
  if (cached !== undefined && !cached.isDisposed) return cached;
  const tensor = tf.keep(make());
  made.set(key, tensor);
  return tensor;
}

/**
 * A float32 scalar constant.
 * @param value - its value.
 * @returns the kept scalar.
 */
export function scalar(value: number): tf.Scalar {
  return constant(`scalar ${value}`, () => tf.scalar(value, 'float32')) as tf.Scalar;
}
