import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { BACKENDS, maxAbsDiff, useBackend } from '../test/test-utils.js';
import { applyRope, clearRopeCache } from './apply.js';
import { ROPE_PRESETS } from './options.js';
import { ropeTable } from './table.js';

afterAll(() => clearRopeCache());

/** How many times pair frequency ω turns over `positions`. */
const rotations = (omega: number, positions: number) => (omega * positions) / (2 * Math.PI);

describe('M-RoPE: one global ladder assigned to axes', () => {
  test('Qwen2-VL: contiguous sections [16, 24, 24] of the ladder θ^(−2j/128), θ = 10⁶', () => {
    const table = ropeTable({ preset: 'qwen2-vl', headDim: 128, positions: [[3, 5, 7]] });
    expect(Array.from(table.pairAxes)).toEqual([...Array(16).fill(0), ...Array(24).fill(1), ...Array(24).fill(2)]);
    expect(table.axisDims).toEqual([32, 48, 48]);
    for (let j = 0; j < 64; j++) {
      const omega = 1e6 ** ((-2 * j) / 128);
      expect(table.frequencies[j]).toBe(omega);
      expect(table.cos[j]).toBe(Math.cos([3, 5, 7][table.pairAxes[j]!]! * omega));
      expect(table.cos[j + 64]).toBe(table.cos[j]);
    }
  });

  test('Qwen3-VL: interleaved T H W T H W … while an axis has pairs left, then T ([24, 20, 20])', () => {
    const table = ropeTable({ preset: 'qwen3-vl', headDim: 128, positions: [[1, 2, 3]] });
    const axes = Array.from(table.pairAxes);
    expect(axes.slice(0, 7)).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(axes.slice(57)).toEqual([0, 1, 2, 0, 0, 0, 0]);
    expect([0, 1, 2].map((axis) => axes.filter((a) => a === axis).length)).toEqual([24, 20, 20]);
    expect(table.thetas).toEqual([5e6, 5e6, 5e6]);
  });

  test.each([false, true])('a text token (equal positions on every axis) gets the plain 1D RoPE (interleaved %s)', (interleaved) => {
    const mrope = ropeTable({ headDim: 16, theta: 1e6, mrope: { section: [2, 3, 3], interleaved }, positions: [[4, 4, 4], [-2.5, -2.5, -2.5]] });
    const plain = ropeTable({ headDim: 16, theta: 1e6, axisDims: [16], positions: [[4], [-2.5]] });
    expect(mrope.cos).toEqual(plain.cos);
    expect(mrope.sin).toEqual(plain.sin);
  });
});

describe('YaRN per axis (NTK-by-parts)', () => {
  const options = { headDim: 32, axisDims: [32], theta: 10000, positions: [[0], [37]] } as const;
  const yarn = { factor: 4, originalPositions: 4096 };

  test('keeps pairs that turn more than betaFast = 32 times over the trained length, divides those under betaSlow = 1 by the factor', () => {
    const plain = ropeTable(options);
    const scaled = ropeTable({ ...options, yarn });
    let kept = 0;
    let interpolated = 0;
    plain.frequencies.forEach((omega, j) => {
      const turns = rotations(omega, 4096);
      const value = scaled.frequencies[j]!;
      // the ramp's ends are whole pairs (floor and ceil): a margin of one pair, a factor 10000^(1/16) < 2 in turns
      if (turns > 32 * 2) {
        expect(value).toBeCloseTo(omega, 14);
        kept++;
      } else if (turns < 1 / 2) {
        expect(value).toBeCloseTo(omega / 4, 14);
        interpolated++;
      } else {
        expect(value).toBeGreaterThanOrEqual(omega / 4 - 1e-15);
        expect(value).toBeLessThanOrEqual(omega + 1e-15);
      }
    });
    expect(kept).toBeGreaterThan(0);
    expect(interpolated).toBeGreaterThan(0);
  });

  test('folds the attention temperature 0.1·ln(factor) + 1 into cos and sin (or the one given)', () => {
    const scaled = ropeTable({ ...options, yarn });
    const temperature = 0.1 * Math.log(4) + 1;
    expect(scaled.cos[0]).toBeCloseTo(temperature, 15);
    expect(Math.hypot(scaled.cos[32 + 5]!, scaled.sin[32 + 5]!)).toBeCloseTo(temperature, 14);
    const given = ropeTable({ ...options, yarn: { ...yarn, attentionFactor: 1 } });
    expect(given.cos[0]).toBe(1);
    expect(ropeTable({ ...options, yarn: { factor: 1, originalPositions: 4096 } }).cos).toEqual(ropeTable(options).cos);
  });

  test('scales only the axes whose factor is above 1', () => {
    const three = { headDim: 24, axisDims: [8, 8, 8], grid: [2, 3, 3] } as const;
    const plain = ropeTable(three);
    const scaled = ropeTable({ ...three, yarn: { factor: [1, 3, 3], originalPositions: 2 } });
    expect(Array.from(scaled.frequencies.subarray(0, 4))).toEqual(Array.from(plain.frequencies.subarray(0, 4)));
    expect(scaled.frequencies[7]).toBeLessThan(plain.frequencies[7]!);
  });
});

