import { fc, test as propTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { afterAll, describe, expect, test } from 'vitest';
import { BACKENDS, maxAbsDiff, useBackend } from '../test/test-utils.js';
import { applyRope, clearRopeCache } from './apply.js';
import type { AxisTriple, RopeLayout, RopeTableOptions } from './options.js';
import {
  axisHalfSplitToPackedPermutation,
  interleavedToPackedPermutation,
  packedToInterleavedPermutation,
  permuteHeadChannels,
} from './permutation.js';
import { ropeTable } from './table.js';

afterAll(() => clearRopeCache());

function permuteLast(x: tf.Tensor, permutation: Int32Array): tf.Tensor {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(permutation, 'int32'), x.rank - 1));
}

/** Float64 dot product of two float32 vectors. */
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

const position = fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }));
const vector = fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: 16, maxLength: 16 });

describe('the relative-position law', () => {
  // A table over a 1×1×1 grid with offset p rotates by exactly position p.
  function rotated(values: number[], at: AxisTriple, layout: RopeLayout, preset: 'hunyuan' | 'wan'): Float32Array {
    const table = ropeTable({ grid: [1, 1, 1], headDim: 16, axisDims: preset === 'hunyuan' ? [4, 6, 6] : undefined, preset, offset: at, layout });
    return tf.tidy(() => applyRope(tf.tensor4d(values, [1, 1, 1, 16]), table).dataSync() as Float32Array);
  }

  propTest.prop([vector, vector, position, position, position, fc.constantFrom<RopeLayout>('packed', 'interleaved'), fc.constantFrom('hunyuan' as const, 'wan' as const)], {
    numRuns: 60,
  })('q·k after 3D RoPE depends only on (Δt, Δh, Δw)', async (q, k, a, b, shift, layout, preset) => {
    await useBackend('cpu');
    const moved = (p: AxisTriple) => p.map((value, axis) => value + shift[axis]!) as unknown as AxisTriple;
    const score = dot(rotated(q, a, layout, preset), rotated(k, b, layout, preset));
    const shifted = dot(rotated(q, moved(a), layout, preset), rotated(k, moved(b), layout, preset));
    const scale = Math.hypot(...q) * Math.hypot(...k);
    expect(Math.abs(score - shifted)).toBeLessThanOrEqual(2e-5 * scale + 1e-30);
  });

  test('the score does change with the offset (the law is not vacuous)', async () => {
    await useBackend('cpu');
    const q = Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
    const near = dot(rotated(q, [0, 0, 0], 'packed', 'wan'), rotated(q, [1, 0, 0], 'packed', 'wan'));
    const far = dot(rotated(q, [0, 0, 0], 'packed', 'wan'), rotated(q, [5, 0, 0], 'packed', 'wan'));
    expect(Math.abs(near - far)).toBeGreaterThan(1e-2);
  });
});

/** One configuration of every frequency layout, over `positions` (rows of 3 or 4 axes). */
const LAYOUT_CASES: readonly [string, number, (positions: number[][], layout: RopeLayout) => RopeTableOptions][] = [
  ['per-axis, 3 axes (hunyuan)', 3, (positions, layout) => ({ positions, headDim: 16, axisDims: [4, 6, 6], preset: 'hunyuan', layout })],
  ['per-axis, 1 axis', 1, (positions, layout) => ({ positions, headDim: 16, axisDims: [16], layout })],
  ['per-axis, 2 axes', 2, (positions, layout) => ({ positions, headDim: 16, axisDims: [8, 8], layout })],
  ['per-axis, 4 axes (flux2)', 4, (positions, layout) => ({ positions, headDim: 16, preset: 'flux2', layout })],
  ['M-RoPE sections (qwen2-vl)', 3, (positions, layout) => ({ positions, headDim: 16, preset: 'qwen2-vl', mrope: { section: [2, 3, 3] }, layout })],
  ['M-RoPE interleaved (qwen3-vl)', 3, (positions, layout) => ({ positions, headDim: 16, preset: 'qwen3-vl', mrope: { section: [4, 2, 2], interleaved: true }, layout })],
  ['YaRN (attention temperature folded in)', 3, (positions, layout) => ({ positions, headDim: 16, axisDims: [4, 6, 6], yarn: { factor: [1, 3, 3], originalPositions: 8 }, layout })],
  ['DyPE', 3, (positions, layout) => ({ positions, headDim: 16, axisDims: [4, 6, 6], dype: { time: 0.3, factor: [1, 2, 2], originalPositions: 8 }, layout })],
  ['LTX-Video (a table per head)', 3, (positions, layout) => ({ positions, headDim: 16, preset: 'ltx-video', heads: 2, layout })],
];

