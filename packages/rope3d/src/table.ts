/**
 * RoPE cos/sin tables in float64, with the semantics of HunyuanVideo's `get_nd_rotary_pos_embed`
 * and Wan2.1's `rope_params` and of the other presets' reference code: every rotated pair reads
 * one position axis and turns by `pos · ω + phase`, for grids, positions given per token, and
 * concatenations of both.
 */

import { LruCache } from './cache.js';
import { axisLadder } from './frequencies.js';
import {
  type AxisValues,
  axisNames,
  checkGrid,
  formatValue,
  isPositiveFinite,
  isPositiveInteger,
  type ResolvedSegment,
  type ResolvedTableOptions,
  type RopeLayout,
  type RopeTableOptions,
  resolveTableOptions,
  segmentTokens,
} from './options.js';

/** A part of a table's token sequence. */
export interface RopeTableSegment {
  /** Tokens of the part. */
  readonly tokens: number;
  /** Its grid, or null when its positions were given. */
  readonly grid: readonly number[] | null;
}

/** A computed table: float64 cos and sin, `[tokens, heads, headDim]` row-major in the table's layout (`heads` is 1 unless the ladder spans heads). */
export interface RopeTable {
  /** `cos(angle)` per token and channel; each pair's angle written at both of its channels. */
  readonly cos: Float64Array;
  /** `sin(angle)` per token and channel (unsigned: the rotation's sign lives in {@link applyRope}). */
  readonly sin: Float64Array;
  readonly tokens: number;
  readonly headDim: number;
  /** Heads with a table row of their own: 1 (one row per token, shared by every head), or the `ltx-video` table's `heads`. */
  readonly heads: number;
  readonly layout: RopeLayout;
  /** The grid of a table made from one grid; null for positions or segments. */
  readonly grid: readonly number[] | null;
  /** The parts of the sequence, in order (one for a grid or positions). */
  readonly segments: readonly RopeTableSegment[];
  /** Channels per axis (per head; over all heads for `ltx-video`). */
  readonly axisDims: readonly number[];
  /** Per-axis θ after `thetaRescaleFactor` and `ntk`. */
  readonly thetas: readonly number[];
  /** Rotation frequency per pair in pair order (`[time pairs | height pairs | width pairs]` for per-axis ladders), `heads · headDim / 2` of them, RIFLEx / YaRN / DyPE applied. */
  readonly frequencies: Float64Array;
  /** The axis each pair reads, −1 for a padding pair (cos 1, sin 0). */
  readonly pairAxes: Int8Array;
  /** Canonical description of the configuration; equal keys mean equal tables. */
  readonly key: string;
}

interface Channels {
  /** Per pair, its two channels within a token's row of `heads · headDim`. */
  readonly first: Int32Array;
  readonly second: Int32Array;
  /** Per axis, the pairs that read it. */
  readonly axisPairs: Int32Array[];
}

function channelsOf(resolved: ResolvedTableOptions): Channels {
  const { headDim, layout, pairAxes } = resolved;
  const half = headDim / 2;
  const first = new Int32Array(pairAxes.length);
  const second = new Int32Array(pairAxes.length);
  pairAxes.forEach((_, p) => {
    const base = Math.floor(p / half) * headDim;
    const j = p % half;
    // packed: j and j + D/2; interleaved: 2j and 2j + 1 (within the pair's head)
    first[p] = base + (layout === 'packed' ? j : 2 * j);
    second[p] = base + (layout === 'packed' ? j + half : 2 * j + 1);
  });
  const axes = resolved.interpolation.length;
  const axisPairs = Array.from({ length: axes }, (_, axis) => Int32Array.from(pairAxes.flatMap((a, p) => (a === axis ? [p] : []))));
  return { first, second, axisPairs };
}

