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

test.each([
  [[16, 64, 12, 16], 3, 2],
  [[1024, 192], [64, 100, 28], 1],
  [[5, 7], [2, 5], -1],
  [[6, 4], 3, 0],
])('on wasm SplitV of %j into %j along axis %i equals the cpu backend, int32 too', async (shape, splits, axis) => {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, (_, i) => i * 0.5 - 7);
  const piecesOn = async (backend: 'cpu' | 'wasm', dtype: 'float32' | 'int32') => {
    await initBackend(backend);
    const x = tf.tensor(values, shape, dtype);
    const pieces = tf.split(x, splits, axis);
    const read = await Promise.all(pieces.map(async (piece) => ({ shape: piece.shape, values: Array.from(await piece.data()) })));
    tf.dispose([x, ...pieces]);
    return read;
  };
  for (const dtype of ['float32', 'int32'] as const) expect(await piecesOn('wasm', dtype)).toEqual(await piecesOn('cpu', dtype));
});

test.each([
  [[[16, 64, 4, 16], [16, 64, 4, 16], [16, 64, 4, 16]], 2],
  [[[3, 5], [3, 0], [3, 2]], 1],
  [[[2, 3], [4, 3]], 0],
  [[[2, 3, 4], [2, 3, 1]], -1],
  [[[0, 3], [0, 3]], 0],
])('on wasm Concat of %j along axis %i equals the cpu backend, int32 too', async (shapes, axis) => {
  const joinedOn = async (backend: 'cpu' | 'wasm', dtype: 'float32' | 'int32') => {
    await initBackend(backend);
    const xs = shapes.map((shape, k) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => k * 100 + i * 0.5 - 7), shape, dtype));
    const joined = tf.concat(xs, axis);
    const read = { shape: joined.shape, values: Array.from(await joined.data()) };
    tf.dispose([...xs, joined]);
    return read;
  };
  for (const dtype of ['float32', 'int32'] as const) expect(await joinedOn('wasm', dtype)).toEqual(await joinedOn('cpu', dtype));
});
