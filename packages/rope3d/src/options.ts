/*
 * What a table is made of: the option types, the presets, the checks every public entry shares,
 * and the resolution of options into the complete configuration the table is computed (and
 * cached) from.
 */

import { type FrequencyLadder, ltxLadder, mropeLadder, perAxisLadder, type ResolvedDype, type ResolvedYarn, scaleLadder } from './frequencies.js';

/** Channel order of the rotated pairs: `interleaved` = (2j, 2j+1) (most reference models), `packed` = (j, j + D/2). */
export type RopeLayout = 'packed' | 'interleaved';

/**
 * Axis split, θ and frequency layout of a reference model (see {@link ROPE_PRESETS} for each one's source):
 * `hunyuan` = HunyuanVideo, `wan` = Wan2.1, `cogvideox` = CogVideoX, `cosmos-predict2` = Cosmos-Predict2,
 * `flux` = FLUX.1, `flux2` = FLUX.2 (four axes), `qwen2-vl` / `qwen3-vl` = the Qwen-VL M-RoPE,
 * `ltx-video` = LTX-Video (one ladder over all heads).
 */
export type RopePreset = 'hunyuan' | 'wan' | 'cogvideox' | 'cosmos-predict2' | 'flux' | 'flux2' | 'qwen2-vl' | 'qwen3-vl' | 'ltx-video';

/** A `[time, height, width]` triple. */
export type AxisTriple = readonly [number, number, number];

/** One value per axis (1 to 4 axes: e.g. `[position]`, `[height, width]`, `[time, height, width]`, `[time, height, width, layer]`). */
export type AxisValues = readonly number[];

/**
 * Positions of tokens, one row of `axes` numbers per token (any finite numbers: fractional,
 * negative, in any order): nested rows `[[t, h, w], …]`, or the same flattened row-major.
 */
export type RopePositions = readonly (readonly number[])[] | ArrayLike<number>;

/**
 * RIFLEx (Zhao et al. 2025, thu-ml/RIFLEx): for videos longer than the model was trained on,
 * lower the intrinsic temporal frequency `k` so that its period covers the whole test length:
 * `ω_(k−1) = scale · 2π / testFrames` on the time axis only.
 */
export interface RiflexOptions {
  /** 1-based index of the intrinsic frequency among the time axis pairs (HunyuanVideo 4, Wan2.1 6); see {@link riflexIntrinsicFrequency}. */
  readonly k: number;
  /** Number of latent frames (time positions) generated at test time, `L_test`. */
  readonly testFrames: number;
  /** Fraction of one period that `testFrames` spans; default 0.9 as in RIFLEx. */
  readonly scale?: number;
}

/**
 * The global frequency ladder of the Qwen2-VL family (M-RoPE): pair `j` of the whole head rotates
 * by `θ^(−2j/D)` times the position on the axis it is assigned to.
 */
export interface MropeOptions {
  /** Pairs per axis (`mrope_section`, e.g. `[16, 24, 24]` at head dim 128), summing to `headDim / 2`. */
  readonly section: AxisValues;
  /**
   * `false` (Qwen2-VL, Qwen2.5-VL): contiguous sections, pairs `[0, s0)` on axis 0, then axis 1, ….
   * `true` (Qwen3-VL): pair `j` on axis `j mod 3` (T H W T H W …) while that axis has pairs left
   * (`j < 3·s_a`), else on axis 0.
   */
  readonly interleaved?: boolean;
}

/**
 * YaRN's NTK-by-parts per axis (Peng et al. 2023, as transformers' `_compute_yarn_parameters`):
 * on an axis with channels `d`, θ and trained length `L`, pairs that turn more than `betaFast`
 * times over `L` keep their frequency, pairs that turn less than `betaSlow` times are divided by
 * `factor`, a linear ramp in between; cos and sin are multiplied by the attention temperature
 * (`0.1·ln(factor) + 1` unless given). One value for every axis or one per axis; factor 1 leaves an
 * axis as it is.
 */
export interface YarnOptions {
  /** How many times longer than trained the axis is (`factor`, > 0). */
  readonly factor: number | AxisValues;
  /** Positions seen on the axis in training (`original_max_position_embeddings`). */
  readonly originalPositions: number | AxisValues;
  /** Rotations above which a pair keeps its frequency; default 32. */
  readonly betaFast?: number;
  /** Rotations below which a pair is interpolated; default 1. */
  readonly betaSlow?: number;
  /** Multiplies cos and sin (the attention temperature `√(1/t)`); default `0.1·ln(factor) + 1` on axes with factor > 1, else 1. */
  readonly attentionFactor?: number | AxisValues;
}

/**
 * DyPE (Issachar et al. 2025, guyyariv/DyPE): the vision YaRN of its reference code (two ramps:
 * linear against NTK-aware between 1.25 and 0.75 rotations over the trained length, that against
 * the original between 16 and 2), with the ramps' rotation bounds scaled by `κ = σ^exponent`,
 * `σ = 1 − time`: at pure noise (σ = 1) it is the full vision YaRN; as the sample gets clean the
 * bounds shrink, so more high-frequency pairs keep their trained frequency (the details, which
 * the late steps resolve). Axes with factor ≤ 1 keep the plain ladder.
 */
