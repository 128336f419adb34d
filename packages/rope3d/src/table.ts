/**
 * 3D RoPE cos/sin tables in float64, with the semantics of HunyuanVideo's `get_nd_rotary_pos_embed`
 * and Wan2.1's `rope_params`: the head dim is split into time / height / width parts, and pair `j`
 * of an axis part with `d` channels rotates by `pos · θ^(−2j/d)`.
 */

import { LruCache } from './cache.js';
import {
  type AxisTriple,
  checkGrid,
  formatValue,
  isPositiveFinite,
  isPositiveInteger,
  type ResolvedTableOptions,
  type RopeLayout,
  type RopeTableOptions,
  resolveTableOptions,
} from './options.js';

/** A computed table: float64 cos and sin, `[tokens, headDim]` row-major in the table's layout. */
export interface RopeTable {
  /** `cos(angle)` per token and channel; each pair's angle written at both of its channels. */
  readonly cos: Float64Array;
  /** `sin(angle)` per token and channel (unsigned: the rotation's sign lives in {@link applyRope}). */
  readonly sin: Float64Array;
  readonly tokens: number;
  readonly headDim: number;
  readonly layout: RopeLayout;
  readonly grid: AxisTriple;
  readonly axisDims: AxisTriple;
  /** Per-axis θ after `thetaRescaleFactor` and `ntk`. */
  readonly thetas: AxisTriple;
  /** Rotation frequency per pair, `[time pairs | height pairs | width pairs]`, length `headDim / 2`, RIFLEx applied. */
  readonly frequencies: Float64Array;
  /** Canonical description of the configuration; equal keys mean equal tables. */
  readonly key: string;
}

/**
 * The frequencies `θ^(−2j/d)` of one axis part, as HunyuanVideo's `get_1d_rotary_pos_embed` and
 * Wan's `rope_params` compute them (here in float64).
 *
 * @param axisDim - channels of the axis part (even).
 * @param theta - the axis' θ.
 * @returns `axisDim / 2` frequencies in radians per position.
 */
function axisFrequencies(axisDim: number, theta: number): Float64Array {
  const out = new Float64Array(axisDim / 2);
  for (let j = 0; j < out.length; j++) out[j] = theta ** ((-2 * j) / axisDim);
  return out;
}

function computeTable(resolved: ResolvedTableOptions, key: string): RopeTable {
  const { grid, headDim, axisDims, thetas, interpolation, offset, layout, riflex } = resolved;
  const half = headDim / 2;
  const frequencies = new Float64Array(half);
  const axisStart: number[] = [];
  let start = 0;
  for (let axis = 0; axis < 3; axis++) {
    axisStart.push(start);
    frequencies.set(axisFrequencies(axisDims[axis]!, thetas[axis]!), start);
    start += axisDims[axis]! / 2;
  }
  if (riflex !== null) frequencies[riflex.k - 1] = (riflex.scale * 2 * Math.PI) / riflex.testFrames;
  const [T, H, W] = grid;
  const tokens = T * H * W;
  // cos/sin depend on one axis position each: evaluate them per axis position, then copy
  const axisCos: Float64Array[] = [];
  const axisSin: Float64Array[] = [];
  for (let axis = 0; axis < 3; axis++) {
    const first = axisStart[axis]!;
    const pairs = axisDims[axis]! / 2;
    const positions = grid[axis]!;
    const c = new Float64Array(positions * pairs);
    const sn = new Float64Array(positions * pairs);
    for (let p = 0; p < positions; p++) {
      const pos = (p + offset[axis]!) * interpolation[axis]!;
      for (let j = 0; j < pairs; j++) {
        const angle = pos * frequencies[first + j]!;
        c[p * pairs + j] = Math.cos(angle);
        sn[p * pairs + j] = Math.sin(angle);
      }
    }
    axisCos.push(c);
    axisSin.push(sn);
  }
  const cos = new Float64Array(tokens * headDim);
  const sin = new Float64Array(tokens * headDim);
  // channel of pair p: packed p and p + D/2, interleaved 2p and 2p + 1
  const [step, partner] = layout === 'packed' ? [1, half] : [2, 1];
  const position = [0, 0, 0];
  for (let s = 0; s < tokens; s++) {
    position[0] = Math.floor(s / (H * W));
    position[1] = Math.floor(s / W) % H;
    position[2] = s % W;
    for (let axis = 0; axis < 3; axis++) {
      const pairs = axisDims[axis]! / 2;
      const source = position[axis]! * pairs;
      const c = axisCos[axis]!;
      const sn = axisSin[axis]!;
      for (let j = 0; j < pairs; j++) {
        const a = s * headDim + step * (axisStart[axis]! + j);
        cos[a] = c[source + j]!;
        cos[a + partner] = c[source + j]!;
        sin[a] = sn[source + j]!;
        sin[a + partner] = sn[source + j]!;
      }
    }
  }
  return Object.freeze({
    cos,
    sin,
    tokens,
    headDim,
    layout,
    grid: Object.freeze([...grid]) as unknown as AxisTriple,
    axisDims: Object.freeze([...axisDims]) as unknown as AxisTriple,
    thetas: Object.freeze([...thetas]) as unknown as AxisTriple,
    frequencies,
    key,
  });
}

