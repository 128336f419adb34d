import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { useBackend } from '../test/test-utils.js';
import {
  axisHalfSplitToPackedPermutation,
  interleavedToPackedPermutation,
  invertPermutation,
  packedToInterleavedPermutation,
  permuteHeadChannels,
} from './permutation.js';

describe('permutations', () => {
  test('interleaved → packed is [0, 2, …, D−2, 1, 3, …, D−1] and inverts', () => {
    expect(Array.from(interleavedToPackedPermutation([4, 2, 2]))).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    const Q = interleavedToPackedPermutation([16, 56, 56]);
    const inverse = packedToInterleavedPermutation([16, 56, 56]);
    expect(Array.from(Q, (q) => inverse[q])).toEqual(Array.from({ length: 128 }, (_, k) => k));
  });

  test('per-axis half-split → packed for [16, 56, 56] is the one in references.md', () => {
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(Array.from(axisHalfSplitToPackedPermutation([16, 56, 56]))).toEqual([
      ...range(0, 7),
      ...range(16, 43),
      ...range(72, 99),
      ...range(8, 15),
      ...range(44, 71),
      ...range(100, 127),
    ]);
  });

  test('invertPermutation rejects non-permutations', () => {
    expect(() => invertPermutation([0, 0, 1])).toThrow(/entry 1 is 0; expected each of 0..2 exactly once/);
  });

  test('permuteHeadChannels rejects weights that are not whole heads', async () => {
    await useBackend('cpu');
    expect(() => permuteHeadChannels(tf.zeros([4, 20]) as tf.Tensor2D, interleavedToPackedPermutation([4, 6, 6]))).toThrow(
      /20 output channels .*multiple of the permutation length 16/,
    );
  });
});
