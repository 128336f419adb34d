import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { columnSum } from './column-sum.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

describe.each(backends)('columnSum on %s', (backend) => {
  test.each([
    [1, 1],
    [7, 3],
    [1024, 64],
  ])('sums the columns of a %i×%i matrix in one kernel, leaking nothing', async (rows, cols) => {
    await initBackend(backend);
    const values = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5)));
    const x = tf.tensor2d(values, [rows, cols]);
    // float64 sums and the size of their terms, against which float32 accumulation is judged
    const want = new Float64Array(cols);
    const magnitude = new Float64Array(cols);
    values.forEach((v, i) => {
      want[i % cols]! += v;
      magnitude[i % cols]! += Math.abs(v);
    });
    const tensors = tf.memory().numTensors;
    const { result, work } = await countWork(() => columnSum(x));
    expect(work.kernels).toBe(1);
    expect(result.shape).toEqual([cols]);
    const got = await result.data();
    for (let c = 0; c < cols; c++) expect(Math.abs(got[c]! - want[c]!)).toBeLessThanOrEqual(1e-6 * magnitude[c]!);
    result.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    x.dispose();
  });
});

test.each([
  [1024, 64],
  [37, 21],
])('wasm sums a %i×%i matrix to the bits of the cpu float64 loop', async (rows, cols) => {
  const values = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.91) * (1 + (i % 7)));
  const sums: number[][] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    const x = tf.tensor2d(values, [rows, cols]);
    const result = columnSum(x);
    sums.push(Array.from(await result.data()));
    tf.dispose([x, result]);
  }
  expect(sums[1]).toEqual(sums[0]);
});