function writeSegment(resolved: ResolvedTableOptions, segment: ResolvedSegment, firstToken: number, channels: Channels, cos: Float64Array, sin: Float64Array): void {
  const { interpolation, frequencies, phases, amplitudes } = resolved;
  const width = resolved.heads * resolved.headDim;
  const axes = interpolation.length;
  const { first, second, axisPairs } = channels;
  const angleOf = (pos: number, p: number) => (phases === null ? pos * frequencies[p]! : pos * frequencies[p]! + phases[p]!);
  const write = (row: number, p: number, c: number, sn: number) => {
    cos[row + first[p]!] = c;
    cos[row + second[p]!] = c;
    sin[row + first[p]!] = sn;
    sin[row + second[p]!] = sn;
  };
  if ('positions' in segment) {
    const tokens = segmentTokens(segment, axes);
    for (let s = 0; s < tokens; s++) {
      const row = (firstToken + s) * width;
      for (let axis = 0; axis < axes; axis++) {
        const pos = segment.positions[s * axes + axis]! * interpolation[axis]!;
        const amplitude = amplitudes[axis]!;
        for (const p of axisPairs[axis]!) {
          const angle = angleOf(pos, p);
          write(row, p, amplitude * Math.cos(angle), amplitude * Math.sin(angle));
        }
      }
    }
    return;
  }
  // on a grid cos/sin depend on one axis coordinate each: evaluate them per coordinate, then copy
  const { grid, offset } = segment;
  const axisCos: Float64Array[] = [];
  const axisSin: Float64Array[] = [];
  for (let axis = 0; axis < axes; axis++) {
    const pairs = axisPairs[axis]!;
    const c = new Float64Array(grid[axis]! * pairs.length);
    const sn = new Float64Array(grid[axis]! * pairs.length);
    const amplitude = amplitudes[axis]!;
    for (let k = 0; k < grid[axis]!; k++) {
      const pos = (k + offset[axis]!) * interpolation[axis]!;
      pairs.forEach((p, j) => {
        const angle = angleOf(pos, p);
        c[k * pairs.length + j] = amplitude * Math.cos(angle);
        sn[k * pairs.length + j] = amplitude * Math.sin(angle);
      });
    }
    axisCos.push(c);
    axisSin.push(sn);
  }
  const tokens = segmentTokens(segment, axes);
  const coordinate = new Int32Array(axes);
  for (let s = 0; s < tokens; s++) {
    // row-major: the last axis runs fastest, s = (t·H + h)·W + w for three axes
    let rest = s;
    for (let axis = axes - 1; axis >= 0; axis--) {
      coordinate[axis] = rest % grid[axis]!;
      rest = Math.floor(rest / grid[axis]!);
    }
    const row = (firstToken + s) * width;
    for (let axis = 0; axis < axes; axis++) {
      const pairs = axisPairs[axis]!;
      const source = coordinate[axis]! * pairs.length;
      const c = axisCos[axis]!;
      const sn = axisSin[axis]!;
      for (let j = 0; j < pairs.length; j++) write(row, pairs[j]!, c[source + j]!, sn[source + j]!);
    }
  }
}

function computeTable(resolved: ResolvedTableOptions, key: string): RopeTable {
  const { segments, tokens, headDim, heads, layout, pairAxes } = resolved;
  const axes = resolved.interpolation.length;
  const width = heads * headDim;
  const cos = new Float64Array(tokens * width);
  const sin = new Float64Array(tokens * width);
  const channels = channelsOf(resolved);
  // padding pairs: cos 1, sin 0
  pairAxes.forEach((axis, p) => {
    if (axis !== -1) return;
    for (let s = 0; s < tokens; s++) {
      cos[s * width + channels.first[p]!] = 1;
      cos[s * width + channels.second[p]!] = 1;
    }
  });
  let firstToken = 0;
  for (const segment of segments) {
    writeSegment(resolved, segment, firstToken, channels, cos, sin);
    firstToken += segmentTokens(segment, axes);
  }
  const frozen = (values: readonly number[]) => Object.freeze([...values]);
  const single = segments.length === 1 ? segments[0]! : null;
  return Object.freeze({
    cos,
    sin,
    tokens,
    headDim,
    heads,
    layout,
    grid: single !== null && 'grid' in single ? frozen(single.grid) : null,
    segments: Object.freeze(
      segments.map((segment) => Object.freeze({ tokens: segmentTokens(segment, axes), grid: 'grid' in segment ? frozen(segment.grid) : null })),
    ),
    axisDims: frozen(resolved.axisDims),
    thetas: frozen(resolved.thetas),
    frequencies: Float64Array.from(resolved.frequencies),
    pairAxes: Int8Array.from(pairAxes),
    key,
  });
}

const TABLE_CACHE_SIZE = 64;

/** The tables {@link ropeTable} has built, by configuration; {@link applyRope} frees a dropped table's tensors. */
export const tableCache = new LruCache<RopeTable>(TABLE_CACHE_SIZE);

