import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { fusedAttention, fusedAttentionAvailable } from './attention.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

/** Values of up to 3 over 16 columns a head, scaled down for wider heads so that the scores stay as spread. */
function seeded(shape: number[], seed: number): tf.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  const amplitude = Math.min(1, Math.sqrt(16 / shape[3]!));
  return tf.tensor4d(
    Float32Array.from({ length: size }, (_, i) => amplitude * Math.sin(seed * 3.1 + i * 0.73) * (1 + (i % 3))),
    shape as [number, number, number, number],
  );
}

/** softmax(q·kᵀ·scale)·v as composed tfjs ops, heads moved in front. */
function composed(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, scale: number): tf.Tensor4D {
  const heads = (x: tf.Tensor4D) => tf.transpose(x, [0, 2, 1, 3]);
  const scores = tf.mul(tf.matMul(heads(q), heads(k), false, true), scale);
  return tf.transpose(tf.matMul(tf.softmax(scores), heads(v)), [0, 2, 1, 3]) as tf.Tensor4D;
}

describe('fusedAttention', () => {
  test('runs on cpu and wasm', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend);
      expect(fusedAttentionAvailable()).toBe(true);
    }
  });

  describe.each(backends)('on %s', (backend) => {
    test.each([
      [[2, 9, 3, 8]],
      [[1, 70, 2, 16]],
      [[2, 5, 3, 7]], // neither headDim nor tokens a multiple of 4: wasm's padded lanes and keys
      // from 256 tokens on, webgpu tiles through workgroup memory: partial tiles and workgroups, smaller tiles for wider heads
      [[1, 300, 2, 32]],
      [[2, 256, 1, 64]],
    ])('equals the composed ops, forward and gradient, for %j, one kernel each way, leaking nothing', async (shape) => {
      await initBackend(backend);
      const [q, k, v] = [1, 2, 3].map((seed) => seeded(shape, seed)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const w = seeded(shape, 4);
      const scale = 1 / Math.sqrt(shape[3]!);
      const lossOf = (f: typeof composed) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, scale), w));
      const expected = tf.tidy(() => [composed(q, k, v, scale), ...tf.grads(lossOf(composed))([q, k, v])]);
      const tensors = tf.memory().numTensors;
      const { result: actual, work } = await countWork(() =>
        tf.tidy(() => [fusedAttention(q, k, v, scale), ...tf.grads(lossOf(fusedAttention))([q, k, v])]),
      );
      expect(work.kernelsByName.FlowditAttention).toBe(2); // the forward of the output and the one under the gradient
      expect(work.kernelsByName.FlowditAttentionGrad).toBe(1);
      if (work.gpu !== undefined) expect(work.kernelsByName.BatchMatMul).toBeUndefined();
      for (const [i, tensor] of actual.entries()) {
        const want = await expected[i]!.data();
        const got = await tensor.data();
        let worst = 0;
        for (let e = 0; e < want.length; e++) worst = Math.max(worst, Math.abs(got[e]! - want[e]!) / Math.max(1, Math.abs(want[e]!)));
        expect(worst).toBeLessThan(2e-5);
      }
      tf.dispose([...actual]);
      expect(tf.memory().numTensors).toBe(tensors);
      tf.dispose([q, k, v, w, ...expected]);
    });
  });
});
