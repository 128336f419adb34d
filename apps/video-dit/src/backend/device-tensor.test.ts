import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { deviceTensor } from './device-tensor.js';
import { initBackend } from './init-backend.js';
import { countWork } from './work-counters.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

describe.each(backends)('deviceTensor on %s', (backend) => {
  test('holds the values, in a kernel as well, leaking nothing', async () => {
    await initBackend(backend);
    const tensors = tf.memory().numTensors;
    const values = Float32Array.from({ length: 600 }, (_, i) => Math.sin(i));
    const x = deviceTensor(values, [20, 30]);
    expect(x.shape).toEqual([20, 30]);
    expect(Array.from(await x.data())).toEqual(Array.from(values));
    const doubled = tf.tidy(() => tf.mul(x, tf.scalar(2)));
    expect(Array.from(await doubled.data())).toEqual(Array.from(values, (v) => Math.fround(2 * v)));
    tf.dispose([x, doubled]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('refuses a shape that does not hold the values', async () => {
    await initBackend(backend);
    expect(() => deviceTensor(new Float32Array(6), [4, 2])).toThrow('shape [4, 2] holds 8 values, got 6');
  });

  if (backend === 'webgpu') {
    test('creates no GPU buffer once the pool holds one of its size', async () => {
      await initBackend(backend);
      const values = new Float32Array(4096).fill(0.5);
      // a buffer of the size goes back to the pool when its tensor is disposed and the queue submitted
      const first = deviceTensor(values, [4096]);
      await first.data();
      first.dispose();
      const { result, work } = await countWork(async () => {
        const x = deviceTensor(values, [4096]);
        const sum = tf.sum(x);
        const read = await sum.data();
        tf.dispose([x, sum]);
        return read[0];
      });
      expect(result).toBe(2048);
      expect(work.gpu?.uploads).toBe(0);
    });
  }
});