/**
 * Builds (or returns the cached) RoPE table for a grid, positions or segments, in float64.
 *
 * With per-axis ladders (the default), pair `j` of axis `a` (with `d_a` channels) rotates a token at
 * position `p_a` (its grid index plus `offset_a`, or the given position) by
 * `p_a · f_a · θ_a^(−2j/d_a)`, with `θ_a = θ · (r · ntk_a)^(d_a/(d_a−2))`, as in HunyuanVideo's
 * `get_nd_rotary_pos_embed` (`theta_rescale_factor r`, `interpolation_factor f`) and Wan2.1's
 * `rope_params`. RIFLEx, when given, replaces time frequency `k−1` by `scale·2π/testFrames`; YaRN
 * and DyPE replace whole axis ladders and scale their cos and sin. `mrope` and the Qwen presets
 * assign the global ladder `θ^(−2j/D)` to axes; `ltx-video` lays one ladder over all heads.
 * Positions are latent-token coordinates, not the diffusion time (which only `dype.time` takes:
 * t = 0 noise, t = 1 data). Up to 64 configurations stay cached (least recently used dropped
 * first); the key holds every option, DyPE's time rounded to its bucket.
 *
 * @param options - headDim, one of grid / positions / segments, and the options of {@link RopeTableOptions}.
 * @returns a frozen table; the same object for the same configuration while cached.
 * @throws {TypeError} when options is not an object, not exactly one of grid, positions and segments
 *   is given, or a per-axis option or position row has the wrong number of entries.
 * @throws {RangeError} when a grid entry is not a positive integer, a position is not finite, the
 *   head dim is not even, an axis part is odd, the parts (or M-RoPE sections) do not sum to the head
 *   dim (or half of it), the preset or layout is unknown, a θ / factor / NTK scale is not positive,
 *   the RIFLEx index is bad, or grid positions go beyond `maxPositions`.
 */
export function ropeTable(options: RopeTableOptions): RopeTable {
  const resolved = resolveTableOptions(options);
  const key = JSON.stringify(resolved);
  return tableCache.getOrCreate(key, () => computeTable(resolved, key));
}

/**
 * Integer positions of every token of a grid, in row-major token order (`s = (t·H + h)·W + w` for three axes).
 *
 * @param grid - one size per axis (`[T, H, W]`).
 * @param offset - integer position of the first token on each axis (may be negative); default zeros.
 * @returns `[tokens, axes]` row-major, e.g. for {@link RopeTableOptions.positions}.
 * @throws {TypeError} when grid is not an array, or offset not one of the same length.
 * @throws {RangeError} when a grid entry is not a positive integer, or an offset not an integer.
 */
export function tokenPositions(grid: AxisValues, offset?: AxisValues): Int32Array {
  const axes = Array.isArray(grid) && grid.length > 0 ? grid.length : 3;
  checkGrid(grid, 'tokenPositions', axes);
  const start = offset ?? grid.map(() => 0);
  if (!Array.isArray(start) || start.length !== axes || !start.every((value) => Number.isInteger(value))) {
    throw new TypeError(`tokenPositions: offset is ${formatValue(offset)}; it must be ${axes} integers, one per axis (${axisNames(axes).join(', ')})`);
  }
  const tokens = grid.reduce((a, b) => a * b, 1);
  const out = new Int32Array(tokens * axes);
  for (let s = 0; s < tokens; s++) {
    let rest = s;
    for (let axis = axes - 1; axis >= 0; axis--) {
      out[s * axes + axis] = (rest % grid[axis]!) + start[axis]!;
      rest = Math.floor(rest / grid[axis]!);
    }
  }
  return out;
}

/**
 * RIFLEx's `identify_k`: the time-axis pair whose period `2π/ω_j` (in latent frames) is closest to
 * the frame where a model's generations start to repeat.
 *
 * HunyuanVideo (time part 16, θ 256, repetition at about 48 latent frames) gives k = 4, period 50.3;
 * Wan2.1 uses k = 6.
 *
 * @param options - `axisDim` (channels of the time part), `theta`, `repetitionFrames` (first repeated latent frame).
 * @returns `k` (1-based, for {@link RiflexOptions.k}) and `periodFrames` (`N_k`): apply RIFLEx without
 *   fine-tuning only when the test length exceeds `periodFrames`.
 * @throws {RangeError} when the axis dim is odd or not positive, or θ or the frame count is not positive.
 */
export function riflexIntrinsicFrequency(options: { axisDim: number; theta: number; repetitionFrames: number }): {
  k: number;
  periodFrames: number;
} {
  const { axisDim, theta, repetitionFrames } = options;
  if (!isPositiveInteger(axisDim) || axisDim % 2 !== 0) {
    throw new RangeError(`riflexIntrinsicFrequency: axisDim is ${formatValue(axisDim)}; it must be an even positive integer (channels of the time part)`);
  }
  if (!isPositiveFinite(theta)) {
    throw new RangeError(`riflexIntrinsicFrequency: theta is ${formatValue(theta)}; it must be a positive finite number`);
  }
  if (!isPositiveFinite(repetitionFrames)) {
    throw new RangeError(`riflexIntrinsicFrequency: repetitionFrames is ${formatValue(repetitionFrames)}; it must be a positive number of latent frames`);
  }
  const frequencies = axisLadder(axisDim, theta);
  let best = 0;
  frequencies.forEach((omega, j) => {
    const distance = Math.abs((2 * Math.PI) / omega - repetitionFrames);
    if (distance < Math.abs((2 * Math.PI) / frequencies[best]! - repetitionFrames)) best = j;
  });
  return { k: best + 1, periodFrames: (2 * Math.PI) / frequencies[best]! };
}