const TABLE_CACHE_SIZE = 64;

/** The tables {@link ropeTable} has built, by configuration; {@link applyRope} frees a dropped table's tensors. */
export const tableCache = new LruCache<RopeTable>(TABLE_CACHE_SIZE);

/**
 * Builds (or returns the cached) 3D RoPE table for a grid and configuration, in float64.
 *
 * Pair `j` of axis `a` (with `d_a` channels) rotates token `(t, h, w)` by
 * `(p_a + offset_a) · f_a · θ_a^(−2j/d_a)`, with `θ_a = θ · (r · ntk_a)^(d_a/(d_a−2))`, as in
 * HunyuanVideo's `get_nd_rotary_pos_embed` (`theta_rescale_factor r`, `interpolation_factor f`)
 * and Wan2.1's `rope_params`. RIFLEx, when given, replaces time frequency `k−1` by `scale·2π/testFrames`.
 * Up to 64 configurations stay cached (least recently used dropped first).
 *
 * @param options - grid, head dim, split and the options of {@link RopeTableOptions}.
 * @returns a frozen table; the same object for the same configuration while cached.
 * @throws {TypeError} when options is not an object, or grid, axisDims, offset, ntk or a three-value
 *   interpolationFactor is not an array of 3.
 * @throws {RangeError} when a grid entry is not a positive integer, the head dim is not even, an axis
 *   part is odd, the parts do not sum to the head dim, the preset or layout is unknown, a θ / factor /
 *   NTK scale is not positive, the RIFLEx index is bad, or positions go beyond `maxPositions`.
 */
export function ropeTable(options: RopeTableOptions): RopeTable {
  const resolved = resolveTableOptions(options);
  const key = JSON.stringify(resolved);
  return tableCache.getOrCreate(key, () => computeTable(resolved, key));
}

/**
 * Integer positions `(t, h, w)` of every token of a grid, in token order `s = (t·H + h)·W + w`.
 *
 * @param grid - `[T, H, W]`.
 * @param offset - position of the first token on each axis; default `[0, 0, 0]`.
 * @returns `[tokens, 3]` row-major.
 * @throws {TypeError} when grid is not an array of 3.
 * @throws {RangeError} when a grid entry is not a positive integer.
 */
export function tokenPositions(grid: AxisTriple, offset: AxisTriple = [0, 0, 0]): Int32Array {
  checkGrid(grid, 'tokenPositions');
  const [T, H, W] = grid;
  const out = new Int32Array(T * H * W * 3);
  for (let s = 0; s < T * H * W; s++) {
    out[3 * s] = Math.floor(s / (H * W)) + offset[0];
    out[3 * s + 1] = (Math.floor(s / W) % H) + offset[1];
    out[3 * s + 2] = (s % W) + offset[2];
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
  const frequencies = axisFrequencies(axisDim, theta);
  let best = 0;
  frequencies.forEach((omega, j) => {
    const distance = Math.abs((2 * Math.PI) / omega - repetitionFrames);
    if (distance < Math.abs((2 * Math.PI) / frequencies[best]! - repetitionFrames)) best = j;
  });
  return { k: best + 1, periodFrames: (2 * Math.PI) / frequencies[best]! };
}
