import '@tensorflow/tfjs-backend-cpu';
import { clearRopeCache } from '@flowdit/rope3d';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import { offsetScores } from './scores.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('the RoPE score of a query against a key depends on their offset only, in both layouts', async () => {
  const tensors = tf.memory().numTensors;
  const result = await offsetScores({ grid: [3, 4, 5], headDim: 32, preset: 'wan' });
  // only the tables applyRope keeps uploaded stay behind
  clearRopeCache();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(result.shape).toEqual([5, 7, 9]);
  expect(result.pairs.reduce((a, b) => a + b, 0)).toBe(60 * 60);
  // the offset (0, 0, 0) is every token against itself
  expect(result.pairs[(2 * 7 + 3) * 9 + 4]).toBe(60);
  expect(result.maxSpread).toBeLessThan(1e-5 * result.maxScore);
  expect(result.layoutDifference).toBeLessThan(1e-5 * result.maxScore);
  // and it does depend on the offset: scores differ between offsets far more than within one
  const means = Array.from(result.mean);
  expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(0.1 * result.maxScore);
});
