import { describe, expect, test } from 'vitest';
import { axisDimsFor, mropeSectionFor, ROPE_PRESETS, type RopeTableOptions, resolveTableOptions } from './options.js';

describe('presets', () => {
  test.each([
    ['hunyuan', 128, [16, 56, 56]],
    ['hunyuan', 64, [8, 28, 28]],
    ['hunyuan', 96, [12, 42, 42]],
    ['wan', 128, [44, 42, 42]],
    ['wan', 64, [24, 20, 20]],
    ['wan', 24, [8, 8, 8]],
    ['cosmos-predict2', 128, [44, 42, 42]],
    ['flux', 128, [16, 56, 56]],
    ['cogvideox', 64, [16, 24, 24]],
    ['cogvideox', 128, [32, 48, 48]],
    ['flux2', 128, [32, 32, 32, 32]],
    ['qwen2-vl', 128, [32, 48, 48]],
    ['qwen3-vl', 128, [48, 40, 40]],
  ] as const)('axisDimsFor(%s, %i) = %j', (preset, headDim, expected) => {
    expect(axisDimsFor(preset, headDim)).toEqual(expected);
  });

  test('M-RoPE sections: Qwen2-VL [16, 24, 24] and Qwen3-VL [24, 20, 20] at 128, in proportion elsewhere', () => {
    expect(mropeSectionFor('qwen2-vl', 128)).toEqual([16, 24, 24]);
    expect(mropeSectionFor('qwen2-vl', 64)).toEqual([8, 12, 12]);
    expect(mropeSectionFor('qwen3-vl', 128)).toEqual([24, 20, 20]);
  });

  test('every preset has its θ, axes, layouts and a source', () => {
    for (const info of Object.values(ROPE_PRESETS)) {
      expect(info.theta).toBeGreaterThan(0);
      expect([3, 4]).toContain(info.axes);
      expect(info.source.length).toBeGreaterThan(20);
    }
    expect(resolveTableOptions({ grid: [1, 1, 1, 1], headDim: 128, preset: 'flux2' }).thetas).toEqual([2000, 2000, 2000, 2000]);
    expect(resolveTableOptions({ grid: [1, 1, 1], headDim: 64, preset: 'cogvideox' }).thetas).toEqual([10000, 10000, 10000]);
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
    ['positions rows of the wrong length', () => resolveTableOptions({ headDim: 16, axisDims: [4, 6, 6], positions: [[0, 1, 2], [0, 1]] }), /positions\[1\] is \[0, 1\]; every row must hold 3 positions, one per axis \(axisDims \[4, 6, 6\] has 3\)/],
    ['a flat positions length not a multiple of the axes', () => resolveTableOptions({ headDim: 16, axisDims: [4, 6, 6], positions: [0, 1, 2, 3] }), /positions has 4 numbers; a flat \[tokens, 3\] array needs a multiple of 3/],
    ['NaN positions', () => resolveTableOptions({ headDim: 16, axisDims: [4, 6, 6], positions: [[0, Number.NaN, 2]] }), /positions\[0\]\[1\] is NaN; every position must be a finite number/],
    ['NaN in flat positions', () => resolveTableOptions({ headDim: 16, axisDims: [8, 8], positions: Float64Array.of(1, 2, Number.POSITIVE_INFINITY, 0) }), /positions\[2\] \(token 1, axis 0\) is Infinity/],
    ['empty positions', () => resolveTableOptions({ headDim: 16, positions: [] }), /positions is empty/],
    ['positions that are not an array', () => resolveTableOptions({ headDim: 16, positions: 3 as never }), /positions is 3; it must be a \[tokens, 3\] array/],
    ['an axis count that does not match the positions', () => resolveTableOptions({ headDim: 128, preset: 'flux2', positions: [[0, 1, 2]] }), /positions\[0\] is \[0, 1, 2\]; every row must hold 4 positions.*flux2 split has 4/],
    ['a grid with another axis count than axisDims', () => resolveTableOptions({ headDim: 16, axisDims: [8, 8], grid: [2, 3, 4] }), /grid is \[2, 3, 4\]; it must be a \[height, width\] array of 2 numbers \(axisDims \[8, 8\] has 2\)/],
    ['both grid and positions', () => resolveTableOptions({ ...ok, positions: [[0, 0, 0]] }), /grid and positions of grid, positions and segments given; pass exactly one/],
    ['none of grid, positions and segments', () => resolveTableOptions({ headDim: 16 }), /none of grid, positions and segments given/],
    ['an offset without a grid', () => resolveTableOptions({ headDim: 16, positions: [[0, 0, 0]], offset: [1, 0, 0] }), /offset is \[1, 0, 0\] without a grid/],
    ['an empty segment list', () => resolveTableOptions({ headDim: 16, segments: [] }), /segments is \[\]; it must be a non-empty array/],
    ['a segment with a bad grid', () => resolveTableOptions({ headDim: 16, segments: [{ grid: [1, 1, 1] }, { grid: [1, 0, 1] }] }), /grid\[1\] is 0/],
    ['a segment with positions and a grid', () => resolveTableOptions({ headDim: 16, segments: [{ grid: [1, 1, 1], positions: [[0, 0, 0]] }] }), /segments\[0\] has both positions and a grid/],
    ['NaN in a segment', () => resolveTableOptions({ headDim: 16, segments: [{ positions: [[0, 0, Number.NaN]] }] }), /segments\[0\].positions\[0\]\[2\] is NaN/],
    ['sections not summing to half the head dim', () => resolveTableOptions({ headDim: 128, mrope: { section: [16, 24, 20] }, grid: [1, 1, 1] }), /mrope.section \[16, 24, 20\] sums to 60 pairs; it must sum to half the head dim, headDim \/ 2 = 64/],
    ['a negative section', () => resolveTableOptions({ headDim: 8, mrope: { section: [5, -1] }, grid: [1, 1] }), /mrope.section\[1\] is -1/],
    ['axisDims and mrope together', () => resolveTableOptions({ ...ok, mrope: { section: [2, 3, 3] } }), /both axisDims and mrope given/],
    ['ntk on a global ladder', () => resolveTableOptions({ headDim: 128, preset: 'qwen2-vl', grid: [1, 1, 1], ntk: [1, 2, 2] }), /ntk is \[1, 2, 2\]; it scales per-axis ladders, and the mrope layout/],
    ['axisDims of five axes', () => resolveTableOptions({ headDim: 10, axisDims: [2, 2, 2, 2, 2], grid: [1, 1, 1, 1, 1] }), /axisDims is \[2, 2, 2, 2, 2\]; it must be an array of 1 to 4 channel counts/],
    ['ltx-video without heads', () => resolveTableOptions({ headDim: 64, preset: 'ltx-video', grid: [1, 1, 1] }), /heads is undefined; the ltx-video ladder runs over heads · headDim channels/],
    ['thetaRescaleFactor on the ltx-video ladder', () => resolveTableOptions({ headDim: 64, preset: 'ltx-video', heads: 2, grid: [1, 1, 1], thetaRescaleFactor: 2 }), /thetaRescaleFactor is 2; the ltx-video ladder runs from 1 to θ/],
    ['an unknown DyPE method', () => resolveTableOptions({ ...ok, dype: { time: 0, factor: 2, originalPositions: 64, method: 'linear' as never } }), /dype.method is "linear"; allowed: "yarn", "ntk"/],
    ['heads on a shared table', () => resolveTableOptions({ ...ok, heads: 2 }), /heads is 2; only the ltx-video ladder spans heads/],
    ['a YaRN factor of zero', () => resolveTableOptions({ ...ok, yarn: { factor: [1, 0, 2], originalPositions: 64 } }), /yarn.factor is \[1, 0, 2\]; it must be a positive finite number or one per axis/],
    ['YaRN factors of the wrong count', () => resolveTableOptions({ ...ok, yarn: { factor: [1, 2], originalPositions: 64 } }), /yarn.factor is \[1, 2\]; it must be a \[time, height, width\] array of 3 numbers or one number/],
    ['YaRN betas in the wrong order', () => resolveTableOptions({ ...ok, yarn: { factor: 2, originalPositions: 64, betaFast: 1, betaSlow: 32 } }), /yarn.betaFast is 1 and yarn.betaSlow 32/],
    ['YaRN on a global ladder', () => resolveTableOptions({ headDim: 128, preset: 'qwen3-vl', grid: [1, 1, 1], yarn: { factor: 2, originalPositions: 64 } }), /yarn scales per-axis ladders; the mrope-interleaved layout/],
    ['a DyPE time outside [0, 1]', () => resolveTableOptions({ ...ok, dype: { time: 1.5, factor: 2, originalPositions: 64 } }), /dype.time is 1.5; it must be a diffusion time in \[0, 1\] \(t = 0 noise, t = 1 data\)/],
    ['yarn and dype together', () => resolveTableOptions({ ...ok, yarn: { factor: 2, originalPositions: 64 }, dype: { time: 0, factor: 2, originalPositions: 64 } }), /both yarn and dype given/],
    ['ltx-video in axisDimsFor', () => axisDimsFor('ltx-video', 64), /its frequencies run over all heads/],
    ['a flux2 head dim not a multiple of 8', () => axisDimsFor('flux2', 20), /headDim is 20; the flux2 split .* multiple of 8/],
    ['sections of another preset', () => mropeSectionFor('wan', 128), /preset is "wan"; allowed: "qwen2-vl", "qwen3-vl"/],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});
