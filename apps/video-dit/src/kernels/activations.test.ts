import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { fusedGelu, fusedSilu } from './activations.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

/** The textbook forms: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) and x·sigmoid(x). */
const textbook = {
  gelu: (v: tf.Tensor) => tf.mul(tf.mul(0.5, v), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(v, tf.mul(0.044715, tf.pow(v, 3))))))),
  silu: (v: tf.Tensor) => tf.mul(v, tf.sigmoid(v)),
};
const fused = { gelu: fusedGelu, silu: fusedSilu };
const kernelNames = { gelu: 'FlowditGelu', silu: 'FlowditSilu' };

describe.each(backends)('fused activations on %s', (backend) => {
  test.each(['gelu', 'silu'] as const)('%s equals its textbook form, value and gradient, one kernel each way, leaking nothing', async (name) => {
    await initBackend(backend);
    // 101 values (not a multiple of 4), the far ones where the exponential under- or overflows
    const x = tf.tensor1d([...Array.from({ length: 97 }, (_, i) => -6 + i / 8), -90, -12, 12, 90]);
    const expected = tf.tidy(() => [textbook[name](x), tf.grad((v) => tf.sum(tf.mul(textbook[name](v), v)))(x)]);
    const tensors = tf.memory().numTensors;
    const { result: actual, work } = await countWork(() => tf.tidy(() => [fused[name](x), tf.grad((v) => tf.sum(tf.mul(fused[name](v), v)))(x)]));
    expect(work.kernelsByName[kernelNames[name]]).toBe(2);
    expect(work.kernelsByName[`${kernelNames[name]}Grad`]).toBe(1);
    for (const [i, tensor] of actual.entries()) {
      const want = await expected[i]!.data();
      const got = await tensor.data();
      for (let e = 0; e < want.length; e++) expect(Math.abs(got[e]! - want[e]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[e]!)));
    }
    tf.dispose(actual);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, ...expected]);
  });
});