export interface DypeOptions {
  /** Diffusion time of the step, `t = 0` noise, `t = 1` data (DyPE's reference code takes `σ = 1 − t`). */
  readonly time: number;
  /** Resolution ratio per axis (`max_pe_len / ori_max_pe_len`); one value or one per axis. */
  readonly factor: number | AxisValues;
  /** Positions per axis at the trained resolution (`ori_max_pe_len`, Flux: 64 patches). */
  readonly originalPositions: number | AxisValues;
  /** `λ` in `κ = σ^λ`; default 2 (the reference code's). */
  readonly exponent?: number;
  /** Tables are cached per time bucket: `time` is rounded to a multiple of `1 / buckets`; default 1000. */
  readonly buckets?: number;
  /** `'yarn'` (default, the reference's recommended one) or `'ntk'`: θ times `(s^(d/(d−2)))^(2κ)`, no temperature. */
  readonly method?: 'yarn' | 'ntk';
}

/** One part of a concatenated sequence: a grid (with its own offset), or positions. */
export interface RopeSegment {
  /** Token grid of the part, one size per axis; token order row-major (`s = (t·H + h)·W + w` for three axes). */
  readonly grid?: AxisValues;
  /** Integer position of the grid's first token on each axis; default zeros. */
  readonly offset?: AxisValues;
  /** Positions of the part's tokens, `[tokens, axes]`. */
  readonly positions?: RopePositions;
}

/** Everything that defines a table. Give exactly one of `grid`, `positions` and `segments`. */
export interface RopeTableOptions {
  /** Token grid after patchify, one size per axis (`[T, H, W]` for three); the token order is row-major, `s = (t·H + h)·W + w`. */
  readonly grid?: AxisValues;
  /** Positions per token, `[tokens, axes]`: any finite numbers (fractional, negative, any order). */
  readonly positions?: RopePositions;
  /** A concatenated sequence (e.g. video tokens, then reference tokens): the parts' tokens in order. */
  readonly segments?: readonly RopeSegment[];
  /** Channels per attention head. */
  readonly headDim: number;
  /** Explicit channel split, one even part per axis, summing to `headDim` (1 to 4 axes); else from `preset`. */
  readonly axisDims?: AxisValues;
  /** Split rule, θ and frequency layout of a reference model; default: the `wan` split rule with θ = 10000. */
  readonly preset?: RopePreset;
  /** RoPE base θ; default the preset's (10000 without one). */
  readonly theta?: number;
  /** HunyuanVideo's `theta_rescale_factor r`: `θ ← θ · r^(d/(d−2))` on every axis (NTK-aware scaling). */
  readonly thetaRescaleFactor?: number;
  /** HunyuanVideo's `interpolation_factor f`: `pos ← pos · f` (position interpolation); one value or one per axis. */
  readonly interpolationFactor?: number | AxisValues;
  /** Integer position of the grid's first token on each axis (e.g. conditioning frames placed before the generated ones); default zeros. */
  readonly offset?: AxisValues;
  /** Channel layout of the table; default `packed`. */
  readonly layout?: RopeLayout;
  /** RIFLEx temporal extrapolation; see {@link RiflexOptions}. */
  readonly riflex?: RiflexOptions;
  /** NTK-style θ scaling per axis: `θ_a ← θ_a · s_a^(d_a/(d_a−2))`, e.g. `[1, 2, 2]` for twice the trained height and width. */
  readonly ntk?: AxisValues;
  /** A global ladder assigned to axes (M-RoPE) instead of one ladder per axis part; see {@link MropeOptions}. */
  readonly mrope?: MropeOptions;
  /** YaRN / NTK-by-parts per axis; see {@link YarnOptions}. */
  readonly yarn?: YarnOptions;
  /** DyPE: YaRN that follows the diffusion time; see {@link DypeOptions}. */
  readonly dype?: DypeOptions;
  /** Heads the `ltx-video` ladder spans (it runs over `heads · headDim` channels, so each head has its own table). */
  readonly heads?: number;
  /** Positions per axis a grid may use (Wan2.1 builds its tables for 1024); `offset + grid` beyond it throws. Default 1024. Positions given as numbers are not bounded. */
  readonly maxPositions?: number;
}

/** Positions per axis a table may use unless `maxPositions` says otherwise (Wan2.1's `rope_params(1024, …)`). */
export const DEFAULT_MAX_POSITIONS = 1024;

/** How a preset lays its frequencies over the head: one ladder per axis part, a global ladder (M-RoPE), or LTX-Video's. */
export type FrequencyLayout = 'per-axis' | 'mrope' | 'mrope-interleaved' | 'ltx';

/** What a preset fixes. */
export interface RopePresetInfo {
  /** Default θ. */
  readonly theta: number;
  /** Number of position axes. */
  readonly axes: number;
  /** How the frequencies are laid over the head. */
  readonly frequencyLayout: FrequencyLayout;
  /** The channel layout of the model's own code (a checkpoint's q/k weights expect it; see the permutation helpers). */
  readonly referenceLayout: RopeLayout;
  /** Where the numbers come from. */
  readonly source: string;
}

