import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { fusedAdaLayerNorm } from './ada-layer-norm.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;
const EPSILON = 1e-6;

function seeded(shape: number[], seed: number, offset = 0): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => offset + Math.sin(seed * 3.7 + i * 0.61) * (1 + (i % 4))), shape);
}

/** The composed version: moments, rsqrt and the broadcast modulation. */
function composed(x: tf.Tensor3D, shift: tf.Tensor2D, scale: tf.Tensor2D): tf.Tensor3D {
  const [b, , d] = x.shape;
  const { mean, variance } = tf.moments(x, 2, true);
  const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPSILON)));
  return tf.add(tf.mul(normalized, tf.add(1, tf.reshape(scale, [b, 1, d]))), tf.reshape(shift, [b, 1, d])) as tf.Tensor3D;
}

describe.each(backends)('fusedAdaLayerNorm on %s', (backend) => {
  test.each([
    [[2, 5, 8], 'clips'],
    [[2, 3, 6], 'clips'],
    [[3, 17, 64], 'clips'],
    [[3, 17, 64], 'rows'],
  ])('equals the composed ops, forward and gradient, for x %j given as %s, one kernel each way', async (shape, form) => {
    await initBackend(backend);
    const x = seeded(shape, 1, 0.3) as tf.Tensor3D;
    const shift = seeded([shape[0]!, shape[2]!], 2) as tf.Tensor2D;
    const scale = tf.mul(seeded([shape[0]!, shape[2]!], 3), 0.2) as tf.Tensor2D;
    const w = seeded(shape, 4);
    const lossOf = (f: typeof composed) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(f(a as tf.Tensor3D, b as tf.Tensor2D, c as tf.Tensor2D), w));
    const expected = tf.tidy(() => [composed(x, shift, scale), ...tf.grads(lossOf(composed))([x, shift, scale])]);
    const tensors = tf.memory().numTensors;
    // 'rows': x as [batch·tokens, width]
    const fused = (a: tf.Tensor3D, b: tf.Tensor2D, c: tf.Tensor2D) =>
      form === 'clips' ? fusedAdaLayerNorm(a, b, c, EPSILON) : tf.reshape(fusedAdaLayerNorm(tf.reshape(a, [-1, a.shape[2]]) as tf.Tensor2D, b, c, EPSILON), a.shape) as tf.Tensor3D;
    const { result: actual, work } = await countWork(() => tf.tidy(() => [fused(x, shift, scale), ...tf.grads(lossOf(fused))([x, shift, scale])]));
    expect(work.kernelsByName.FlowditAdaLayerNorm).toBe(2);
    expect(work.kernelsByName.FlowditAdaLayerNormGrad).toBe(1);
    for (const [i, tensor] of actual.entries()) {
      expect(tensor.shape).toEqual(expected[i]!.shape);
      const want = await expected[i]!.data();
      const got = await tensor.data();
      let worst = 0;
      for (let e = 0; e < want.length; e++) worst = Math.max(worst, Math.abs(got[e]! - want[e]!) / Math.max(1, Math.abs(want[e]!)));
      expect(worst).toBeLessThan(2e-5);
    }
    tf.dispose(actual);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, shift, scale, w, ...expected]);
  });
});