describe('DyPE: YaRN that follows the diffusion time', () => {
  const options = { headDim: 24, axisDims: [8, 8, 8], positions: [[0, 100, 100]] } as const;
  const dype = (time: number) => ({ time, factor: [1, 4, 4], originalPositions: 64 });

  test('at t = 0 (pure noise, κ = 1) the highest pairs keep ω and the lowest take ω/s; axes with s ≤ 1 keep their ladder', () => {
    const plain = ropeTable(options);
    const noisy = ropeTable({ ...options, dype: dype(0) });
    expect(Array.from(noisy.frequencies.subarray(0, 4))).toEqual(Array.from(plain.frequencies.subarray(0, 4)));
    for (const start of [4, 8]) {
      expect(noisy.frequencies[start]).toBe(1 / 10000 ** 0);
      expect(noisy.frequencies[start + 3]).toBeCloseTo(plain.frequencies[start + 3]! / 4, 15);
    }
    expect(Math.hypot(noisy.cos[4]!, noisy.sin[4]!)).toBeCloseTo(0.1 * Math.log(4) + 1, 14);
    expect(Math.hypot(noisy.cos[0]!, noisy.sin[0]!)).toBeCloseTo(1, 15);
  });

  test('tables are cached per time bucket (1/1000 by default) and change with the time', () => {
    const at = (time: number, buckets?: number) => ropeTable({ ...options, dype: { ...dype(time), buckets } });
    expect(at(0.5001)).toBe(at(0.4996));
    expect(at(0.5)).not.toBe(at(0.51));
    expect(at(0.5, 10)).toBe(at(0.52, 10));
    const frequencies = [0, 0.5, 0.9].map((time) => Array.from(at(time).frequencies.subarray(4, 8)));
    expect(frequencies[0]).not.toEqual(frequencies[2]);
  });

  test('at t = 1 (κ = 0, where the reference code divides by zero) the table is the limit: ω/s on every scaled pair', () => {
    const clean = ropeTable({ ...options, dype: dype(1) });
    const plain = ropeTable(options);
    for (let j = 4; j < 12; j++) expect(clean.frequencies[j]).toBeCloseTo(plain.frequencies[j]! / 4, 15);
    expect(clean.cos.every(Number.isFinite)).toBe(true);
  });
});

describe('LTX-Video: one ladder over all heads', () => {
  /** diffusers' LTX table in float64: ω_f = θ^(f/(n−1))·π/2, angle ω_f·(2g − 1), flattened (f, axis), repeated per pair, cos = 1 padding first. */
  function ltxReference(positions: number[][], inner: number, theta: number): { cos: number[][]; sin: number[][] } {
    const n = Math.floor(inner / 6);
    const pad = inner % 6;
    return {
      cos: positions.map((g) => [
        ...Array(pad).fill(1),
        ...Array.from({ length: 3 * n }, (_, i) => Math.cos(((theta ** (Math.floor(i / 3) / (n - 1)) * Math.PI) / 2) * (2 * g[i % 3]! - 1))).flatMap((v) => [v, v]),
      ]),
      sin: positions.map((g) => [
        ...Array(pad).fill(0),
        ...Array.from({ length: 3 * n }, (_, i) => Math.sin(((theta ** (Math.floor(i / 3) / (n - 1)) * Math.PI) / 2) * (2 * g[i % 3]! - 1))).flatMap((v) => [v, v]),
      ]),
    };
  }
  const positions = [
    [0, 0, 0],
    [0.05, 0.0078125, 0.015625],
    [0.4, 0.5, 0.25],
  ];

  test('per-head table [tokens, heads, headDim]: the interleaved table is the reference over heads · headDim channels', () => {
    const table = ropeTable({ preset: 'ltx-video', headDim: 16, heads: 2, positions, layout: 'interleaved' });
    expect(table.heads).toBe(2);
    expect(table.cos.length).toBe(3 * 32);
    const reference = ltxReference(positions, 32, 10000);
    expect(maxAbsDiff(table.cos, reference.cos.flat())).toBeLessThan(1e-9);
    expect(maxAbsDiff(table.sin, reference.sin.flat())).toBeLessThan(1e-9);
    expect(table.pairAxes[0]).toBe(-1);
    expect(ROPE_PRESETS['ltx-video'].referenceLayout).toBe('interleaved');
  });

  test.each(BACKENDS)('applyRope gives each head its own slice of the ladder (%s)', async (backend) => {
    await useBackend(backend);
    const table = ropeTable({ preset: 'ltx-video', headDim: 16, heads: 2, positions, layout: 'interleaved' });
    const reference = ltxReference(positions, 32, 10000);
    const values = Float32Array.from({ length: 2 * 3 * 32 }, (_, i) => Math.sin(0.3 * i + 1));
    const out = tf.tidy(() => applyRope(tf.tensor4d(values, [2, 3, 2, 16]), table).dataSync());
    // diffusers' apply_rotary_emb over the flat inner dim: out = x·cos + [−x_odd, x_even]·sin
    const expected = Array.from(values, (value, i) => {
      const c = i % 32;
      const s = Math.floor(i / 32) % 3;
      const partner = c % 2 === 0 ? -values[i + 1]! : values[i - 1]!;
      return value * reference.cos[s]![c]! + partner * reference.sin[s]![c]!;
    });
    expect(maxAbsDiff(out, expected)).toBeLessThan(2e-6);
    expect(() => applyRope(tf.zeros([1, 3, 4, 16]) as tf.Tensor4D, table)).toThrow(/x has 4 heads .*each of its 2 heads its own frequencies/);
  });
});
