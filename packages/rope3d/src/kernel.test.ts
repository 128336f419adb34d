import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { afterAll, describe, expect, test } from 'vitest';
import { BACKENDS, useBackend } from '../test/test-utils.js';
import { applyRope, clearRopeCache } from './apply.js';
import { fusedRopeAvailable, ROPE_KERNEL } from './kernel.js';
import { ropeTable } from './table.js';

afterAll(() => clearRopeCache());

/** Runs `f` with the fused kernel unregistered on the current backend: applyRope composes tfjs ops. */
function composed<T>(f: () => T): T {
  const backendName = tf.getBackend();
  const kernel = tf.getKernel(ROPE_KERNEL, backendName)!;
  tf.unregisterKernel(ROPE_KERNEL, backendName);
  try {
    expect(fusedRopeAvailable()).toBe(false);
    return f();
  } finally {
    tf.registerKernel(kernel);
  }
}

/** The rotation of x and the gradient of Σ w·rope(x), as arrays. */
function forwardAndGradient(values: Float32Array, weights: Float32Array, shape: number[], table: ReturnType<typeof ropeTable>, allowPadding: boolean): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values, shape as [number, number, number, number]);
    const w = tf.tensor4d(weights, shape as [number, number, number, number]);
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(applyRope(input as tf.Tensor4D, table, { allowPadding }), w));
    return [applyRope(x, table, { allowPadding }).dataSync() as Float32Array, tf.grad(loss)(x).dataSync() as Float32Array];
  });
}

describe.each(BACKENDS)('the fused RoPE kernel on %s', (backend) => {
  test.each([
    ['packed', 'hunyuan', false],
    ['interleaved', 'hunyuan', false],
    ['packed', 'wan', true],
  ] as const)('equals the composed ops bit for bit, forward and gradient (%s, %s, padding %s)', async (layout, preset, allowPadding) => {
    await useBackend(backend);
    expect(fusedRopeAvailable()).toBe(true);
    const table = ropeTable({ grid: [3, 4, 5], headDim: 64, preset, layout });
    const shape = [2, 60 + (allowPadding ? 3 : 0), 3, 64];
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i) * (1 + (i % 7)));
    const weights = Float32Array.from(values, (_, i) => Math.cos(0.11 * i));
    const [fusedOut, fusedGrad] = forwardAndGradient(values, weights, shape, table, allowPadding);
    const [composedOut, composedGrad] = composed(() => forwardAndGradient(values, weights, shape, table, allowPadding));
    expect(Array.from(fusedOut!)).toEqual(Array.from(composedOut!));
    expect(Array.from(fusedGrad!)).toEqual(Array.from(composedGrad!));
  });

  test('is one kernel each way and leaks nothing', async () => {
    await useBackend(backend);
    const table = ropeTable({ grid: [2, 2, 2], headDim: 16, preset: 'wan' });
    const x = tf.randomNormal([1, 8, 2, 16]) as tf.Tensor4D;
    applyRope(x, table).dispose();
    const tensors = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      const [out, grad] = tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((input: tf.Tensor) => tf.sum(applyRope(input as tf.Tensor4D, table)))([x]);
        return [value, grads[0]!];
      });
      tf.dispose([out!, grad!]);
    });
    expect(profile.kernels.filter((kernel) => kernel.name === ROPE_KERNEL)).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(tensors);
    x.dispose();
  });
});
