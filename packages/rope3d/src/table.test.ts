import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { applyRope, clearRopeCache } from './apply.js';
import { interleavedToPackedPermutation, permuteHeadChannels } from './permutation.js';
import { axisDimsFor, type RopeTableOptions, riflexIntrinsicFrequency, ropeTable, tokenPositions } from './table.js';
import { useBackend } from '../test/test-utils.js';

afterAll(() => clearRopeCache());

describe('presets', () => {
  test.each([
    ['hunyuan', 128, [16, 56, 56]],
    ['hunyuan', 64, [8, 28, 28]],
    ['hunyuan', 96, [12, 42, 42]],
    ['wan', 128, [44, 42, 42]],
    ['wan', 64, [24, 20, 20]],
    ['wan', 24, [8, 8, 8]],
  ] as const)('axisDimsFor(%s, %i) = %j', (preset, headDim, expected) => {
    expect(axisDimsFor(preset, headDim)).toEqual(expected);
  });

  test('θ defaults to 256 for hunyuan and 10000 for wan or no preset; theta overrides', () => {
    expect(ropeTable({ grid: [1, 1, 1], headDim: 128, preset: 'hunyuan' }).thetas).toEqual([256, 256, 256]);
    expect(ropeTable({ grid: [1, 1, 1], headDim: 128, preset: 'wan' }).thetas).toEqual([10000, 10000, 10000]);
    expect(ropeTable({ grid: [1, 1, 1], headDim: 128 }).axisDims).toEqual([44, 42, 42]);
    expect(ropeTable({ grid: [1, 1, 1], headDim: 128, preset: 'hunyuan', theta: 1000 }).thetas).toEqual([1000, 1000, 1000]);
  });

  test('a 1D RoPE is the special case [D, 0, 0] over a [S, 1, 1] grid', () => {
    const table = ropeTable({ grid: [5, 1, 1], headDim: 8, axisDims: [8, 0, 0] });
    expect(Array.from(table.frequencies)).toEqual([1, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75]);
    expect(table.cos[3 * 8 + 1]).toBe(Math.cos(3 * 10000 ** -0.25));
  });
});

describe('table options', () => {
  const base: RopeTableOptions = { grid: [3, 2, 2], headDim: 24, axisDims: [8, 8, 8], theta: 100 };

  test('the same configuration returns the same cached table', () => {
    expect(ropeTable({ ...base })).toBe(ropeTable({ ...base, layout: 'packed' }));
    expect(ropeTable(base)).not.toBe(ropeTable({ ...base, layout: 'interleaved' }));
  });

  test('offset shifts positions: rows equal the later rows of a larger grid', () => {
    const shifted = ropeTable({ ...base, grid: [2, 2, 2], offset: [1, 0, 0] });
    const larger = ropeTable({ ...base, grid: [3, 2, 2] });
    expect(shifted.cos).toEqual(larger.cos.subarray(4 * 24));
    expect(Array.from(tokenPositions([2, 2, 2], [1, 0, 0]).subarray(0, 3))).toEqual([1, 0, 0]);
  });

  test('interpolationFactor scales positions, per axis when given three values', () => {
    const half = ropeTable({ ...base, interpolationFactor: [0.5, 1, 1], grid: [2, 1, 1] });
    const plain = ropeTable({ ...base, grid: [2, 1, 1] });
    // time pair j at position 1·0.5 has angle 0.5·ω_j
    expect(half.cos[24]).toBeCloseTo(Math.cos(0.5 * plain.frequencies[0]!), 15);
    expect(half.cos[24 + 3]).toBe(Math.cos(0.5 * plain.frequencies[3]!));
  });

  test('thetaRescaleFactor and ntk scale θ per axis by s^(d/(d−2))', () => {
    const table = ropeTable({ ...base, axisDims: [4, 10, 10], thetaRescaleFactor: 2, ntk: [1, 3, 1] });
    expect(table.thetas[0]).toBeCloseTo(100 * 2 ** 2, 10);
    expect(table.thetas[1]).toBeCloseTo(100 * 6 ** 1.25, 10);
    expect(table.thetas[2]).toBeCloseTo(100 * 2 ** 1.25, 10);
    expect(table.frequencies[3]).toBeCloseTo(table.thetas[1] ** (-2 / 10), 15);
  });

  test('RIFLEx replaces exactly time frequency k−1 by 0.9·2π/testFrames', () => {
    const plain = ropeTable({ ...base, grid: [4, 1, 1] });
    const riflex = ropeTable({ ...base, grid: [4, 1, 1], riflex: { k: 3, testFrames: 40 } });
    const expected = Float64Array.from(plain.frequencies);
    expected[2] = (0.9 * 2 * Math.PI) / 40;
    expect(riflex.frequencies).toEqual(expected);
    expect(riflex.cos[3 * 24 + 2]).toBe(Math.cos(3 * expected[2]!));
  });

  test("riflexIntrinsicFrequency finds HunyuanVideo's k = 4 (period 50 latent frames)", () => {
    const { k, periodFrames } = riflexIntrinsicFrequency({ axisDim: 16, theta: 256, repetitionFrames: 48 });
    expect(k).toBe(4);
    expect(periodFrames).toBeCloseTo(16 * Math.PI, 10);
  });

  test('float64 angles stay exact far from the origin (720p-like positions)', () => {
    const table = ropeTable({ grid: [1, 1, 1], headDim: 128, preset: 'hunyuan', offset: [30, 0, 79] });
    const omega = 256 ** (-2 * 1 / 56);
    expect(table.cos[16 / 2 + 28 + 1]).toBe(Math.cos(79 * omega));
  });
});