/** The presets: default θ, axes, frequency layout, and where they come from. */
export const ROPE_PRESETS: Readonly<Record<RopePreset, RopePresetInfo>> = {
  hunyuan: {
    theta: 256,
    axes: 3,
    frequencyLayout: 'per-axis',
    referenceLayout: 'interleaved',
    source: 'Tencent/HunyuanVideo hyvideo/modules/posemb_layers.py, rope_dim_list [16, 56, 56], --rope-theta 256',
  },
  wan: {
    theta: 10000,
    axes: 3,
    frequencyLayout: 'per-axis',
    referenceLayout: 'interleaved',
    source: 'Wan-Video/Wan2.1 wan/modules/model.py rope_params: [d − 4⌊d/6⌋, 2⌊d/6⌋, 2⌊d/6⌋], theta 10000',
  },
  cogvideox: {
    theta: 10000,
    axes: 3,
    frequencyLayout: 'per-axis',
    referenceLayout: 'interleaved',
    source: 'huggingface/diffusers src/diffusers/models/embeddings.py get_3d_rotary_pos_embed: dim_t = D/4, dim_h = dim_w = 3D/8, theta 10000',
  },
  'cosmos-predict2': {
    theta: 10000,
    axes: 3,
    frequencyLayout: 'per-axis',
    referenceLayout: 'packed',
    source:
      'huggingface/diffusers src/diffusers/models/transformers/transformer_cosmos.py CosmosRotaryPosEmbed: dim_h = dim_w = 2⌊D/6⌋, dim_t = D − dim_h − dim_w, theta 10000 · rope_scale^(d/(d−2)), cat([t, h, w] · 2)',
  },
  flux: {
    theta: 10000,
    axes: 3,
    frequencyLayout: 'per-axis',
    referenceLayout: 'interleaved',
    source: 'huggingface/diffusers src/diffusers/models/transformers/transformer_flux.py FluxPosEmbed(theta=10000, axes_dims_rope=(16, 56, 56))',
  },
  flux2: {
    theta: 2000,
    axes: 4,
    frequencyLayout: 'per-axis',
    referenceLayout: 'interleaved',
    source: 'huggingface/diffusers src/diffusers/models/transformers/transformer_flux2.py Flux2PosEmbed(theta=2000, axes_dims_rope=(32, 32, 32, 32)), ids (t, h, w, l)',
  },
  'qwen2-vl': {
    theta: 1000000,
    axes: 3,
    frequencyLayout: 'mrope',
    referenceLayout: 'packed',
    source: 'huggingface/transformers src/transformers/models/qwen2_vl/modeling_qwen2_vl.py apply_multimodal_rotary_pos_emb, mrope_section [16, 24, 24], rope_theta 1000000',
  },
  'qwen3-vl': {
    theta: 5000000,
    axes: 3,
    frequencyLayout: 'mrope-interleaved',
    referenceLayout: 'packed',
    source: 'huggingface/transformers src/transformers/models/qwen3_vl/modeling_qwen3_vl.py Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope, mrope_section [24, 20, 20], rope_theta 5000000',
  },
  'ltx-video': {
    theta: 10000,
    axes: 3,
    frequencyLayout: 'ltx',
    referenceLayout: 'interleaved',
    source:
      'huggingface/diffusers src/diffusers/models/transformers/transformer_ltx.py LTXVideoRotaryPosEmbed: θ^linspace(0, 1, ⌊HD/6⌋)·π/2 · (2g − 1) over all heads, cos = 1 padding first',
  },
};

const LAYOUTS: readonly RopeLayout[] = ['packed', 'interleaved'];

/** A value as error messages show it: strings quoted, arrays bracketed, long arrays cut. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    const shown = items.slice(0, 8).map(formatValue).join(', ');
    return `[${shown}${items.length > 8 ? `, … (${items.length} entries)` : ''}]`;
  }
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

export function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function checkPreset(preset: unknown, where: string): asserts preset is RopePreset {
  if (typeof preset !== 'string' || !Object.hasOwn(ROPE_PRESETS, preset)) {
    throw new RangeError(`${where}: preset is ${formatValue(preset)}; allowed: ${Object.keys(ROPE_PRESETS).map(formatValue).join(', ')}`);
  }
}

function checkHeadDim(headDim: unknown, where: string): asserts headDim is number {
  if (!isPositiveInteger(headDim) || headDim % 2 !== 0) {
    throw new RangeError(`${where}: headDim is ${formatValue(headDim)}; it must be an even positive integer`);
  }
}

/** Names of the axes of a table with `count` axes, as messages say them. */
export function axisNames(count: number): readonly string[] {
  if (count === 1) return ['position'];
  if (count === 2) return ['height', 'width'];
  if (count === 3) return ['time', 'height', 'width'];
  if (count === 4) return ['time', 'height', 'width', 'layer'];
  return Array.from({ length: count }, (_, axis) => `axis ${axis}`);
}

function checkAxisArray(value: unknown, name: string, count: number, where: string, why = ''): asserts value is AxisValues {
  if (!Array.isArray(value) || value.length !== count) {
    throw new TypeError(
      `${where}: ${name} is ${formatValue(value)}; it must be a [${axisNames(count).join(', ')}] array of ${count} number${count === 1 ? '' : 's'}${why}`,
    );
  }
}

/** One value for every axis, or one per axis. */
function perAxis(value: number | AxisValues, name: string, count: number, where: string): number[] {
  if (typeof value === 'number') return Array.from({ length: count }, () => value);
  checkAxisArray(value, name, count, where, ' or one number');
  return [...value];
}

