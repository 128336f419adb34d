import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { useBackend } from '../test/test-utils.js';
import { applyRope, clearRopeCache } from './apply.js';
import type { RopeTableOptions } from './options.js';
import { ropeTable, tokenPositions } from './table.js';

afterAll(() => clearRopeCache());

const base = { headDim: 24, axisDims: [8, 8, 8], theta: 100 } as const;

/** Row `s` of a table's cos or sin, as a plain array. */
function row(values: Float64Array, s: number, width: number): number[] {
  return Array.from(values.subarray(s * width, (s + 1) * width));
}

describe('positions per token', () => {
  test.each(['packed', 'interleaved'] as const)('the positions of a grid give the grid table bit for bit (%s)', (layout) => {
    const grid = [3, 2, 4] as const;
    const fromGrid = ropeTable({ ...base, grid, offset: [2, 0, 1], layout });
    const fromPositions = ropeTable({ ...base, positions: tokenPositions(grid, [2, 0, 1]), layout });
    expect(fromPositions).not.toBe(fromGrid);
    expect(fromPositions.cos).toEqual(fromGrid.cos);
    expect(fromPositions.sin).toEqual(fromGrid.sin);
    expect(fromPositions.grid).toBeNull();
    expect(fromGrid.grid).toEqual([3, 2, 4]);
  });

  test('fractional, negative and unordered positions rotate pair j of axis a by p_a·θ^(−2j/d_a)', () => {
    const positions = [
      [0.5, -3, 2.25],
      [-1, 7.5, -0.125],
      [0.5, -3, 2.25],
    ];
    const table = ropeTable({ ...base, positions, layout: 'packed' });
    expect(table.tokens).toBe(3);
    positions.forEach((position, s) => {
      for (let pair = 0; pair < 12; pair++) {
        const axis = Math.floor(pair / 4);
        const angle = position[axis]! * 100 ** ((-2 * (pair % 4)) / 8);
        expect(table.cos[s * 24 + pair]).toBe(Math.cos(angle));
        expect(table.cos[s * 24 + pair + 12]).toBe(Math.cos(angle));
        expect(table.sin[s * 24 + pair]).toBe(Math.sin(angle));
      }
    });
    // the same position gives the same row, wherever it is in the sequence
    expect(row(table.cos, 2, 24)).toEqual(row(table.cos, 0, 24));
  });

  test('nested rows, a flat array and a Float64Array are the same positions (and the same cached table)', () => {
    const nested = ropeTable({ ...base, positions: [[1, 2, 3], [-4, 0.5, 6]] });
    expect(ropeTable({ ...base, positions: [1, 2, 3, -4, 0.5, 6] })).toBe(nested);
    expect(ropeTable({ ...base, positions: Float64Array.of(1, 2, 3, -4, 0.5, 6) })).toBe(nested);
    expect(ropeTable({ ...base, positions: [[1, 2, 3], [-4, 0.5, 7]] })).not.toBe(nested);
  });

  test('interpolationFactor scales given positions as it scales grid positions', () => {
    const scaled = ropeTable({ ...base, positions: [[3, 1, 1]], interpolationFactor: [0.5, 1, 2] });
    const direct = ropeTable({ ...base, positions: [[1.5, 1, 2]] });
    expect(scaled.cos).toEqual(direct.cos);
  });
});

