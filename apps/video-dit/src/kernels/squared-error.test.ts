import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { fusedSquaredError } from './squared-error.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

function seeded(shape: number[], seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 2.3 + i * 0.41) * (1 + (i % 3))), shape);
}

describe.each(backends)('fusedSquaredError on %s', (backend) => {
  test.each([[[3, 5]], [[16, 64, 96]]])('equals scale·Σ(p − t)² composed, value and gradient, for %j, one kernel each way, uploading and leaking nothing', async (shape) => {
    await initBackend(backend);
    const prediction = seeded(shape, 1);
    const target = seeded(shape, 2);
    const scale = 0.75 / prediction.size;
    // the gradient seeded by 3, so that a kernel ignoring dy fails
    const seed = tf.scalar(3);
    const composed = (p: tf.Tensor) => tf.mul(tf.mean(tf.square(tf.sub(p, target))), 0.75) as tf.Scalar;
    const expectedGradient = tf.tidy(() => tf.engine().gradients(() => composed(prediction), [prediction], seed).grads[0]!);
    // the loss in float64: wasm's own mean sums in float32
    const [p64, t64] = [Array.from(await prediction.data()), Array.from(await target.data())];
    const expectedLoss = scale * p64.reduce((sum: number, v: number, i: number) => sum + (v - t64[i]!) ** 2, 0);
    const fused = () =>
      tf.tidy(() => {
        const { value, grads } = tf.engine().gradients(() => fusedSquaredError(prediction, target, scale), [prediction], seed);
        return [value, grads[0]!];
      });
    // once before counting: small inputs stay on the CPU (webgpu) until a GPU kernel reads them
    tf.dispose(fused());
    const tensors = tf.memory().numTensors;
    const { result: actual, work } = await countWork(fused);
    expect(work.kernelsByName.FlowditSquaredError).toBe(1);
    expect(work.kernelsByName.FlowditSquaredErrorGrad).toBe(1);
    if (work.gpu !== undefined) expect(work.gpu.uploads).toBe(0);
    const [loss, gradient] = actual as [tf.Tensor, tf.Tensor];
    expect(Math.abs((await loss.data())[0]! - expectedLoss)).toBeLessThan(1e-6 * expectedLoss);
    const want = await expectedGradient.data();
    const got = await gradient.data();
    for (let e = 0; e < want.length; e++) expect(Math.abs(got[e]! - want[e]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[e]!)));
    tf.dispose(actual);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([prediction, target, seed, expectedGradient]);
  });
});