function checkPositiveValues(values: readonly unknown[], shown: unknown, name: string, where: string): void {
  values.forEach((factor) => {
    if (!isPositiveFinite(factor)) {
      throw new RangeError(`${where}: ${name} is ${formatValue(shown)}; it must be a positive finite number or one per axis`);
    }
  });
}

function needMultiple(preset: RopePreset, headDim: number, multiple: number, rule: string): void {
  if (headDim % multiple !== 0) {
    throw new RangeError(
      `axisDimsFor: headDim is ${headDim}; the ${preset} split ${rule} needs a multiple of ${multiple} so every part is even; pass axisDims explicitly`,
    );
  }
}

/**
 * The channel split a preset gives for a head dim, one even part per axis.
 *
 * - `wan`, `cosmos-predict2`: `[d − 4⌊d/6⌋, 2⌊d/6⌋, 2⌊d/6⌋]` (Wan2.1's rule, any even `d`; 44/42/42 at 128).
 * - `hunyuan`, `flux`: `[16, 56, 56]` at 128, scaled in proportion: `[d/8, 7d/16, 7d/16]`, `d` a multiple of 32.
 * - `cogvideox`: `[d/4, 3d/8, 3d/8]` (`embed_dim // 4`, `embed_dim // 8 * 3`), `d` a multiple of 16.
 * - `flux2`: four axes `[d/4, d/4, d/4, d/4]` (32 each at 128), `d` a multiple of 8.
 * - `qwen2-vl`, `qwen3-vl`: the channels per axis of their M-RoPE sections, `2 · mrope_section`
 *   (`[32, 48, 48]` and `[48, 40, 40]` at 128); see {@link mropeSectionFor}.
 * - `ltx-video`: its ladder spans all heads, so it has no per-head split: throws.
 *
 * @param preset - a {@link RopePreset}.
 * @param headDim - channels per head.
 * @returns one even part per axis, summing to `headDim`.
 * @throws {RangeError} when the preset is unknown or has no per-head split, the head dim is not an
 *   even positive integer, or it does not divide as the preset's rule needs.
 */
export function axisDimsFor(preset: RopePreset, headDim: number): number[] {
  checkPreset(preset, 'axisDimsFor');
  checkHeadDim(headDim, 'axisDimsFor');
  switch (preset) {
    case 'wan':
    case 'cosmos-predict2': {
      const part = 2 * Math.floor(headDim / 6);
      return [headDim - 2 * part, part, part];
    }
    case 'hunyuan':
    case 'flux':
      needMultiple(preset, headDim, 32, '[d/8, 7d/16, 7d/16]');
      return [headDim / 8, (7 * headDim) / 16, (7 * headDim) / 16];
    case 'cogvideox':
      needMultiple(preset, headDim, 16, '[d/4, 3d/8, 3d/8]');
      return [headDim / 4, (3 * headDim) / 8, (3 * headDim) / 8];
    case 'flux2':
      needMultiple(preset, headDim, 8, '[d/4, d/4, d/4, d/4]');
      return [headDim / 4, headDim / 4, headDim / 4, headDim / 4];
    case 'qwen2-vl':
    case 'qwen3-vl':
      return mropeSectionFor(preset, headDim).map((pairs) => 2 * pairs);
    case 'ltx-video':
      throw new RangeError(
        `axisDimsFor: preset is "ltx-video"; its frequencies run over all heads (heads · headDim channels, axes interleaved), so it has no per-head axis split`,
      );
  }
}

/**
 * The M-RoPE sections (pairs per axis, summing to `headDim / 2`) of a Qwen-VL preset: Qwen2-VL's
 * `[16, 24, 24]` and Qwen3-VL's `[24, 20, 20]` at head dim 128, scaled in proportion for other head
 * dims where that gives whole pairs (`d` a multiple of 16 for Qwen2-VL, of 32 for Qwen3-VL).
 *
 * @param preset - `'qwen2-vl'` or `'qwen3-vl'`.
 * @param headDim - channels per head.
 * @returns pairs per axis `[t, h, w]`.
 * @throws {RangeError} for another preset, or a head dim the sections cannot be scaled to.
 */
export function mropeSectionFor(preset: RopePreset, headDim: number): number[] {
  checkPreset(preset, 'mropeSectionFor');
  checkHeadDim(headDim, 'mropeSectionFor');
  const at128: Partial<Record<RopePreset, readonly number[]>> = { 'qwen2-vl': [16, 24, 24], 'qwen3-vl': [24, 20, 20] };
  const sections = at128[preset];
  if (sections === undefined) {
    throw new RangeError(`mropeSectionFor: preset is ${formatValue(preset)}; allowed: "qwen2-vl", "qwen3-vl" (the presets with an M-RoPE ladder)`);
  }
  const scaled = sections.map((pairs) => (pairs * headDim) / 128);
  if (!scaled.every(Number.isInteger)) {
    throw new RangeError(
      `mropeSectionFor: headDim is ${headDim}; the ${preset} sections ${formatValue(sections)} (at head dim 128) do not scale to whole pairs; pass mrope.section explicitly`,
    );
  }
  return scaled;
}

/**
 * Checks an explicit axis split against a head dim.
 *
 * @param axisDims - channel counts, one per axis (1 to 4 axes).
 * @param headDim - channels per head.
 * @param where - the calling function, for the message.
 * @throws {TypeError} when axisDims is not an array of 1 to 4 numbers.
 * @throws {RangeError} when a part is not an even non-negative integer, or the parts do not sum to `headDim`.
 */
