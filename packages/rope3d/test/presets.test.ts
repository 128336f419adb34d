import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test } from 'vitest';
import { applyRope, clearRopeCache, interleavedToPackedPermutation, type RopeTable, type RopeTableOptions, ropeTable, tokenPositions } from '../src/index.js';
import { BACKENDS, maxAbsDiff, readFixture, recipe, useBackend } from './test-utils.js';

// Golden vectors of the presets and layouts beyond HunyuanVideo and Wan, each made by the model's
// own reference code (see fixtures/README.md for repository, commit, file and call).

const TOLERANCE = 1e-6;

afterAll(() => clearRopeCache());

type Rows = number[][];

/** Rotates `[batch, tokens, heads, headDim]` values with a table. */
function rope(values: ArrayLike<number>, shape: readonly number[], table: RopeTable): Float32Array {
  return tf.tidy(() => applyRope(tf.tensor4d(Float32Array.from(values), shape as [number, number, number, number]), table).dataSync() as Float32Array);
}

/** `[B, H, S, D]` (head-first, as several references keep q) ↔ `[B, S, H, D]`. */
function swapHeadsAndTokens(values: ArrayLike<number>, [b, first, second, d]: readonly number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let n = 0; n < b!; n++)
    for (let i = 0; i < first!; i++)
      for (let j = 0; j < second!; j++)
        for (let c = 0; c < d!; c++) out[((n * second! + j) * first! + i) * d! + c] = values[((n * first! + i) * second! + j) * d! + c]!;
  return out;
}

/** Rotates head-first `[B, H, S, D]` values and returns them head-first. */
function ropeHeadFirst(values: ArrayLike<number>, [b, h, s, d]: readonly number[], table: RopeTable): Float32Array {
  return swapHeadsAndTokens(rope(swapHeadsAndTokens(values, [b!, h!, s!, d!]), [b!, s!, h!, d!], table), [b!, s!, h!, d!]);
}

/** The first member of every pair of an interleaved table: its complex form `[S, D/2]`. */
function complexForm(values: Float64Array, headDim: number): number[] {
  return Array.from(values).filter((_, i) => (i % headDim) % 2 === 0);
}

const sinRecipe = (n: number) => recipe(n, (i) => Math.sin(0.1 * i));

/**
 * Tolerance on a rotated q where the reference forms its angles in float32: its table is off the
 * exact one by up to `max_abs_diff_float64_closed_form` (recorded in the file), which a rotation
 * can add twice (x·cos and partner·sin) on top of the 1e-6 for everything else.
 */
const appliedTolerance = (fixture: { max_abs_diff_float64_closed_form?: number }) => TOLERANCE + 2 * (fixture.max_abs_diff_float64_closed_form ?? 0);

interface TableFixture {
  cos: Rows;
  sin: Rows;
  q: number[];
  q_out: number[];
}

describe('diffusers get_1d_rotary_pos_embed on fractional, negative, unordered positions', () => {
  interface OneAxisFixture extends TableFixture {
    positions: number[];
    shape_BHSD: number[];
    dim: number;
  }
  test.each([
    ['diffusers_1d_rope_d16_fracneg_pos8_theta10000.json', 'interleaved', {}],
    ['diffusers_1d_rope_d16_fracneg_pos8_theta10000_halfsplit.json', 'packed', {}],
    // linear_factor 2 divides the positions, ntk_factor 1.5 multiplies θ
    ['diffusers_1d_rope_d16_fracneg_pos8_theta10000_f64_linear2_ntk1.5.json', 'interleaved', { interpolationFactor: 0.5, theta: 15000 }],
  ] as const)('%s (%s)', async (file, layout, extra) => {
    await useBackend('cpu');
    const fixture = readFixture<OneAxisFixture>(file);
    const table = ropeTable({ positions: fixture.positions.map((p) => [p]), headDim: 16, axisDims: [16], layout, ...extra });
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
    expect(Array.from(sinRecipe(fixture.q.length))).toEqual(fixture.q);
    expect(maxAbsDiff(ropeHeadFirst(fixture.q, fixture.shape_BHSD, table), fixture.q_out)).toBeLessThan(TOLERANCE);
  });
});

