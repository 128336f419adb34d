import { describe, expect, test } from 'vitest';
import { axisDimsFor, type RopeTableOptions, resolveTableOptions } from './options.js';

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
    expect(resolveTableOptions({ grid: [1, 1, 1], headDim: 128, preset: 'hunyuan' }).thetas).toEqual([256, 256, 256]);
    expect(resolveTableOptions({ grid: [1, 1, 1], headDim: 128, preset: 'wan' }).thetas).toEqual([10000, 10000, 10000]);
    expect(resolveTableOptions({ grid: [1, 1, 1], headDim: 128 }).axisDims).toEqual([44, 42, 42]);
    expect(resolveTableOptions({ grid: [1, 1, 1], headDim: 128, preset: 'hunyuan', theta: 1000 }).thetas).toEqual([1000, 1000, 1000]);
  });
});

type Case = [string, () => unknown, RegExp];

describe('bad input names the argument, the value and what is allowed', () => {
  const ok: RopeTableOptions = { grid: [2, 3, 4], headDim: 16, axisDims: [4, 6, 6] };
  test.each<Case>([
    ['odd axis part', () => resolveTableOptions({ ...ok, axisDims: [4, 5, 7] }), /axisDims\[1\] is 5 .*even non-negative integer/],
    ['parts not summing to headDim', () => resolveTableOptions({ ...ok, axisDims: [4, 6, 8] }), /axisDims \[4, 6, 8\] sum to 18; they must sum to headDim 16/],
    ['non-integer grid', () => resolveTableOptions({ ...ok, grid: [2, 2.5, 4] }), /grid\[1\] is 2.5 .*positive integer/],
    ['non-positive grid', () => resolveTableOptions({ ...ok, grid: [0, 3, 4] }), /grid\[0\] is 0 .*positive integer/],
    ['grid of the wrong length', () => resolveTableOptions({ ...ok, grid: [2, 3] as never }), /grid is \[2, 3\]; it must be a \[time, height, width\] array/],
    ['position beyond the table', () => resolveTableOptions({ ...ok, offset: [1020, 0, 0], grid: [8, 3, 4] }), /time positions reach 1027 .*positions 0..1023 \(maxPositions 1024\)/],
    ['position beyond a smaller table', () => resolveTableOptions({ ...ok, maxPositions: 3 }), /width positions reach 3 .*maxPositions 3/],
    ['unknown preset', () => resolveTableOptions({ ...ok, preset: 'sd3' as never }), /preset is "sd3"; allowed: "hunyuan", "wan"/],
    ['unknown layout', () => resolveTableOptions({ ...ok, layout: 'neox' as never }), /layout is "neox"; allowed: "packed", "interleaved"/],
    ['odd headDim', () => resolveTableOptions({ ...ok, headDim: 15 }), /headDim is 15; it must be an even positive integer/],
    ['non-positive theta', () => resolveTableOptions({ ...ok, theta: 0 }), /theta is 0; it must be a positive finite number/],
    ['NaN rescale', () => resolveTableOptions({ ...ok, thetaRescaleFactor: Number.NaN }), /thetaRescaleFactor is NaN/],
    ['negative offset', () => resolveTableOptions({ ...ok, offset: [-1, 0, 0] }), /offset\[0\] is -1; every offset must be a non-negative integer/],
    ['ntk of zero', () => resolveTableOptions({ ...ok, ntk: [1, 0, 1] }), /ntk\[1\] is 0/],
    ['RIFLEx k beyond the time pairs', () => resolveTableOptions({ ...ok, riflex: { k: 3, testFrames: 10 } }), /riflex.k is 3; it must be an integer in 1..2/],
    ['hunyuan split of a head dim not a multiple of 32', () => axisDimsFor('hunyuan', 48), /headDim is 48; the hunyuan split .* multiple of 32/],
    ['unknown preset in axisDimsFor', () => axisDimsFor('sd3' as never, 64), /preset is "sd3"/],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});