export function checkAxisDims(axisDims: unknown, headDim: number, where: string): asserts axisDims is AxisValues {
  if (!Array.isArray(axisDims) || axisDims.length < 1 || axisDims.length > 4) {
    throw new TypeError(`${where}: axisDims is ${formatValue(axisDims)}; it must be an array of 1 to 4 channel counts, one per axis (e.g. [time, height, width])`);
  }
  axisDims.forEach((part, axis) => {
    if (typeof part !== 'number' || !Number.isInteger(part) || part < 0 || part % 2 !== 0) {
      throw new RangeError(
        `${where}: axisDims[${axis}] is ${formatValue(part)} (axisDims ${formatValue(axisDims)}); every axis part must be an even non-negative integer, since channels rotate in pairs`,
      );
    }
  });
  const sum = (axisDims as number[]).reduce((a, b) => a + b, 0);
  if (sum !== headDim) {
    throw new RangeError(`${where}: axisDims ${formatValue(axisDims)} sum to ${sum}; they must sum to headDim ${headDim}`);
  }
}

/**
 * Checks a token grid.
 *
 * @param grid - one size per axis.
 * @param where - the calling function, for the message.
 * @param axes - the number of axes the grid must have; default 3.
 * @param why - what fixes that number, for the message.
 * @throws {TypeError} when grid is not an array of `axes` numbers.
 * @throws {RangeError} when an entry is not a positive integer.
 */
export function checkGrid(grid: unknown, where: string, axes = 3, why = ''): asserts grid is AxisValues {
  checkAxisArray(grid, 'grid', axes, where, why);
  grid.forEach((size, axis) => {
    if (!isPositiveInteger(size)) {
      throw new RangeError(`${where}: grid[${axis}] is ${formatValue(size)} (grid ${formatValue(grid)}); every grid size must be a positive integer`);
    }
  });
}

/** A part of the sequence, checked: a grid and its offset, or flat positions `[tokens·axes]`. */
export type ResolvedSegment = { readonly grid: number[]; readonly offset: number[] } | { readonly positions: number[] };

/** Tokens of a resolved segment. */
export function segmentTokens(segment: ResolvedSegment, axes: number): number {
  return 'grid' in segment ? segment.grid.reduce((a, b) => a * b, 1) : segment.positions.length / axes;
}

/**
 * Checks positions and flattens them.
 *
 * @param positions - nested rows of `axes` numbers, or the same flattened.
 * @param axes - numbers per token.
 * @param name - the argument's name, for the message.
 * @param where - the calling function, for the message.
 * @param why - what fixes the axis count, for the message.
 * @returns `[tokens · axes]` row-major.
 * @throws {TypeError} when positions is not an array of rows or of numbers, or a row's length is not `axes`.
 * @throws {RangeError} when it is empty, a flat length is not a multiple of `axes`, or a position is not finite.
 */
export function flattenPositions(positions: unknown, axes: number, name: string, where: string, why: string): number[] {
  const isList = Array.isArray(positions) || (ArrayBuffer.isView(positions) && !(positions instanceof DataView));
  if (!isList) {
    throw new TypeError(`${where}: ${name} is ${formatValue(positions)}; it must be a [tokens, ${axes}] array of positions (rows of ${axes} numbers, or the same flattened)`);
  }
  const list = positions as ArrayLike<unknown>;
  if (list.length === 0) throw new RangeError(`${where}: ${name} is empty; it must hold at least one token's position`);
  const flat: number[] = [];
  if (Array.isArray(list[0])) {
    for (let s = 0; s < list.length; s++) {
      const row = list[s];
      if (!Array.isArray(row) || row.length !== axes) {
        throw new TypeError(`${where}: ${name}[${s}] is ${formatValue(row)}; every row must hold ${axes} position${axes === 1 ? '' : 's'}, one per axis${why}`);
      }
      row.forEach((value, axis) => {
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new RangeError(`${where}: ${name}[${s}][${axis}] is ${formatValue(value)}; every position must be a finite number`);
        }
        flat.push(value);
      });
    }
    return flat;
  }
  if (list.length % axes !== 0) {
    throw new RangeError(`${where}: ${name} has ${list.length} numbers; a flat [tokens, ${axes}] array needs a multiple of ${axes}, one per axis${why}`);
  }
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RangeError(
        `${where}: ${name}[${i}] (token ${Math.floor(i / axes)}, axis ${i % axes}) is ${formatValue(value)}; every position must be a finite number`,
      );
    }
    flat.push(value);
  }
  return flat;
}

/** A table's complete configuration, every default filled in; its JSON is the table's cache key. */
export interface ResolvedTableOptions {
  segments: ResolvedSegment[];
  tokens: number;
  headDim: number;
  /** Heads with their own table rows: 1, or `heads` for `ltx-video`. */
  heads: number;
  layout: RopeLayout;
  frequencyLayout: FrequencyLayout;
  /** Channels per axis (per head; over all heads for `ltx-video`). */
  axisDims: number[];
  /** θ per axis after `thetaRescaleFactor` and `ntk`. */
  thetas: number[];
  interpolation: number[];
  riflex: { k: number; testFrames: number; scale: number } | null;
  yarn: ResolvedYarn[] | null;
  dype: ResolvedDype | null;
  /** Per rotated pair (`heads · headDim / 2` of them): its axis (−1: a cos = 1 padding pair), frequency and phase. */
  pairAxes: number[];
  frequencies: number[];
  phases: number[] | null;
  /** Multiplies cos and sin, per axis (YaRN's attention temperature). */
  amplitudes: number[];
}

