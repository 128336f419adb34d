import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { sumOfSquaresOf } from './sum-of-squares.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

describe.each(backends)('sumOfSquaresOf on %s', (backend) => {
  test.each([
    ['one tensor of one element', [[1]]],
    ['one of 257', [[257]]],
    ['three of other shapes', [[7], [48, 211], [255]]],
    ['twenty, more than one webgpu program takes', Array.from({ length: 20 }, (_, i) => [3 + 40 * i])],
  ])('equals Σ tf.sum(tf.square(x)) for %s, in one kernel, leaking nothing', async (_, shapes) => {
    await initBackend(backend);
    const xs = shapes.map((shape, t) => {
      const size = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(1 + t + i * 0.77) * (1 + (i % 5))), shape);
    });
    const composed = tf.tidy(() => tf.addN(xs.map((x) => tf.sum(tf.square(x)))));
    const tensors = tf.memory().numTensors;
    const { result: fused, work } = await countWork(() => sumOfSquaresOf(xs));
    expect(work.kernels).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors + 1);
    expect(fused.shape).toEqual([]);
    const want = (await composed.data())[0]!;
    // float32 sums in another order
    expect(Math.abs((await fused.data())[0]! - want)).toBeLessThanOrEqual(1e-6 * want);
    tf.dispose([...xs, composed, fused]);
  });
});
