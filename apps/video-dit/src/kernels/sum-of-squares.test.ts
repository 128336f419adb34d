import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { sumOfSquaresOf } from './sum-of-squares.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

describe.each(backends)('sumOfSquaresOf on %s', (backend) => {
  test.each([[1], [7], [255], [257], [48, 211]])('equals tf.sum(tf.square(x)) for shape %j', async (...shape) => {
    await initBackend(backend);
    const size = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(1 + i * 0.77) * (1 + (i % 5))), shape);
    const composed = tf.tidy(() => tf.sum(tf.square(x)));
    const tensors = tf.memory().numTensors;
    const { result: fused, work } = await countWork(() => sumOfSquaresOf(x));
    expect(work.kernels).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors + 1);
    expect(fused.shape).toEqual([]);
    const want = (await composed.data())[0]!;
    // float32 sums in another order
    expect(Math.abs((await fused.data())[0]! - want)).toBeLessThanOrEqual(1e-6 * want);
    tf.dispose([x, composed, fused]);
  });
});