/** Channels and θ of each axis ladder, with the NTK factors applied. */
function scaledThetas(axisDims: readonly number[], theta: number, rescale: number, ntk: readonly number[]): number[] {
  return axisDims.map((dim, axis) => {
    if (dim <= 2) return theta;
    return theta * (rescale * ntk[axis]!) ** (dim / (dim - 2));
  });
}

function resolveSegments(options: RopeTableOptions, axes: number, why: string, maxPositions: number, where: string): ResolvedSegment[] {
  const given = (['grid', 'positions', 'segments'] as const).filter((key) => options[key] !== undefined);
  if (given.length !== 1) {
    throw new TypeError(
      `${where}: ${given.length === 0 ? 'none' : given.join(' and ')} of grid, positions and segments given; pass exactly one of them`,
    );
  }
  if (options.offset !== undefined && options.grid === undefined) {
    throw new TypeError(`${where}: offset is ${formatValue(options.offset)} without a grid; it places a grid (give positions directly, or an offset per segment)`);
  }
  const names = axisNames(axes);
  const one = (segment: RopeSegment, prefix: string): ResolvedSegment => {
    if (segment.positions !== undefined) {
      if (segment.grid !== undefined || segment.offset !== undefined) {
        throw new TypeError(`${where}: ${prefix} has both positions and a grid or offset; give one of them`);
      }
      return { positions: flattenPositions(segment.positions, axes, prefix ? `${prefix}.positions` : 'positions', where, why) };
    }
    checkGrid(segment.grid, where, axes, why);
    const offset = segment.offset ?? Array.from({ length: axes }, () => 0);
    checkAxisArray(offset, 'offset', axes, where, why);
    offset.forEach((start, axis) => {
      if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
        throw new RangeError(
          `${where}: offset[${axis}] is ${formatValue(start)}; every offset must be a non-negative integer (give positions for negative or fractional ones)`,
        );
      }
    });
    for (let axis = 0; axis < axes; axis++) {
      const last = offset[axis]! + segment.grid[axis]! - 1;
      if (last >= maxPositions) {
        throw new RangeError(
          `${where}: ${names[axis]} positions reach ${last} (offset ${offset[axis]} + grid ${segment.grid[axis]} − 1); the table is built for positions 0..${maxPositions - 1} (maxPositions ${maxPositions})`,
        );
      }
    }
    return { grid: [...segment.grid], offset: [...offset] };
  };
  if (options.segments === undefined) return [one(options, '')];
  if (!Array.isArray(options.segments) || options.segments.length === 0) {
    throw new TypeError(`${where}: segments is ${formatValue(options.segments)}; it must be a non-empty array of { grid, offset? } or { positions }`);
  }
  return options.segments.map((segment, index) => {
    if (typeof segment !== 'object' || segment === null) {
      throw new TypeError(`${where}: segments[${index}] is ${formatValue(segment)}; it must be { grid, offset? } or { positions }`);
    }
    return one(segment, `segments[${index}]`);
  });
}

/**
 * Checks the options of {@link ropeTable} and fills in the defaults.
 *
 * @param options - the caller's options.
 * @returns the complete configuration.
 * @throws {TypeError} when options is not an object, or a per-axis option is not an array with one entry per axis.
 * @throws {RangeError} when a value is invalid.
 */