describe.each(BACKENDS)('presets against their reference code, on %s', (backend) => {
  test('CogVideoX 1.0: the crop grid (fractional linspace positions), split [16, 24, 24], text tokens left alone', async () => {
    await useBackend(backend);
    const fixture = readFixture<TableFixture & { positions_thw: Rows; shape_BHSD_with_text: number[]; text_tokens: number; max_abs_diff_float64_closed_form: number }>(
      'cogvideox_rope_d64_crop_grid2x3x4.json',
    );
    const table = ropeTable({ preset: 'cogvideox', headDim: 64, positions: fixture.positions_thw, layout: 'interleaved' });
    expect(table.axisDims).toEqual([16, 24, 24]);
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
    expectVideoAfterText(fixture, table);
  });

  test('CogVideoX 1.5: the slice grid is the integer grid', async () => {
    await useBackend(backend);
    const fixture = readFixture<TableFixture & { grid_thw: number[]; shape_BHSD_with_text: number[]; text_tokens: number; max_abs_diff_float64_closed_form: number }>(
      'cogvideox15_rope_d64_slice_grid2x3x4.json',
    );
    const table = ropeTable({ preset: 'cogvideox', headDim: 64, grid: fixture.grid_thw, layout: 'interleaved' });
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
    expectVideoAfterText(fixture, table);
  });

  /** CogVideoX rotates the video tokens after the text ones: q_out[:, :, text:] = rope(q[:, :, text:]). */
  function expectVideoAfterText(
    fixture: TableFixture & { shape_BHSD_with_text: number[]; text_tokens: number; max_abs_diff_float64_closed_form: number },
    table: RopeTable,
  ): void {
    const [b, h, s, d] = fixture.shape_BHSD_with_text as [number, number, number, number];
    const text = fixture.text_tokens;
    expect(Array.from(sinRecipe(fixture.q.length))).toEqual(fixture.q);
    const video = (values: ArrayLike<number>) =>
      Array.from({ length: b * h }, (_, head) => Array.from(values).slice((head * s + text) * d, (head + 1) * s * d)).flat();
    expect(maxAbsDiff(ropeHeadFirst(video(fixture.q), [b, h, s - text, d], table), video(fixture.q_out))).toBeLessThan(appliedTolerance(fixture));
  }

  test.each([
    ['cosmos_predict2_rope_d64_grid2x3x4_scale1-3-3_fps16.json'],
    ['cosmos_predict2_rope_d64_grid2x3x4_scale0.833-2-2_fps16.json'],
    ['cosmos_predict2_rope_d64_grid1x3x4_scale1-4-4_image.json'],
  ])('Cosmos-Predict2 %s: rope_scale as ntk, time × base_fps / fps as interpolationFactor, packed', async (file) => {
    await useBackend(backend);
    const fixture = readFixture<
      TableFixture & { grid_thw: number[]; rope_scale: number[]; fps: number | null; base_fps: number; axis_thetas_t_h_w: number[]; shape_BHSD: number[] }
    >(file);
    const table = ropeTable({
      preset: 'cosmos-predict2',
      headDim: 64,
      grid: fixture.grid_thw,
      ntk: fixture.rope_scale,
      interpolationFactor: [fixture.fps === null ? 1 : fixture.base_fps / fixture.fps, 1, 1],
      layout: 'packed',
    });
    expect(maxAbsDiff(table.thetas, fixture.axis_thetas_t_h_w)).toBeLessThan(1e-9 * 1e5);
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
    expect(Array.from(sinRecipe(fixture.q.length))).toEqual(fixture.q);
    expect(maxAbsDiff(ropeHeadFirst(fixture.q, fixture.shape_BHSD, table), fixture.q_out)).toBeLessThan(TOLERANCE);
  });

  test.each([
    ['flux_posembed_d16-56-56_txt2_img2x3_kontext2x2.json', 'flux'],
    ['flux2_posembed_d32x4_theta2000_txt3_img2x3_ref2x2.json', 'flux2'],
  ] as const)('%s: text, image and reference ids as one table (%s)', async (file, preset) => {
    await useBackend(backend);
    const fixture = readFixture<TableFixture & { ids: Rows; shape_BSHD: number[] }>(file);
    const table = ropeTable({ preset, headDim: 128, positions: fixture.ids, layout: 'interleaved' });
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
    expect(Array.from(sinRecipe(fixture.q.length))).toEqual(fixture.q);
    expect(maxAbsDiff(rope(fixture.q, fixture.shape_BSHD, table), fixture.q_out)).toBeLessThan(TOLERANCE);
  });

  test('FLUX.2 from black-forest-labs/flux2 itself: segments of text (0, 0, 0, l), image grid and a reference at t = 10', async () => {
    await useBackend(backend);
    const fixture = readFixture<TableFixture & { k: number[]; k_out: number[]; shape_BHSD: number[] }>('bfl_flux2_embednd_d32x4_theta2000_txt3_img2x3_ref2x2.json');
    const table = ropeTable({
      preset: 'flux2',
      headDim: 128,
      segments: [{ positions: [0, 1, 2].map((l) => [0, 0, 0, l]) }, { grid: [1, 2, 3, 1] }, { grid: [1, 2, 2, 1], offset: [10, 0, 0, 0] }],
      layout: 'interleaved',
    });
    expect(table.tokens).toBe(13);
    expect(maxAbsDiff(complexForm(table.cos, 128), fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(complexForm(table.sin, 128), fixture.sin.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(ropeHeadFirst(fixture.q, fixture.shape_BHSD, table), fixture.q_out)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(ropeHeadFirst(fixture.k, fixture.shape_BHSD, table), fixture.k_out)).toBeLessThan(TOLERANCE);
  });

  test.each([
    ['qwenimage_rope_d8-12-12_edit_1x3x4+1x2x3_txt3_scalerope.json'],
    ['qwenimage_rope_d8-12-12_2x3x4_txt2_noscale.json'],
  ])('Qwen-Image %s: centred (negative) image positions, then text, as segments', async (file) => {
    await useBackend(backend);
    type QwenImage = {
      positions_img: Rows;
      positions_txt: Rows;
      cos_img: Rows;
      sin_img: Rows;
      cos_txt: Rows;
      sin_txt: Rows;
      q_img: number[];
      q_img_out: number[];
      q_txt: number[];
      q_txt_out: number[];
      shape_img_BSHD: number[];
      shape_txt_BSHD: number[];
    };
    const fixture = readFixture<QwenImage>(file);
    const options = { headDim: 32, axisDims: [8, 12, 12], theta: 10000, layout: 'interleaved' } as const;
    const joined = ropeTable({ ...options, segments: [{ positions: fixture.positions_img }, { positions: fixture.positions_txt }] });
    expect(maxAbsDiff(complexForm(joined.cos, 32), [...fixture.cos_img, ...fixture.cos_txt].flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(complexForm(joined.sin, 32), [...fixture.sin_img, ...fixture.sin_txt].flat())).toBeLessThan(TOLERANCE);
    const image = ropeTable({ ...options, positions: fixture.positions_img });
    const text = ropeTable({ ...options, positions: fixture.positions_txt });
    expect(maxAbsDiff(rope(fixture.q_img, fixture.shape_img_BSHD, image), fixture.q_img_out)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(rope(fixture.q_txt, fixture.shape_txt_BSHD, text), fixture.q_txt_out)).toBeLessThan(TOLERANCE);
  });

  test.each([
    ['qwen2vl_mrope_d16_sec2-3-3_theta1e6_txt_img_vid.json', 'qwen2-vl', false, 'cos_used'],
    ['qwen2vl_mrope_d128_sec16-24-24_theta1e6_txt_img_vid_H1.json', 'qwen2-vl', false, 'cos_used'],
    ['qwen3vl_imrope_d16_sec4-2-2_theta5e6_txt_img_vid.json', 'qwen3-vl', true, 'cos'],
    ['qwen3vl_imrope_d128_sec24-20-20_theta5e6_txt_img_vid_H1.json', 'qwen3-vl', true, 'cos'],
  ] as const)('%s: M-RoPE over get_rope_index positions', async (file, preset, interleaved, cosKey) => {
    await useBackend(backend);
    type Qwen = Record<'cos' | 'sin' | 'cos_used' | 'sin_used', Rows> & {
      head_dim: number;
      mrope_section: number[];
      position_ids_thw: Rows;
      axis_of_pair: number[];
      q: number[];
      q_out: number[];
      k?: number[];
      k_out?: number[];
      shape_BHSD: number[];
      max_abs_diff_float64_closed_form: number;
    };
    const fixture = readFixture<Qwen>(file);
    const options: RopeTableOptions = { preset, headDim: fixture.head_dim, positions: fixture.position_ids_thw, layout: 'packed' };
    const table = ropeTable(fixture.head_dim === 128 ? options : { ...options, mrope: { section: fixture.mrope_section, interleaved } });
    expect(Array.from(table.pairAxes)).toEqual(fixture.axis_of_pair);
    const sinKey = cosKey === 'cos' ? 'sin' : 'sin_used';
    expect(maxAbsDiff(table.cos, fixture[cosKey].flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture[sinKey].flat())).toBeLessThan(TOLERANCE);
    const tolerance = appliedTolerance(fixture);
    expect(maxAbsDiff(ropeHeadFirst(fixture.q, fixture.shape_BHSD, table), fixture.q_out)).toBeLessThan(tolerance);
    if (fixture.k !== undefined) expect(maxAbsDiff(ropeHeadFirst(fixture.k, fixture.shape_BHSD, table), fixture.k_out!)).toBeLessThan(tolerance);
  });

  test.each([
    ['ltx_rope_dim64_grid2x3x4_fps25.json'],
    ['ltx_rope_dim64_condition_1x3x4_at16_video2x3x4_fps25.json'],
  ])('LTX-Video %s: a table per head over the whole inner dim', async (file) => {
    await useBackend(backend);
    type Ltx = TableFixture & { normalised_coords: Rows; frequencies_float32: number[]; shape_BSC: number[]; max_abs_diff_float64_closed_form: number };
    const fixture = readFixture<Ltx>(file);
    const table = ropeTable({ preset: 'ltx-video', headDim: 32, heads: 2, positions: fixture.normalised_coords, layout: 'interleaved' });
    // the frequencies are the reference's up to its float32 rounding (it forms θ^linspace in float32)
    const frequencies = Array.from(table.frequencies.subarray(2).filter((_, i) => i % 3 === 0), (twice) => twice / 2);
    expect(maxAbsDiff(frequencies.map((f, k) => f / fixture.frequencies_float32[k]!), frequencies.map(() => 1))).toBeLessThan(3e-7);
    // the reference's angles reach 15708 rad in float32, one float32 step there is 2e-3 rad: the
    // float64 table is closer to the exact value than the reference is (its own README says by how much)
    const limit = fixture.max_abs_diff_float64_closed_form * 1.01;
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(limit);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(limit);
    const [b, s, c] = fixture.shape_BSC as [number, number, number];
    expect(maxAbsDiff(rope(fixture.q, [b, s, 2, c / 2], table), fixture.q_out)).toBeLessThan(2 * limit);
  });

  test('the LTX-Video table from the grid and interpolationFactor (rope_interpolation_scale · patch / base) equals the one from coordinates', async () => {
    await useBackend(backend);
    const fixture = readFixture<{ normalised_coords: Rows }>('ltx_rope_dim64_grid2x3x4_fps25.json');
    const fromGrid = ropeTable({ preset: 'ltx-video', headDim: 32, heads: 2, grid: [2, 3, 4], interpolationFactor: [8 / 25 / 20, 32 / 2048, 32 / 2048] });
    const fromCoords = ropeTable({ preset: 'ltx-video', headDim: 32, heads: 2, positions: fixture.normalised_coords });
    // the coordinates are float32 values: the tables agree to float32 rounding of the positions
    expect(maxAbsDiff(fromGrid.cos, fromCoords.cos)).toBeLessThan(1e-3);
  });
});

describe('DyPE (guyyariv/DyPE) Flux tables keyed by the diffusion time', () => {
  type Dype = TableFixture & { ids: Rows; current_timestep_sigma: number; axis_scale: (number | null)[]; base_patches: number; method: 'yarn' | 'ntk'; dype: boolean };
  test.each([
    ['dype_flux_yarn_sigma1.0_d16-56-56_grid128x96.json'],
    ['dype_flux_yarn_sigma0.5_d16-56-56_grid128x96.json'],
    ['dype_flux_yarn_sigma0.1_d16-56-56_grid128x96.json'],
    ['dype_flux_yarn_static_d16-56-56_grid128x96.json'],
    ['dype_flux_ntk_sigma0.5_d16-56-56_grid128x96.json'],
  ])('%s', (file) => {
    const fixture = readFixture<Dype>(file);
    // DyPE's timestep is σ (1 = noise); flowdit's time is t = 1 − σ. Static YaRN is DyPE at σ = 1.
    const time = fixture.dype ? 1 - fixture.current_timestep_sigma : 0;
    const table = ropeTable({
      preset: 'flux',
      headDim: 128,
      positions: fixture.ids,
      layout: 'interleaved',
      dype: { time, factor: fixture.axis_scale.map((scale) => scale ?? 1), originalPositions: fixture.base_patches, method: fixture.method },
    });
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
  });
});

test('a table made in one layout equals the reference in the other through the permutation (Cosmos, packed natively)', () => {
  const fixture = readFixture<TableFixture>('cosmos_predict2_rope_d64_grid2x3x4_scale1-3-3_fps16.json');
  const table = ropeTable({ preset: 'cosmos-predict2', headDim: 64, grid: [2, 3, 4], ntk: [1, 3, 3], interpolationFactor: [1.5, 1, 1], layout: 'interleaved' });
  const Q = interleavedToPackedPermutation([64]);
  const packed = Array.from({ length: 24 }, (_, s) => Array.from(Q, (q) => table.cos[s * 64 + q]!)).flat();
  expect(maxAbsDiff(packed, fixture.cos.flat())).toBeLessThan(TOLERANCE);
});

describe('YaRN from transformers _compute_yarn_parameters', () => {
  type Yarn = TableFixture & {
    head_dim: number;
    theta: number;
    max_position_embeddings: number;
    rope_scaling: { factor: number; beta_fast?: number; beta_slow?: number; attention_factor?: number };
    inv_freq: number[];
    inv_freq_default: number[];
    attention_factor: number;
    correction_range_low_high: [number, number];
    positions: number[];
    shape_BHSD: number[];
  };
  test.each([['transformers_yarn_d64_theta1e4_L4096_factor4.json'], ['transformers_yarn_d64_theta5e5_L2048_factor8_beta16-2_attn1.25.json']])('%s', async (file) => {
    await useBackend('cpu');
    const fixture = readFixture<Yarn>(file);
    const { factor, beta_fast: betaFast, beta_slow: betaSlow, attention_factor: attentionFactor } = fixture.rope_scaling;
    const options: RopeTableOptions = {
      headDim: fixture.head_dim,
      axisDims: [fixture.head_dim],
      theta: fixture.theta,
      positions: fixture.positions.map((p) => [p]),
      yarn: { factor, originalPositions: fixture.max_position_embeddings, betaFast, betaSlow, attentionFactor },
      layout: 'packed',
    };
    const table = ropeTable(options);
    // the ladder is the reference's up to its float32 rounding; the ramp's ends are where it says
    const ratios = Array.from(table.frequencies, (omega, k) => omega / fixture.inv_freq[k]!);
    expect(maxAbsDiff(ratios, ratios.map(() => 1))).toBeLessThan(1.2e-7);
    const [low, high] = fixture.correction_range_low_high;
    expect(table.frequencies[low]).toBeCloseTo(fixture.inv_freq_default[low]!, 7);
    expect(table.frequencies[high]! * factor).toBeCloseTo(fixture.inv_freq_default[high]!, 7);
    expect(table.frequencies[low + 1]).toBeLessThan(fixture.inv_freq_default[low + 1]!);
    expect(table.cos[0]).toBeCloseTo(fixture.attention_factor, 7);
    // the reference forms p·ω in float32: rows up to position 3 match to 1e-6, the rest to its float32 error (5.3e-4 at 16383)
    const rows = 4 * fixture.head_dim;
    expect(maxAbsDiff(table.cos.subarray(0, rows), fixture.cos.flat().slice(0, rows))).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin.subarray(0, rows), fixture.sin.flat().slice(0, rows))).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(6e-4);
    const [b, h, , d] = fixture.shape_BHSD as [number, number, number, number];
    const first = (values: ArrayLike<number>) => Array.from({ length: b * h }, (_, head) => Array.from(values).slice(head * 8 * d, head * 8 * d + 4 * d)).flat();
    const early = ropeTable({ ...options, positions: [[0], [1], [2], [3]] });
    expect(maxAbsDiff(ropeHeadFirst(first(fixture.q), [b, h, 4, d], early), first(fixture.q_out))).toBeLessThan(TOLERANCE);
  });
});

describe("HunyuanCustom's reference frame at t = −1 before the video, as segments", () => {
  test.each([
    ['hunyuancustom_ndrope_d4-6-6_grid2x3x4_theta256_timecat-w_bias-1.json', 4],
    ['hunyuancustom_ndrope_d4-6-6_grid2x3x4_theta256_timecat_bias-1.json', 0],
  ])('%s', (file, widthShift) => {
    const fixture = readFixture<TableFixture & { positions_thw: Rows }>(file);
    const table = ropeTable({
      preset: 'hunyuan',
      headDim: 16,
      axisDims: [4, 6, 6],
      layout: 'interleaved',
      segments: [{ positions: tokenPositions([1, 3, 4], [-1, 0, widthShift]) }, { grid: [2, 3, 4] }],
    });
    expect(Array.from(tokenPositions([1, 3, 4], [-1, 0, widthShift]))).toEqual(fixture.positions_thw.slice(0, 12).flat());
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
  });
});

describe("Cosmos-Predict2's own VideoRopePosition3DEmb (nvidia-cosmos/cosmos-predict2)", () => {
  test.each([
    ['cosmos_predict2_orig_rope3d_d64_grid2x3x4_ratio1-3-3_nofpsmod.json'],
    ['cosmos_predict2_orig_rope3d_d64_grid2x3x4_ratio1-3-3_fpsmod16.json'],
    ['cosmos_predict2_orig_rope3d_d64_grid2x3x4_ratio0.833-2-2_nofpsmod.json'],
    ['cosmos_predict2_orig_rope3d_d64_grid1x3x4_ratio1-4-4_image.json'],
  ])('%s: the extrapolation ratios as ntk; time scaled by 24 / fps only with fps modulation on', (file) => {
    type CosmosOriginal = TableFixture & { grid_thw: number[]; extrapolation_ratios_t_h_w: number[]; enable_fps_modulation: boolean; fps: number; base_fps: number };
    const fixture = readFixture<CosmosOriginal>(file);
    const table = ropeTable({
      preset: 'cosmos-predict2',
      headDim: 64,
      grid: fixture.grid_thw,
      ntk: fixture.extrapolation_ratios_t_h_w,
      interpolationFactor: [fixture.enable_fps_modulation ? fixture.base_fps / fixture.fps : 1, 1, 1],
    });
    expect(maxAbsDiff(table.cos, fixture.cos.flat())).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(table.sin, fixture.sin.flat())).toBeLessThan(TOLERANCE);
  });
});
