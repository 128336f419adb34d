import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { matMul2d, matMul2dBias } from './matmul.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

/** op(a)·op(b) in float64, and the sums of the magnitudes of its terms. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean) {
  const want = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let r = 0; r < k; r++) {
        const term = a[transposeA ? r * m + i : i * k + r]! * b[transposeB ? j * k + r : r * n + j]!;
        want[i * n + j]! += term;
        magnitude[i * n + j]! += Math.abs(term);
      }
    }
  }
  return { want, magnitude };
}

describe.each(backends)('matMul2d on %s', (backend) => {
  // the step's shapes, and edges: rows not a multiple of 4, columns not of 8, a shared dimension of 1
  test.each([
    [1024, 64, 256, false, false],
    [1024, 256, 64, false, true],
    [64, 1024, 192, true, false],
    [13, 37, 21, true, true],
    [5, 1, 3, false, false],
    [1, 300, 9, true, false],
    [6, 7, 8, false, true],
  ])('%i×%i·%i (transposeA %s, transposeB %s) in one kernel, leaking nothing', async (m, k, n, transposeA, transposeB) => {
    await initBackend(backend);
    const aValues = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5)));
    const bValues = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.61) * (1 + (i % 3)));
    const a = tf.tensor2d(aValues, transposeA ? [k, m] : [m, k]);
    const b = tf.tensor2d(bValues, transposeB ? [n, k] : [k, n]);
    const { want, magnitude } = reference(aValues, bValues, m, k, n, transposeA, transposeB);
    const tensors = tf.memory().numTensors;
    const { result, work } = await countWork(() => matMul2d(a, b, transposeA, transposeB));
    expect(work.kernels).toBe(1);
    expect(result.shape).toEqual([m, n]);
    const got = await result.data();
    let worst = 0;
    for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (magnitude[i]! + 1e-30));
    // float32 accumulation over k terms: within k·2⁻²⁴ of the magnitudes' sum
    expect(worst).toBeLessThanOrEqual(k * 2 ** -24);
    result.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    a.dispose();
    b.dispose();
  });

  test.runIf(backend === 'wasm')('gives the bits of tfjs-wasm’s own product of the explicit transposes', async () => {
    await initBackend(backend);
    const a = tf.randomNormal([96, 1024], 0, 1, 'float32', 3) as tf.Tensor2D;
    const b = tf.randomNormal([96, 40], 0, 1, 'float32', 4) as tf.Tensor2D;
    const ours = matMul2d(a, b, true, false);
    const theirs = tf.tidy(() => tf.matMul(tf.transpose(a), b));
    expect(Array.from(await ours.data())).toEqual(Array.from(await theirs.data()));
    tf.dispose([a, b, ours, theirs]);
  });

  test.each([
    [1024, 64, 256],
    [13, 37, 21],
  ])('%i×%i·%i + bias gives the bits of the product and a separate add, in one kernel', async (m, k, n) => {
    await initBackend(backend);
    const a = tf.randomNormal([m, k], 0, 1, 'float32', 5) as tf.Tensor2D;
    const b = tf.randomNormal([k, n], 0, 1, 'float32', 6) as tf.Tensor2D;
    const bias = tf.randomNormal([n], 0, 1, 'float32', 7) as tf.Tensor1D;
    const tensors = tf.memory().numTensors;
    const { result: fused, work } = await countWork(() => matMul2dBias(a, b, bias));
    expect(work.kernels).toBe(1);
    const separate = tf.tidy(() => tf.add(matMul2d(a, b), bias));
    expect(Array.from(await fused.data())).toEqual(Array.from(await separate.data()));
    tf.dispose([fused, separate]);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([a, b, bias]);
  });

  test('says which shapes it cannot multiply', async () => {
    await initBackend(backend);
    const a = tf.zeros([3, 4]) as tf.Tensor2D;
    const b = tf.zeros([5, 2]) as tf.Tensor2D;
    expect(() => matMul2d(a, b)).toThrow(/3,4.*5,2|inner|match/);
    tf.dispose([a, b]);
  });
});
