import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { initBackend } from './init-backend.js';

test('on wasm a clone shares its data, which outlives whichever of the two is disposed first', async () => {
  await initBackend('wasm');
  const tensors = tf.memory().numTensors;
  const x = tf.tensor([1, 2, 3]);
  const y = x.clone();
  const backend = tf.backend() as unknown as { refCount(dataId: tf.DataId): number };
  expect(y.dataId).toBe(x.dataId);
  expect(backend.refCount(x.dataId)).toBe(2);
  x.dispose();
  expect(Array.from(await y.data())).toEqual([1, 2, 3]);
  y.dispose();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(backend.refCount(x.dataId)).toBe(0);
});
