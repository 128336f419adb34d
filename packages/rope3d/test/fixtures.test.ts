import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { applyRope, clearRopeCache, interleavedToPackedPermutation, ropeTable, tokenPositions } from '../src/index.js';
import { BACKENDS, maxAbsDiff, readFixture, recipe, useBackend } from './test-utils.js';

// Golden vectors made by HunyuanVideo and Wan2.1 themselves (see fixtures/README.md).

interface NdRopeFixture {
  rope_dim_list: [number, number, number];
  grid_thw: [number, number, number];
  theta: number;
  theta_rescale_factor: number;
  interpolation_factor: number;
  D: number;
  positions_thw: number[][];
  cos: number[][];
  sin: number[][];
}

interface HunyuanApplyFixture {
  rope_dim_list: [number, number, number];
  grid_thw: [number, number, number];
  theta: number;
  shape_BSHD: [number, number, number, number];
  q: number[];
  k: number[];
  q_out: number[];
  k_out: number[];
}

interface PackedHunyuanFixture {
  Q: number[];
  cos_packed: number[][];
  sin_packed: number[][];
  q_packed: number[];
  k_packed: number[];
  q_out_packed: number[];
  k_out_packed: number[];
}

interface WanFixture {
  head_dim: number;
  grid_fhw: [number, number, number];
  seq_len_L: number;
  pad_tokens: number;
  real_channel_split_t_h_w: [number, number, number];
  shape_BLND: [number, number, number, number];
  x: number[];
  out: number[];
  per_token_cos_complex_form: number[][];
  per_token_sin_complex_form: number[][];
  per_token_cos_repeat_interleaved: number[][];
  per_token_sin_repeat_interleaved: number[][];
}

interface PackedWanFixture {
  Q: number[];
  cos_packed: number[][];
  sin_packed: number[][];
  x_packed: number[];
  out_packed: number[];
}

const TOLERANCE = 1e-6;

function rope(x: ArrayLike<number>, shape: number[], table: ReturnType<typeof ropeTable>, allowPadding = false): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor4d(Float32Array.from(x), shape as [number, number, number, number]);
    return applyRope(input, table, { allowPadding }).dataSync() as Float32Array;
  });
}

afterAll(() => clearRopeCache());

describe.each([
  'hunyuan_ndrope_d4-6-6_grid2x3x4_theta256.json',
  'hunyuan_ndrope_d4-6-6_grid2x3x4_theta10000.json',
  'hunyuan_ndrope_d4-6-6_grid2x3x4_theta256_rescale2_interp0.5.json',
])('HunyuanVideo get_nd_rotary_pos_embed: %s', (file) => {
  const fixture = readFixture<NdRopeFixture>(file);
  const table = ropeTable({
    grid: fixture.grid_thw,
    headDim: fixture.D,
    axisDims: fixture.rope_dim_list,
    theta: fixture.theta,
    thetaRescaleFactor: fixture.theta_rescale_factor,
    interpolationFactor: fixture.interpolation_factor,
    layout: 'interleaved',
  });

  test('interleaved cos and sin within 1e-6', () => {
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
  });

  test('token positions in time-major order', () => {
    expect(Array.from(tokenPositions(fixture.grid_thw))).toEqual(fixture.positions_thw.flat());
  });
});

