import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { fusedGelu } from './gelu.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

/** The textbook form, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
const tanhForm = (v: tf.Tensor) => tf.mul(tf.mul(0.5, v), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(v, tf.mul(0.044715, tf.pow(v, 3)))))));

describe.each(backends)('fusedGelu on %s', (backend) => {
  test('is the tanh approximation, value and gradient, one kernel each way', async () => {
    await initBackend(backend);
    const x = tf.linspace(-6, 6, 97);
    const expected = tf.tidy(() => [tanhForm(x), tf.grad((v) => tf.sum(tf.mul(tanhForm(v), v)))(x)]);
    const tensors = tf.memory().numTensors;
    const { result: actual, work } = await countWork(() => tf.tidy(() => [fusedGelu(x), tf.grad((v) => tf.sum(tf.mul(fusedGelu(v), v)))(x)]));
    expect(work.kernelsByName.FlowditGelu).toBe(2);
    expect(work.kernelsByName.FlowditGeluGrad).toBe(1);
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