export function resolveTableOptions(options: RopeTableOptions): ResolvedTableOptions {
  const where = 'ropeTable';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options is ${formatValue(options)}; pass an object with headDim and one of grid, positions or segments`);
  }
  checkHeadDim(options.headDim, where);
  const headDim = options.headDim;
  if (options.preset !== undefined) checkPreset(options.preset, where);
  const preset = options.preset ?? 'wan';
  const info = ROPE_PRESETS[preset];
  const layout = options.layout ?? 'packed';
  if (!LAYOUTS.includes(layout)) {
    throw new RangeError(`${where}: layout is ${formatValue(layout)}; allowed: ${LAYOUTS.map(formatValue).join(', ')}`);
  }
  if (options.axisDims !== undefined && options.mrope !== undefined) {
    throw new TypeError(`${where}: both axisDims and mrope given; axisDims splits the head into per-axis ladders, mrope assigns one global ladder: give one`);
  }

  // the frequency layout and the axes
  let frequencyLayout: FrequencyLayout = info.frequencyLayout;
  let axisDims: number[];
  let section: number[] | null = null;
  let why: string;
  if (options.axisDims !== undefined) {
    checkAxisDims(options.axisDims, headDim, where);
    axisDims = [...options.axisDims];
    frequencyLayout = 'per-axis';
    why = ` (axisDims ${formatValue(options.axisDims)} has ${axisDims.length})`;
  } else if (options.mrope !== undefined) {
    const { section: given, interleaved = false } = options.mrope;
    if (!Array.isArray(given) || given.length < 1 || given.length > 4) {
      throw new TypeError(`${where}: mrope.section is ${formatValue(given)}; it must be an array of 1 to 4 pair counts, one per axis (e.g. [16, 24, 24])`);
    }
    given.forEach((pairs, axis) => {
      if (typeof pairs !== 'number' || !Number.isInteger(pairs) || pairs < 0) {
        throw new RangeError(`${where}: mrope.section[${axis}] is ${formatValue(pairs)}; every section must be a non-negative integer number of pairs`);
      }
    });
    const sum = (given as number[]).reduce((a, b) => a + b, 0);
    if (sum !== headDim / 2) {
      throw new RangeError(
        `${where}: mrope.section ${formatValue(given)} sums to ${sum} pairs; it must sum to half the head dim, headDim / 2 = ${headDim / 2} (each section counts rotated pairs)`,
      );
    }
    if (typeof interleaved !== 'boolean') {
      throw new TypeError(`${where}: mrope.interleaved is ${formatValue(interleaved)}; it must be true (Qwen3-VL) or false (Qwen2-VL)`);
    }
    section = [...given];
    axisDims = section.map((pairs) => 2 * pairs);
    frequencyLayout = interleaved ? 'mrope-interleaved' : 'mrope';
    why = ` (mrope.section ${formatValue(given)} has ${section.length})`;
  } else if (frequencyLayout === 'ltx') {
    axisDims = [];
    why = ' (ltx-video has 3)';
  } else {
    axisDims = axisDimsFor(preset, headDim);
    if (frequencyLayout !== 'per-axis') section = axisDims.map((dim) => dim / 2);
    why = ` (the ${preset} split has ${axisDims.length}; pass axisDims for another count)`;
  }
  const axes = frequencyLayout === 'ltx' ? 3 : axisDims.length;

  let heads = 1;
  if (frequencyLayout === 'ltx') {
    if (!isPositiveInteger(options.heads)) {
      throw new RangeError(`${where}: heads is ${formatValue(options.heads)}; the ltx-video ladder runs over heads · headDim channels, so it needs heads, a positive integer`);
    }
    heads = options.heads;
  } else if (options.heads !== undefined) {
    throw new RangeError(`${where}: heads is ${formatValue(options.heads)}; only the ltx-video ladder spans heads (every other table is shared by all heads)`);
  }

  const theta = options.theta ?? info.theta;
  if (!isPositiveFinite(theta)) {
    throw new RangeError(`${where}: theta is ${formatValue(theta)}; it must be a positive finite number`);
  }
  const rescale = options.thetaRescaleFactor ?? 1;
  if (!isPositiveFinite(rescale)) {
    throw new RangeError(`${where}: thetaRescaleFactor is ${formatValue(rescale)}; it must be a positive finite number`);
  }
  if (options.thetaRescaleFactor !== undefined && frequencyLayout === 'ltx') {
    throw new RangeError(`${where}: thetaRescaleFactor is ${formatValue(rescale)}; the ltx-video ladder runs from 1 to θ by its own rule (pass theta)`);
  }
  const ntk = options.ntk ?? Array.from({ length: axes }, () => 1);
  checkAxisArray(ntk, 'ntk', axes, where, why);
  ntk.forEach((factor, axis) => {
    if (!isPositiveFinite(factor)) {
      throw new RangeError(`${where}: ntk[${axis}] is ${formatValue(factor)}; every NTK scale must be a positive finite number`);
    }
  });
  if (options.ntk !== undefined && frequencyLayout !== 'per-axis') {
    throw new RangeError(`${where}: ntk is ${formatValue(options.ntk)}; it scales per-axis ladders, and the ${frequencyLayout} layout has one global ladder (use thetaRescaleFactor)`);
  }
  const interpolationOption = options.interpolationFactor ?? 1;
  const interpolation =
    typeof interpolationOption === 'number' ? Array.from({ length: axes }, () => interpolationOption) : (interpolationOption as unknown);
  checkAxisArray(interpolation, 'interpolationFactor', axes, where, ' or one number');
  interpolation.forEach((factor) => {
    if (!isPositiveFinite(factor)) {
      throw new RangeError(
        `${where}: interpolationFactor is ${formatValue(interpolationOption)}; it must be a positive finite number or ${axes} of them`,
      );
    }
  });
  const maxPositions = options.maxPositions ?? DEFAULT_MAX_POSITIONS;
  if (!isPositiveInteger(maxPositions)) {
    throw new RangeError(`${where}: maxPositions is ${formatValue(maxPositions)}; it must be a positive integer`);
  }
  const segments = resolveSegments(options, axes, why, maxPositions, where);
  const tokens = segments.reduce((sum, segment) => sum + segmentTokens(segment, axes), 0);

  // the ladder: axis, frequency and phase of every rotated pair
  let thetas: number[];
  let ladder: FrequencyLadder;
  if (frequencyLayout === 'per-axis') {
    thetas = scaledThetas(axisDims, theta, rescale, ntk);
    ladder = perAxisLadder(axisDims, thetas);
  } else if (frequencyLayout === 'ltx') {
    thetas = [theta, theta, theta];
    ladder = ltxLadder(heads * headDim, theta);
    axisDims = [0, 1, 2].map((axis) => 2 * ladder.pairAxes.filter((a) => a === axis).length);
  } else {
    const globalTheta = scaledThetas([headDim], theta, rescale, [1])[0]!;
    thetas = axisDims.map(() => globalTheta);
    ladder = mropeLadder(section!, frequencyLayout === 'mrope-interleaved', headDim, globalTheta);
  }
  const amplitudes = Array.from({ length: axes }, () => 1);

  let riflex: ResolvedTableOptions['riflex'] = null;
  if (options.riflex !== undefined) {
    const { k, testFrames, scale = 0.9 } = options.riflex;
    const timePairs = ladder.pairAxes.flatMap((axis, pair) => (axis === 0 ? [pair] : []));
    const pairs = timePairs.length;
    if (!isPositiveInteger(k) || k > pairs) {
      throw new RangeError(`${where}: riflex.k is ${formatValue(k)}; it must be an integer in 1..${pairs} (the time axis has ${pairs} pairs)`);
    }
    if (!isPositiveFinite(testFrames)) {
      throw new RangeError(`${where}: riflex.testFrames is ${formatValue(testFrames)}; it must be a positive finite number of latent frames`);
    }
    if (!isPositiveFinite(scale)) {
      throw new RangeError(`${where}: riflex.scale is ${formatValue(scale)}; it must be a positive finite number (RIFLEx uses 0.9)`);
    }
    riflex = { k, testFrames, scale };
    ladder.frequencies[timePairs[k - 1]!] = (scale * 2 * Math.PI) / testFrames;
  }

  let yarn: ResolvedYarn[] | null = null;
  let dype: ResolvedDype | null = null;
  if (options.yarn !== undefined || options.dype !== undefined) {
    if (options.yarn !== undefined && options.dype !== undefined) {
      throw new TypeError(`${where}: both yarn and dype given; DyPE is a YaRN of its own: give one`);
    }
    const name = options.yarn !== undefined ? 'yarn' : 'dype';
    if (frequencyLayout !== 'per-axis') {
      throw new RangeError(`${where}: ${name} scales per-axis ladders; the ${frequencyLayout} layout (preset ${preset}) has none`);
    }
    if (riflex !== null) throw new TypeError(`${where}: both riflex and ${name} given; each rewrites the time frequencies: give one`);
    const scaling = (options.yarn ?? options.dype) as YarnOptions | DypeOptions;
    if (typeof scaling !== 'object' || scaling === null) {
      throw new TypeError(`${where}: ${name} is ${formatValue(scaling)}; it must be an object with factor and originalPositions`);
    }
    const factors = perAxis(scaling.factor, `${name}.factor`, axes, where);
    checkPositiveValues(factors, scaling.factor, `${name}.factor`, where);
    const original = perAxis(scaling.originalPositions, `${name}.originalPositions`, axes, where);
    checkPositiveValues(original, scaling.originalPositions, `${name}.originalPositions`, where);
    if (options.yarn !== undefined) {
      const { betaFast = 32, betaSlow = 1, attentionFactor } = options.yarn;
      if (!isPositiveFinite(betaFast) || !isPositiveFinite(betaSlow) || betaFast <= betaSlow) {
        throw new RangeError(
          `${where}: yarn.betaFast is ${formatValue(betaFast)} and yarn.betaSlow ${formatValue(betaSlow)}; both must be positive with betaFast > betaSlow (YaRN uses 32 and 1)`,
        );
      }
      const temperatures = attentionFactor === undefined ? null : perAxis(attentionFactor, 'yarn.attentionFactor', axes, where);
      if (temperatures !== null) checkPositiveValues(temperatures, attentionFactor, 'yarn.attentionFactor', where);
      yarn = factors.map((factor, axis) => ({
        factor,
        originalPositions: original[axis]!,
        betaFast,
        betaSlow,
        attentionFactor: temperatures?.[axis] ?? (factor > 1 ? 0.1 * Math.log(factor) + 1 : 1),
      }));
    } else {
      const { time, exponent = 2, buckets = 1000, method = 'yarn' } = options.dype!;
      if (method !== 'yarn' && method !== 'ntk') {
        throw new RangeError(`${where}: dype.method is ${formatValue(method)}; allowed: "yarn", "ntk"`);
      }
      if (!isPositiveInteger(buckets)) {
        throw new RangeError(`${where}: dype.buckets is ${formatValue(buckets)}; it must be a positive integer (tables are cached per 1/buckets of time)`);
      }
      if (typeof time !== 'number' || !(time >= 0 && time <= 1)) {
        throw new RangeError(`${where}: dype.time is ${formatValue(time)}; it must be a diffusion time in [0, 1] (t = 0 noise, t = 1 data)`);
      }
      if (!isPositiveFinite(exponent)) {
        throw new RangeError(`${where}: dype.exponent is ${formatValue(exponent)}; it must be a positive finite number (DyPE uses 2)`);
      }
      dype = { method, time: Math.round(time * buckets) / buckets, exponent, factors, originalPositions: original };
    }
    ladder = scaleLadder(ladder, axisDims, thetas, yarn, dype, amplitudes);
  }

  return {
    segments,
    tokens,
    headDim,
    heads,
    layout,
    frequencyLayout,
    axisDims,
    thetas,
    interpolation: [...interpolation],
    riflex,
    yarn,
    dype,
    pairAxes: ladder.pairAxes,
    frequencies: ladder.frequencies,
    phases: ladder.phases,
    amplitudes,
  };
}