describe.each(BACKENDS)('on %s', (backend) => {
  test('HunyuanVideo apply_rotary_emb (interleaved) within 1e-6', async () => {
    await useBackend(backend);
    const fixture = readFixture<HunyuanApplyFixture>('hunyuan_apply_d4-6-6_grid2x3x4_theta256_B1H2.json');
    const n = fixture.q.length;
    // the recipe regenerates the inputs bit-exactly
    expect(Array.from(recipe(n, (i) => Math.sin(0.1 * i)))).toEqual(fixture.q);
    expect(Array.from(recipe(n, (i) => Math.cos(0.07 * i)))).toEqual(fixture.k);
    const table = ropeTable({ grid: fixture.grid_thw, headDim: 16, axisDims: fixture.rope_dim_list, theta: fixture.theta, layout: 'interleaved' });
    expect(maxAbsDiff(rope(fixture.q, fixture.shape_BSHD, table), fixture.q_out)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(rope(fixture.k, fixture.shape_BSHD, table), fixture.k_out)).toBeLessThan(TOLERANCE);
  });

  test('HunyuanVideo case in the packed layout within 1e-6', async () => {
    await useBackend(backend);
    const source = readFixture<HunyuanApplyFixture>('hunyuan_apply_d4-6-6_grid2x3x4_theta256_B1H2.json');
    const fixture = readFixture<PackedHunyuanFixture>('packed_hunyuan_apply_d4-6-6_grid2x3x4_theta256_B1H2.json');
    expect(Array.from(interleavedToPackedPermutation(source.rope_dim_list))).toEqual(fixture.Q);
    const table = ropeTable({ grid: source.grid_thw, headDim: 16, axisDims: source.rope_dim_list, theta: source.theta, layout: 'packed' });
    expect(maxAbsDiff(table.cos, fixture.cos_packed.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin_packed.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(rope(fixture.q_packed, source.shape_BSHD, table), fixture.q_out_packed)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(rope(fixture.k_packed, source.shape_BSHD, table), fixture.k_out_packed)).toBeLessThan(TOLERANCE);
  });

  test.each([
    'wan21_rope_d24_grid2x3x4_H2.json',
    'wan21_rope_d24_grid2x3x4_H2_pad3.json',
  ])('Wan2.1 rope_apply %s within 1e-6', async (file) => {
    await useBackend(backend);
    const fixture = readFixture<WanFixture>(file);
    expect(Array.from(recipe(fixture.x.length, (i) => Math.sin(0.1 * i)))).toEqual(fixture.x);
    const table = ropeTable({ grid: fixture.grid_fhw, headDim: fixture.head_dim, preset: 'wan', layout: 'interleaved' });
    expect(table.axisDims).toEqual(fixture.real_channel_split_t_h_w);
    expect(maxAbsDiff(table.cos, fixture.per_token_cos_repeat_interleaved.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.per_token_sin_repeat_interleaved.flat())).toBeLessThan(TOLERANCE);
    const out = rope(fixture.x, fixture.shape_BLND, table, fixture.pad_tokens > 0);
    expect(maxAbsDiff(out, fixture.out)).toBeLessThan(TOLERANCE);
    if (fixture.pad_tokens > 0) {
      const tail = table.tokens * fixture.shape_BLND[2] * fixture.head_dim;
      expect(Array.from(out.subarray(tail))).toEqual(Array.from(Float32Array.from(fixture.x.slice(tail))));
    }
  });

  test('Wan2.1 case in the packed layout within 2e-7', async () => {
    await useBackend(backend);
    const source = readFixture<WanFixture>('wan21_rope_d24_grid2x3x4_H2.json');
    const fixture = readFixture<PackedWanFixture>('packed_wan21_rope_d24_grid2x3x4_H2.json');
    const table = ropeTable({ grid: source.grid_fhw, headDim: source.head_dim, preset: 'wan', layout: 'packed' });
    const half = source.head_dim / 2;
    const complexCos = source.per_token_cos_complex_form;
    const complexSin = source.per_token_sin_complex_form;
    const firstHalf = (values: Float64Array) => Array.from({ length: table.tokens }, (_, s) => Array.from(values.subarray(s * 24, s * 24 + half)));
    expect(maxAbsDiff(firstHalf(table.cos).flat(), complexCos.flat())).toBeLessThan(1e-15);
    expect(maxAbsDiff(firstHalf(table.sin).flat(), complexSin.flat())).toBeLessThan(1e-15);
    expect(maxAbsDiff(table.cos, fixture.cos_packed.flat())).toBeLessThan(2e-7);
    expect(maxAbsDiff(rope(fixture.x_packed, source.shape_BLND, table), fixture.out_packed)).toBeLessThan(2e-7);
  });
});
