import * as tf from '@tensorflow/tfjs-core';
import { formatShape } from './apply.js';
import { type AxisValues, checkAxisDims } from './options.js';

/*
 * A permutation P maps one channel layout onto another: to[k] = from[P[k]]. Applying the same P
 * to the q and k channels of every head leaves q·k unchanged (a dot product does not care about
 * the order of its terms), and RoPE in the target layout on permuted channels is the permuted
 * RoPE of the source layout. So folding P into the q and k projections (never v: v is not rotated
 * and the output projection expects its channels in place) converts a checkpoint between layouts
 * with identical attention scores.
 */

function headDimOf(axisDims: AxisValues, where: string): number {
  const headDim = Array.isArray(axisDims) ? axisDims.reduce((sum, part) => sum + (typeof part === 'number' ? part : Number.NaN), 0) : Number.NaN;
  checkAxisDims(axisDims, headDim, where);
  return headDim;
}

/**
 * The channel permutation from the interleaved layout (pairs (2j, 2j+1), the reference models')
 * to the packed one (pairs (j, j + D/2)): `Q = [0, 2, …, D−2, 1, 3, …, D−1]`.
 *
 * @param axisDims - channel split, one even part per axis (e.g. `[time, height, width]`); `D` is their sum.
 * @returns `Q` with `packed[k] = interleaved[Q[k]]`.
 * @throws {TypeError} when axisDims is not an array of 1 to 4 numbers.
 * @throws {RangeError} when a part is odd or negative.
 */
export function interleavedToPackedPermutation(axisDims: AxisValues): Int32Array {
  const headDim = headDimOf(axisDims, 'interleavedToPackedPermutation');
  const half = headDim / 2;
  return Int32Array.from({ length: headDim }, (_, k) => (k < half ? 2 * k : 2 * (k - half) + 1));
}

/**
 * The inverse of {@link interleavedToPackedPermutation}.
 *
 * @param axisDims - channel split, one even part per axis.
 * @returns `P` with `interleaved[k] = packed[P[k]]`.
 * @throws {TypeError} when axisDims is not an array of 1 to 4 numbers.
 * @throws {RangeError} when a part is odd or negative.
 */
export function packedToInterleavedPermutation(axisDims: AxisValues): Int32Array {
  return invertPermutation(interleavedToPackedPermutation(axisDims));
}

/**
 * The permutation from the naive per-axis half-split layout (each axis part rotated on its own with
 * GPT-NeoX `rotate_half`: first halves then second halves inside each part) to the packed layout.
 * For [16, 56, 56]: `[0..7, 16..43, 72..99, 8..15, 44..71, 100..127]`.
 *
 * @param axisDims - channel split, one even part per axis.
 * @returns `P` with `packed[k] = perAxisHalfSplit[P[k]]`.
 * @throws {TypeError} when axisDims is not an array of 1 to 4 numbers.
 * @throws {RangeError} when a part is odd or negative.
 */
export function axisHalfSplitToPackedPermutation(axisDims: AxisValues): Int32Array {
  headDimOf(axisDims, 'axisHalfSplitToPackedPermutation');
  const firsts: number[] = [];
  const seconds: number[] = [];
  let start = 0;
  for (const part of axisDims) {
    for (let j = 0; j < part / 2; j++) {
      firsts.push(start + j);
      seconds.push(start + part / 2 + j);
    }
    start += part;
  }
  return Int32Array.from([...firsts, ...seconds]);
}

/**
 * Inverts a permutation.
 *
 * @param permutation - a permutation of `0..n−1`.
 * @returns `inverse` with `inverse[permutation[k]] = k`.
 * @throws {RangeError} when the input is not a permutation of `0..n−1`.
 */
export function invertPermutation(permutation: ArrayLike<number>): Int32Array {
  const inverse = new Int32Array(permutation.length).fill(-1);
  for (let k = 0; k < permutation.length; k++) {
    const target = permutation[k]!;
    if (!Number.isInteger(target) || target < 0 || target >= permutation.length || inverse[target] !== -1) {
      throw new RangeError(`invertPermutation: entry ${k} is ${target}; expected each of 0..${permutation.length - 1} exactly once`);
    }
    inverse[target] = k;
  }
  return inverse;
}

/**
 * Reorders the output channels of a q or k projection, head by head, so that a checkpoint trained
 * in one RoPE layout runs in another with identical attention scores. Apply it to the q and k
 * kernels (and biases) with the same permutation; leave v and the output projection alone.
 *
 * @param weight - a kernel `[in, heads·headDim]` (tfjs Dense layout) or a bias `[heads·headDim]`.
 * @param permutation - `to[k] = from[permutation[k]]` within each head, length `headDim`,
 *   e.g. {@link interleavedToPackedPermutation}.
 * @returns a new tensor of the same shape: `out[…, h·D + k] = weight[…, h·D + permutation[k]]`.
 * @throws {RangeError} when the last axis is not a multiple of the permutation's length, or the
 *   permutation is not one.
 */
export function permuteHeadChannels<T extends tf.Tensor1D | tf.Tensor2D>(weight: T, permutation: ArrayLike<number>): T {
  invertPermutation(permutation);
  const headDim = permutation.length;
  const channels = weight.shape[weight.rank - 1]!;
  if (headDim === 0 || channels % headDim !== 0) {
    throw new RangeError(
      `permuteHeadChannels: weight has ${channels} output channels (shape ${formatShape(weight.shape)}); expected a multiple of the permutation length ${headDim} (heads·headDim)`,
    );
  }
  const indices = Int32Array.from({ length: channels }, (_, c) => Math.floor(c / headDim) * headDim + permutation[c % headDim]!);
  return tf.tidy(() => tf.gather(weight, tf.tensor1d(indices, 'int32'), weight.rank - 1) as T);
}
