import { afterAll, describe, expect, test } from 'vitest';
import { clearRopeCache } from './apply.js';
import type { RopeTableOptions } from './options.js';
import { riflexIntrinsicFrequency, ropeTable, tokenPositions } from './table.js';

afterAll(() => clearRopeCache());

describe('one axis', () => {
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
    expect(table.frequencies[3]).toBeCloseTo(table.thetas[1]! ** (-2 / 10), 15);
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

describe('the cache key holds every option', () => {
  test('each new option gives its own table; the same options give the same one', () => {
    const variants: RopeTableOptions[] = [
      { headDim: 24, axisDims: [8, 8, 8], grid: [2, 2, 2] },
      { headDim: 24, axisDims: [8, 8, 8], positions: [[0, 0, 0], [0, 0, 1]] },
      { headDim: 24, axisDims: [8, 8, 8], positions: [[0, 0, 0], [0, 0, 1.5]] },
      { headDim: 24, axisDims: [8, 8, 8], segments: [{ grid: [2, 2, 2] }, { positions: [[-1, 0, 0]] }] },
      { headDim: 24, axisDims: [8, 8, 8], segments: [{ positions: [[-1, 0, 0]] }, { grid: [2, 2, 2] }] },
      { headDim: 24, axisDims: [8, 8, 4, 4], grid: [2, 2, 2, 1] },
      { headDim: 24, axisDims: [24], grid: [8] },
      { headDim: 24, mrope: { section: [4, 4, 4] }, grid: [2, 2, 2] },
      { headDim: 24, mrope: { section: [4, 4, 4], interleaved: true }, grid: [2, 2, 2] },
      { headDim: 24, axisDims: [8, 8, 8], grid: [2, 2, 2], yarn: { factor: 2, originalPositions: 4 } },
      { headDim: 24, axisDims: [8, 8, 8], grid: [2, 2, 2], yarn: { factor: 2, originalPositions: 4, attentionFactor: 1 } },
      { headDim: 24, axisDims: [8, 8, 8], grid: [2, 2, 2], dype: { time: 0.2, factor: 2, originalPositions: 4 } },
      { headDim: 24, axisDims: [8, 8, 8], grid: [2, 2, 2], dype: { time: 0.3, factor: 2, originalPositions: 4 } },
      { headDim: 24, axisDims: [8, 8, 8], grid: [2, 2, 2], dype: { time: 0.3, factor: 2, originalPositions: 4, method: 'ntk' } },
      { headDim: 24, preset: 'ltx-video', heads: 2, grid: [2, 2, 2] },
      { headDim: 24, preset: 'ltx-video', heads: 3, grid: [2, 2, 2] },
    ];
    const tables = variants.map((options) => ropeTable(options));
    expect(new Set(tables.map((table) => table.key)).size).toBe(variants.length);
    variants.forEach((options, i) => {
      expect(ropeTable(JSON.parse(JSON.stringify(options)))).toBe(tables[i]);
    });
  });
});