describe('segments', () => {
  test('a concatenated sequence is its parts one after another, and its token count is their sum', () => {
    const video = { grid: [2, 3, 4] } as const;
    const reference = { positions: tokenPositions([1, 3, 4]).map((value, i) => (i % 3 === 0 ? -1 : value)) };
    const joined = ropeTable({ ...base, segments: [video, reference] });
    const first = ropeTable({ ...base, ...video });
    const second = ropeTable({ ...base, ...reference });
    expect(joined.tokens).toBe(24 + 12);
    expect(joined.cos.subarray(0, 24 * 24)).toEqual(first.cos);
    expect(joined.cos.subarray(24 * 24)).toEqual(second.cos);
    expect(joined.sin.subarray(24 * 24)).toEqual(second.sin);
    expect(joined.segments).toEqual([
      { tokens: 24, grid: [2, 3, 4] },
      { tokens: 12, grid: null },
    ]);
    expect(joined.grid).toBeNull();
  });

  test('a frame placed at t = −1 before the video (HunyuanCustom-style) rotates as position −1', () => {
    const table = ropeTable({ ...base, segments: [{ positions: tokenPositions([1, 1, 2], [-1, 0, 0]) }, { grid: [2, 1, 2] }] });
    expect(table.cos[0]).toBe(Math.cos(-1));
    expect(table.cos[2 * 24]).toBe(Math.cos(0));
    expect(table.cos[4 * 24]).toBe(Math.cos(1));
  });

  test('applyRope checks the token count against the segments and names their sum', async () => {
    await useBackend('cpu');
    const table = ropeTable({ ...base, segments: [{ grid: [2, 3, 4] }, { grid: [1, 2, 2], offset: [5, 0, 0] }, { positions: [[0, 0, 0]] }] });
    const x = tf.zeros([1, 30, 2, 24]) as tf.Tensor4D;
    expect(() => applyRope(x, table)).toThrow(
      /x has 30 tokens \(shape \[1, 30, 2, 24\]\); the segments have 29 = 24 \+ 4 \+ 1 tokens \(grid \[2, 3, 4\] \(2·3·4\), grid \[1, 2, 2\] \(1·2·2\), positions of 1 token\)/,
    );
    const positionsOnly = ropeTable({ ...base, positions: [[0, 0, 0]] });
    expect(() => applyRope(x, positionsOnly)).toThrow(/the table has positions of 1 token$/);
    x.dispose();
  });
});

describe('any number of axes', () => {
  test('one axis: grid [S] with axisDims [D] is the 1D RoPE, the same numbers as [D, 0, 0] over [S, 1, 1]', () => {
    const oneAxis = ropeTable({ grid: [5], headDim: 8, axisDims: [8] });
    const padded = ropeTable({ grid: [5, 1, 1], headDim: 8, axisDims: [8, 0, 0] });
    expect(oneAxis.cos).toEqual(padded.cos);
    expect(oneAxis.sin).toEqual(padded.sin);
    expect(Array.from(oneAxis.frequencies)).toEqual([1, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75]);
  });

  test('two axes: an image grid [H, W], token s = h·W + w', () => {
    const table = ropeTable({ grid: [3, 4], headDim: 16, axisDims: [8, 8], layout: 'interleaved' });
    const s = 2 * 4 + 3;
    expect(table.cos[s * 16 + 2 * 1]).toBe(Math.cos(2 * 10000 ** (-2 / 8)));
    expect(table.cos[s * 16 + 2 * (4 + 1)]).toBe(Math.cos(3 * 10000 ** (-2 / 8)));
  });

  test('four axes: FLUX.2 splits head dim 128 into four axes of 32 channels with θ 2000, ids (t, h, w, l)', () => {
    const options: RopeTableOptions = { preset: 'flux2', headDim: 128, positions: [[10, 3, 5, 0], [0, 0, 0, 7]], layout: 'interleaved' };
    const table = ropeTable(options);
    expect(table.axisDims).toEqual([32, 32, 32, 32]);
    expect(table.thetas).toEqual([2000, 2000, 2000, 2000]);
    for (let axis = 0; axis < 4; axis++) {
      for (let j = 0; j < 16; j++) {
        const pair = 16 * axis + j;
        const angle = [10, 3, 5, 0][axis]! * 2000 ** ((-2 * j) / 32);
        expect(table.cos[2 * pair]).toBe(Math.cos(angle));
        expect(table.sin[2 * pair + 1]).toBe(Math.sin(angle));
      }
    }
    expect(table.sin[128 + 2 * 48]).toBe(Math.sin(7));
    expect(ropeTable({ ...options, positions: undefined, grid: [1, 2, 2, 1] }).tokens).toBe(4);
  });

  test('tokenPositions works for any number of axes and negative offsets', () => {
    expect(Array.from(tokenPositions([2, 2], [-1, 3]))).toEqual([-1, 3, -1, 4, 0, 3, 0, 4]);
    expect(Array.from(tokenPositions([3]))).toEqual([0, 1, 2]);
    expect(Array.from(tokenPositions([1, 1, 2, 1]))).toEqual([0, 0, 0, 0, 0, 0, 1, 0]);
  });
});
