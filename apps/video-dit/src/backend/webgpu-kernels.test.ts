import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { collapseTranspose } from './webgpu-kernels.js';

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((perm) => Array.from({ length: n }, (_, at) => [...perm.slice(0, at), n - 1, ...perm.slice(at)]));
}

describe('collapseTranspose', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  test.each([
    { shape: [2, 3, 4, 5, 6, 7, 8, 9], perm: [0, 1, 3, 5, 2, 4, 6, 7], merged: { shape: [6, 4, 5, 6, 7, 72], perm: [0, 2, 4, 1, 3, 5] } },
    { shape: [2, 3, 4, 5, 6, 7, 8, 9], perm: [0, 1, 4, 2, 5, 3, 6, 7], merged: { shape: [6, 4, 5, 6, 7, 72], perm: [0, 3, 1, 4, 2, 5] } },
    { shape: [2, 3, 4], perm: [0, 1, 2], merged: { shape: [24], perm: [0] } },
    { shape: [2, 3, 4], perm: [2, 1, 0], merged: { shape: [2, 3, 4], perm: [2, 1, 0] } },
    { shape: [2, 3, 4, 5], perm: [2, 3, 0, 1], merged: { shape: [6, 20], perm: [1, 0] } },
  ])('merges the runs of $perm', ({ shape, perm, merged }) => {
    expect(collapseTranspose(shape, perm)).toEqual(merged);
  });

  test('gives the transpose it replaces, for every permutation of 5 axes', () => {
    const shape = [2, 3, 1, 4, 2];
    const x = tf.reshape(tf.range(0, 48), shape);
    for (const perm of permutations(5)) {
      const merged = collapseTranspose(shape, perm);
      const viaMerged = tf.reshape(tf.transpose(tf.reshape(x, merged.shape), merged.perm), perm.map((axis) => shape[axis]!));
      const direct = tf.transpose(x, perm);
      expect(Array.from(viaMerged.dataSync()), `perm ${perm}`).toEqual(Array.from(direct.dataSync()));
      tf.dispose([viaMerged, direct]);
    }
    x.dispose();
  });
});
