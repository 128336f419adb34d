import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { timestepDistribution } from './distributions.js';
import { createRng } from './rng.js';
import { sampleTimesteps } from './sampling.js';
import { flowMatchingPair, timestepTensor } from './tfjs.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });

describe('timestepTensor', () => {
  test('is a [batch] float32 tensor of the float64 draws rounded once', () => {
    const t = timestepTensor(dist, 6, createRng(1), { stratified: true });
    expect(t.shape).toEqual([6]);
    expect(t.dtype).toBe('float32');
    const expected = sampleTimesteps(dist, 6, createRng(1), { stratified: true });
    expect(Array.from(t.dataSync())).toEqual(Array.from(expected, Math.fround));
    t.dispose();
  });

  test('rejects a non-integer batch size', () => {
    expect(() => timestepTensor(dist, 3.5, createRng(1))).toThrow('batchSize must be an integer >= 1, got 3.5');
  });

  test('without an rng, says which argument and what to pass', () => {
    expect(() => timestepTensor(dist, 4, undefined as never)).toThrow(
      new TypeError('rng must be a generator from createRng(seed) or restoreRng(state), got undefined'),
    );
  });
});

describe('flowMatchingPair', () => {
  test('x_t = t·x1 + (1 − t)·x0 and velocity = x1 − x0, t broadcast per batch item', () => {
    const data = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const noise = tf.tensor3d([0.5, -1, 0, 2, -3, 1, 0.25, 0], [2, 2, 2]);
    const t = tf.tensor1d([0.25, 1]);
    const { xt, velocity } = flowMatchingPair(data, noise, t);
    const x1 = data.dataSync();
    const x0 = noise.dataSync();
    const xtValues = xt.dataSync();
    const vValues = velocity.dataSync();
    for (let i = 0; i < 8; i++) {
      const ti = i < 4 ? 0.25 : 1;
      expect(xtValues[i]).toBeCloseTo(ti * x1[i]! + (1 - ti) * x0[i]!, 6);
      expect(vValues[i]).toBeCloseTo(x1[i]! - x0[i]!, 6);
    }
    tf.dispose([data, noise, t, xt, velocity]);
  });

  test('leaves exactly its two outputs behind (no leaked intermediates)', () => {
    const before = tf.memory().numTensors;
    const data = tf.ones([4, 3, 2, 2]);
    const noise = tf.zeros([4, 3, 2, 2]);
    const t = timestepTensor(dist, 4, createRng(3));
    const afterInputs = tf.memory().numTensors;
    const { xt, velocity } = flowMatchingPair(data, noise, t);
    expect(tf.memory().numTensors).toBe(afterInputs + 2);
    tf.dispose([data, noise, t, xt, velocity]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('rejects mismatched shapes', () => {
    tf.tidy(() => {
      const data = tf.zeros([2, 3]);
      expect(() => flowMatchingPair(data, tf.zeros([2, 4]), tf.zeros([2]) as tf.Tensor1D)).toThrow(
        'noise must have the shape of data [2, 3], got [2, 4]',
      );
      expect(() => flowMatchingPair(data, tf.zeros([2, 3]), tf.zeros([3]) as tf.Tensor1D)).toThrow(
        't must have shape [2] (one time per batch item), got [3]',
      );
    });
  });
});