const coordinate = fc.double({ min: -40, max: 40, noNaN: true, noDefaultInfinity: true });

describe('the relative-position law for any positions and every frequency layout', () => {
  test.each(LAYOUT_CASES)('%s: q·k per head depends only on the offset of positions (fractional, negative)', async (_, axes, options) => {
    await useBackend('cpu');
    const rows = fc.array(coordinate, { minLength: axes, maxLength: axes });
    await fc.assert(
      fc.asyncProperty(vector, vector, rows, rows, rows, fc.constantFrom<RopeLayout>('packed', 'interleaved'), async (q, k, a, b, shift, layout) => {
        const moved = (p: number[]) => p.map((value, axis) => value + shift[axis]!);
        const table = ropeTable(options([a, b, moved(a), moved(b)], layout));
        const heads = table.heads;
        const rotated = (values: number[]) =>
          tf.tidy(() => {
            const x = tf.tensor4d(Array.from({ length: 4 * heads }, () => values).flat(), [1, 4, heads, 16]);
            return applyRope(x, table).dataSync() as Float32Array;
          });
        const rq = rotated(q);
        const rk = rotated(k);
        const at = (values: Float32Array, token: number, head: number) => values.subarray((token * heads + head) * 16, (token * heads + head + 1) * 16);
        const scale = Math.hypot(...q) * Math.hypot(...k) * 1.5;
        for (let head = 0; head < heads; head++) {
          const score = dot(at(rq, 0, head), at(rk, 1, head));
          const shifted = dot(at(rq, 2, head), at(rk, 3, head));
          expect(Math.abs(score - shifted)).toBeLessThanOrEqual(2e-5 * scale + 1e-30);
        }
      }),
      { numRuns: 15 },
    );
  });

  test('an offset on one axis changes the score (the law is not vacuous there)', async () => {
    await useBackend('cpu');
    const q = Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
    const table = ropeTable({ positions: [[0, 0, 0], [0, -0.5, 0], [0, -5.5, 0]], headDim: 16, axisDims: [4, 6, 6] });
    const out = tf.tidy(() => applyRope(tf.tensor4d([q, q, q].flat(), [1, 3, 1, 16]), table).dataSync());
    expect(Math.abs(dot(out.subarray(0, 16), out.subarray(16, 32)) - dot(out.subarray(0, 16), out.subarray(32, 48)))).toBeGreaterThan(1e-2);
  });
});

describe.each(BACKENDS)('packed equals interleaved through the permutation for every frequency layout, on %s', (backend) => {
  test.each(LAYOUT_CASES)('%s', async (_, axes, options) => {
    await useBackend(backend);
    const positions = Array.from({ length: 5 }, (_, s) => Array.from({ length: axes }, (_, axis) => Math.sin(3 * s + axis) * 20));
    const interleavedTable = ropeTable(options(positions, 'interleaved'));
    const packedTable = ropeTable(options(positions, 'packed'));
    const Q = interleavedToPackedPermutation([16]);
    const heads = interleavedTable.heads === 1 ? 3 : interleavedTable.heads;
    const x = tf.randomNormal([2, 5, heads, 16], 0, 1, 'float32', 21) as tf.Tensor4D;
    const interleaved = applyRope(x, interleavedTable);
    const packed = applyRope(permuteLast(x, Q) as tf.Tensor4D, packedTable);
    const expected = permuteLast(interleaved, Q);
    expect(packed.dataSync()).toEqual(expected.dataSync());
    tf.dispose([x, interleaved, packed, expected]);
  });
});