type Case = [string, () => unknown, RegExp];

describe('bad input names the argument, the value and what is allowed', () => {
  const ok: RopeTableOptions = { grid: [2, 3, 4], headDim: 16, axisDims: [4, 6, 6] };
  test.each<Case>([
    ['odd axis part', () => ropeTable({ ...ok, axisDims: [4, 5, 7] }), /axisDims\[1\] is 5 .*even non-negative integer/],
    ['parts not summing to headDim', () => ropeTable({ ...ok, axisDims: [4, 6, 8] }), /axisDims \[4, 6, 8\] sum to 18; they must sum to headDim 16/],
    ['non-integer grid', () => ropeTable({ ...ok, grid: [2, 2.5, 4] }), /grid\[1\] is 2.5 .*positive integer/],
    ['non-positive grid', () => ropeTable({ ...ok, grid: [0, 3, 4] }), /grid\[0\] is 0 .*positive integer/],
    ['grid of the wrong length', () => ropeTable({ ...ok, grid: [2, 3] as never }), /grid is \[2, 3\]; it must be a \[time, height, width\] array/],
    ['position beyond the table', () => ropeTable({ ...ok, offset: [1020, 0, 0], grid: [8, 3, 4] }), /time positions reach 1027 .*positions 0..1023 \(maxPositions 1024\)/],
    ['position beyond a smaller table', () => ropeTable({ ...ok, maxPositions: 3 }), /width positions reach 3 .*maxPositions 3/],
    ['unknown preset', () => ropeTable({ ...ok, preset: 'flux' as never }), /preset is "flux"; allowed: "hunyuan", "wan"/],
    ['unknown layout', () => ropeTable({ ...ok, layout: 'neox' as never }), /layout is "neox"; allowed: "packed", "interleaved"/],
    ['odd headDim', () => ropeTable({ ...ok, headDim: 15 }), /headDim is 15; it must be an even positive integer/],
    ['non-positive theta', () => ropeTable({ ...ok, theta: 0 }), /theta is 0; it must be a positive finite number/],
    ['NaN rescale', () => ropeTable({ ...ok, thetaRescaleFactor: Number.NaN }), /thetaRescaleFactor is NaN/],
    ['negative offset', () => ropeTable({ ...ok, offset: [-1, 0, 0] }), /offset\[0\] is -1; every offset must be a non-negative integer/],
    ['ntk of zero', () => ropeTable({ ...ok, ntk: [1, 0, 1] }), /ntk\[1\] is 0/],
    ['RIFLEx k beyond the time pairs', () => ropeTable({ ...ok, riflex: { k: 3, testFrames: 10 } }), /riflex.k is 3; it must be an integer in 1..2/],
    ['hunyuan split of a head dim not a multiple of 32', () => axisDimsFor('hunyuan', 48), /headDim is 48; the hunyuan split .* multiple of 32/],
    ['unknown preset in axisDimsFor', () => axisDimsFor('sd3' as never, 64), /preset is "sd3"/],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });

  test.each<Case>([
    ['a token count that does not match the grid', () => applyRope(tf.zeros([1, 25, 2, 16]) as tf.Tensor4D, ropeTable(ok)), /x has 25 tokens .*grid \[2, 3, 4\] has 24 = 2·3·4 tokens/],
    ['a head dim that does not match', () => applyRope(tf.zeros([1, 24, 2, 8]) as tf.Tensor4D, ropeTable(ok)), /x has head dim 8 .*headDim 16/],
    ['rank 3', () => applyRope(tf.zeros([24, 2, 16]) as never, ropeTable(ok)), /rank 3\); expected rank 4/],
    ['int32 input', () => applyRope(tf.zeros([1, 24, 2, 16], 'int32') as tf.Tensor4D, ropeTable(ok)), /dtype int32; expected float32/],
    ['weights that are not whole heads', () => permuteHeadChannels(tf.zeros([4, 20]) as tf.Tensor2D, interleavedToPackedPermutation([4, 6, 6])), /20 output channels .*multiple of the permutation length 16/],
  ])('%s', async (_, call, message) => {
    await useBackend('cpu');
    expect(call).toThrow(message);
  });
});
