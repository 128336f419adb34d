import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../backend/index.js';
import { fusedGatedResidual } from './gated-residual.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

function seeded(shape: number[], seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 2.9 + i * 0.53) * (1 + (i % 3))), shape);
}

const composed = (x: tf.Tensor3D, gate: tf.Tensor2D, f: tf.Tensor3D): tf.Tensor3D =>
  tf.add(x, tf.mul(tf.reshape(gate, [gate.shape[0], 1, gate.shape[1]]), f));

describe.each(backends)('fusedGatedResidual on %s', (backend) => {
  // a width of 6: rows that end in single floats on wasm
  test.each([
    ['clips', 8],
    ['rows', 8],
    ['clips', 6],
  ])('equals x + gate·f composed, forward and gradient, for x and f given as %s of width %i, one kernel each way, leaking nothing', async (form, width) => {
    await initBackend(backend);
    const shape = [3, 11, width];
    const x = seeded(shape, 1) as tf.Tensor3D;
    const gate = seeded([3, width], 2) as tf.Tensor2D;
    const f = seeded(shape, 3) as tf.Tensor3D;
    const w = seeded(shape, 4);
    const lossOf = (fn: typeof composed) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(fn(a as tf.Tensor3D, b as tf.Tensor2D, c as tf.Tensor3D), w));
    const expected = tf.tidy(() => [composed(x, gate, f), ...tf.grads(lossOf(composed))([x, gate, f])]);
    const tensors = tf.memory().numTensors;
    // 'rows': x and f as [batch·tokens, width]
    const fused = (a: tf.Tensor3D, b: tf.Tensor2D, c: tf.Tensor3D) => {
      if (form === 'clips') return fusedGatedResidual(a, b, c);
      const rows = (t: tf.Tensor3D) => tf.reshape(t, [-1, t.shape[2]]) as tf.Tensor2D;
      return tf.reshape(fusedGatedResidual(rows(a), b, rows(c)), a.shape) as tf.Tensor3D;
    };
    const { result: actual, work } = await countWork(() => tf.tidy(() => [fused(x, gate, f), ...tf.grads(lossOf(fused))([x, gate, f])]));
    expect(work.kernelsByName.FlowditGatedResidual).toBe(2);
    expect(work.kernelsByName.FlowditGatedResidualGrad).toBe(1);
    for (const [i, tensor] of actual.entries()) {
      expect(tensor.shape).toEqual(expected[i]!.shape);
      const want = await expected[i]!.data();
      const got = await tensor.data();
      for (let e = 0; e < want.length; e++) expect(Math.abs(got[e]! - want[e]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[e]!)));
    }
    tf.dispose(actual);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, gate, f, w, ...expected]);
  });
});