describe.each(BACKENDS)('applyRope on %s', (backend) => {
  const grid = [3, 4, 5] as const;
  const axisDims = [16, 56, 56] as const;

  test('packed on permuted channels equals interleaved, exactly', async () => {
    await useBackend(backend);
    const Q = interleavedToPackedPermutation(axisDims);
    const x = tf.randomNormal([1, 60, 2, 128], 0, 1, 'float32', 11) as tf.Tensor4D;
    const interleaved = applyRope(x, ropeTable({ grid, headDim: 128, preset: 'hunyuan', layout: 'interleaved' }));
    const packed = applyRope(permuteLast(x, Q) as tf.Tensor4D, ropeTable({ grid, headDim: 128, preset: 'hunyuan', layout: 'packed' }));
    const expected = permuteLast(interleaved, Q);
    expect(packed.dataSync()).toEqual(expected.dataSync());
    tf.dispose([x, interleaved, packed, expected]);
  });

  test('the naive per-axis half-split rotation, permuted, equals packed', async () => {
    await useBackend(backend);
    const P = axisHalfSplitToPackedPermutation(axisDims);
    const table = ropeTable({ grid, headDim: 128, preset: 'hunyuan', layout: 'packed' });
    const x = tf.randomNormal([1, 60, 2, 128], 0, 1, 'float32', 12) as tf.Tensor4D;
    const values = x.dataSync();
    // reference: each axis part rotated on its own with rotate_half, in float64
    const naive = new Float64Array(values.length);
    for (let row = 0; row < 60 * 2; row++) {
      const s = Math.floor(row / 2);
      let start = 0;
      let pair = 0;
      for (const part of axisDims) {
        for (let j = 0; j < part / 2; j++, pair++) {
          const c = table.cos[s * 128 + pair]!;
          const sn = table.sin[s * 128 + pair]!;
          const a = values[row * 128 + start + j]!;
          const b = values[row * 128 + start + part / 2 + j]!;
          naive[row * 128 + start + j] = a * c - b * sn;
          naive[row * 128 + start + part / 2 + j] = b * c + a * sn;
        }
        start += part;
      }
    }
    const packed = applyRope(permuteLast(x, P) as tf.Tensor4D, table);
    const expected = permuteLast(tf.tensor(Float32Array.from(naive), x.shape, 'float32'), P);
    expect(maxAbsDiff(packed.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, packed, expected]);
  });

  test('folding the permutation into q/k projection weights keeps attention scores', async () => {
    await useBackend(backend);
    const heads = 2;
    const headDim = 24;
    const Q = interleavedToPackedPermutation([8, 8, 8]);
    const tokens = [2, 3, 4] as const;
    const x = tf.randomNormal([1, 24, 12], 0, 1, 'float32', 13);
    const wq = tf.randomNormal([12, heads * headDim], 0, 1, 'float32', 14) as tf.Tensor2D;
    const wk = tf.randomNormal([12, heads * headDim], 0, 1, 'float32', 15) as tf.Tensor2D;
    const bq = tf.randomNormal([heads * headDim], 0, 1, 'float32', 16) as tf.Tensor1D;
    const scores = (layout: RopeLayout, wqUsed: tf.Tensor2D, wkUsed: tf.Tensor2D, bqUsed: tf.Tensor1D) =>
      tf.tidy(() => {
        const table = ropeTable({ grid: tokens, headDim, preset: 'wan', layout });
        const project = (w: tf.Tensor2D, b?: tf.Tensor1D) => {
          const y = tf.matMul(tf.reshape(x, [24, 12]), w);
          return tf.reshape(b === undefined ? y : tf.add(y, b), [1, 24, heads, headDim]) as tf.Tensor4D;
        };
        const q = tf.transpose(applyRope(project(wqUsed, bqUsed), table), [0, 2, 1, 3]);
        const k = tf.transpose(applyRope(project(wkUsed), table), [0, 2, 1, 3]);
        return tf.matMul(q, k, false, true);
      });
    const reference = scores('interleaved', wq, wk, bq);
    const folded = scores('packed', permuteHeadChannels(wq, Q), permuteHeadChannels(wk, Q), permuteHeadChannels(bq, Q));
    const scale = Math.max(...Array.from(reference.dataSync(), Math.abs));
    expect(maxAbsDiff(folded.dataSync(), reference.dataSync())).toBeLessThan(1e-5 * scale);
    // and back: packed → interleaved undoes it
    const back = permuteHeadChannels(permuteHeadChannels(wq, Q), packedToInterleavedPermutation([8, 8, 8]));
    expect(back.dataSync()).toEqual(wq.dataSync());
    tf.dispose([x, wq, wk, bq, reference, folded, back]);
  });

  test('gradients flow to x: the rotation is orthogonal, so ∇ ½‖rope(x)‖² = x', async () => {
    await useBackend(backend);
    for (const layout of ['packed', 'interleaved'] as const) {
      const table = ropeTable({ grid, headDim: 128, preset: 'hunyuan', layout });
      const x = tf.randomNormal([2, 60, 2, 128], 0, 1, 'float32', 17) as tf.Tensor4D;
      const grad = tf.grad((input: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(applyRope(input as tf.Tensor4D, table)))))(x);
      expect(maxAbsDiff(grad.dataSync(), x.dataSync())).toBeLessThan(1e-5);
      tf.dispose(grad);
      const before = tf.memory().numTensors;
      tf.dispose(tf.grad((input: tf.Tensor) => tf.sum(applyRope(input as tf.Tensor4D, table)))(x));
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(x);
    }
  });

  test('trailing padding tokens pass through unchanged when allowed', async () => {
    await useBackend(backend);
    const table = ropeTable({ grid, headDim: 128, preset: 'hunyuan' });
    const x = tf.randomNormal([1, 63, 2, 128], 0, 1, 'float32', 18) as tf.Tensor4D;
    const out = applyRope(x, table, { allowPadding: true }).dataSync();
    const values = x.dataSync();
    const rotated = applyRope(tf.tensor4d(values.subarray(0, 60 * 256), [1, 60, 2, 128]), table).dataSync();
    expect(out.subarray(0, 60 * 256)).toEqual(rotated);
    expect(out.subarray(60 * 256)).toEqual(values.subarray(60 * 256));
    expect(() => applyRope(x, table)).toThrow(/63 tokens/);
    tf.dispose(x);
  });
});

describe('the float32 table cache', () => {
  test('uploads once per backend, survives a first use inside tf.tidy, does not leak', async () => {
    await useBackend('cpu');
    clearRopeCache();
    const empty = tf.memory().numTensors;
    const table = ropeTable({ grid: [2, 3, 4], headDim: 24, preset: 'wan' });
    const x = tf.randomNormal([1, 24, 2, 24], 0, 1, 'float32', 19) as tf.Tensor4D;
    const first = tf.tidy(() => applyRope(x, table)); // the upload happens inside someone's tidy
    const afterFirst = tf.memory().numTensors;
    const second = applyRope(x, table);
    expect(tf.memory().numTensors).toBe(afterFirst + 1);
    expect(second.dataSync()).toEqual(first.dataSync());
    tf.dispose(second);
    tf.dispose(applyRope(x, table));
    expect(tf.memory().numTensors).toBe(afterFirst);
    clearRopeCache();
    tf.dispose([x, first]);
    expect(tf.memory().numTensors).toBe(empty);
  });

  test('switching backends gives each its own upload, and the results agree', async () => {
    const table = ropeTable({ grid: [2, 3, 4], headDim: 24, preset: 'wan' });
    const values = Float32Array.from({ length: 24 * 2 * 24 }, (_, i) => Math.sin(i));
    const run = async (backend: (typeof BACKENDS)[number]) => {
      await useBackend(backend);
      return tf.tidy(() => applyRope(tf.tensor4d(values, [1, 24, 2, 24]), table).dataSync());
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    const cpuAgain = await run('cpu');
    // both run the fused kernel, rounding as the composed ops do: the same numbers exactly
    expect(maxAbsDiff(wasm, cpu)).toBe(0);
    expect(cpuAgain).toEqual(cpu);
  });

  test('the fused kernel on wasm matches cpu exactly, forward and gradient, both layouts', async () => {
    for (const layout of ['packed', 'interleaved'] as const) {
      const table = ropeTable({ grid: [3, 4, 5], headDim: 128, preset: 'hunyuan', layout });
      const values = Float32Array.from({ length: 2 * 60 * 3 * 128 }, (_, i) => Math.sin(0.37 * i) * (1 + (i % 7)));
      const weights = Float32Array.from(values, (_, i) => Math.cos(0.11 * i));
      const run = async (backend: (typeof BACKENDS)[number]) => {
        await useBackend(backend);
        return tf.tidy(() => {
          const x = tf.tensor4d(values, [2, 60, 3, 128]);
          const w = tf.tensor4d(weights, [2, 60, 3, 128]);
          const loss = (input: tf.Tensor) => tf.sum(tf.mul(applyRope(input as tf.Tensor4D, table), w));
          return [applyRope(x, table).dataSync(), tf.grad(loss)(x).dataSync()];
        });
      };
      const [cpuOut, cpuGrad] = await run('cpu');
      const [wasmOut, wasmGrad] = await run('wasm');
      expect(maxAbsDiff(wasmOut!, cpuOut!)).toBe(0);
      expect(maxAbsDiff(wasmGrad!, cpuGrad!)).toBe(0);
    }
  });

  test('a table held across clearRopeCache is uploaded again on its next use', async () => {
    await useBackend('cpu');
    const table = ropeTable({ grid: [2, 3, 4], headDim: 24, preset: 'wan' });
    const x = tf.randomNormal([1, 24, 2, 24], 0, 1, 'float32', 20) as tf.Tensor4D;
    const before = applyRope(x, table);
    clearRopeCache();
    const after = applyRope(x, table);
    expect(after.dataSync()).toEqual(before.dataSync());
    tf.dispose([x, before, after]);
  });
});

describe('bad input names the argument, the value and what is allowed', () => {
  const table = () => ropeTable({ grid: [2, 3, 4], headDim: 16, axisDims: [4, 6, 6] });
  test.each<[string, () => unknown, RegExp]>([
    ['a token count that does not match the grid', () => applyRope(tf.zeros([1, 25, 2, 16]) as tf.Tensor4D, table()), /x has 25 tokens .*grid \[2, 3, 4\] has 24 = 2·3·4 tokens/],
    ['a head dim that does not match', () => applyRope(tf.zeros([1, 24, 2, 8]) as tf.Tensor4D, table()), /x has head dim 8 .*headDim 16/],
    ['rank 3', () => applyRope(tf.zeros([24, 2, 16]) as never, table()), /rank 3\); expected rank 4/],
    ['int32 input', () => applyRope(tf.zeros([1, 24, 2, 16], 'int32') as tf.Tensor4D, table()), /dtype int32; expected float32/],
  ])('%s', async (_, call, message) => {
    await useBackend('cpu');
    expect(call).toThrow(message);
  });
});
