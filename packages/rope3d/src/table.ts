/**
 * 3D RoPE cos/sin tables in float64, with the semantics of HunyuanVideo's `get_nd_rotary_pos_embed`
 * and Wan2.1's `rope_params`: the head dim is split into time / height / width parts, and pair `j`
 * of an axis part with `d` channels rotates by `pos · θ^(−2j/d)`.
 */

/** Channel order of the rotated pairs: `interleaved` = (2j, 2j+1) (the reference models), `packed` = (j, j + D/2). */
export type RopeLayout = 'packed' | 'interleaved';

/** Axis split and θ of a reference model: `hunyuan` = HunyuanVideo, `wan` = Wan2.1. */
export type RopePreset = 'hunyuan' | 'wan';

/** A `[time, height, width]` triple. */
export type AxisTriple = readonly [number, number, number];

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

/** Everything that defines a table. */
export interface RopeTableOptions {
  /** `[T, H, W]` token grid after patchify; the token order is `s = (t·H + h)·W + w`. */
  readonly grid: AxisTriple;
  /** Channels per attention head. */
  readonly headDim: number;
  /** Explicit `[time, height, width]` channel split (even, summing to `headDim`); else from `preset`. */
  readonly axisDims?: AxisTriple;
  /** Split rule and θ of a reference model; default: the `wan` split rule with θ = 10000. */
  readonly preset?: RopePreset;
  /** RoPE base θ; default 256 for `hunyuan`, 10000 otherwise. */
  readonly theta?: number;
  /** HunyuanVideo's `theta_rescale_factor r`: `θ ← θ · r^(d/(d−2))` on every axis (NTK-aware scaling). */
  readonly thetaRescaleFactor?: number;
  /** HunyuanVideo's `interpolation_factor f`: `pos ← pos · f` (position interpolation); one value or one per axis. */
  readonly interpolationFactor?: number | AxisTriple;
  /** Integer position of the first token on each axis (e.g. conditioning frames placed before the generated ones); default `[0, 0, 0]`. */
  readonly offset?: AxisTriple;
  /** Channel layout of the table; default `packed`. */
  readonly layout?: RopeLayout;
  /** RIFLEx temporal extrapolation; see {@link RiflexOptions}. */
  readonly riflex?: RiflexOptions;
  /** NTK-style θ scaling per axis: `θ_a ← θ_a · s_a^(d_a/(d_a−2))`, e.g. `[1, 2, 2]` for twice the trained height and width. */
  readonly ntk?: AxisTriple;
  /** Positions per axis the table may use (Wan2.1 builds its tables for 1024); `offset + grid` beyond it throws. Default 1024. */
  readonly maxPositions?: number;
}

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

/** Positions per axis a table may use unless `maxPositions` says otherwise (Wan2.1's `rope_params(1024, …)`). */
export const DEFAULT_MAX_POSITIONS = 1024;

/** The presets' default θ and where they come from. */
export const ROPE_PRESETS: Readonly<Record<RopePreset, { readonly theta: number; readonly source: string }>> = {
  hunyuan: {
    theta: 256,
    source: 'Tencent/HunyuanVideo hyvideo/modules/posemb_layers.py, rope_dim_list [16, 56, 56], --rope-theta 256',
  },
  wan: {
    theta: 10000,
    source: 'Wan-Video/Wan2.1 wan/modules/model.py rope_params: [d − 4⌊d/6⌋, 2⌊d/6⌋, 2⌊d/6⌋], theta 10000',
  },
};

const LAYOUTS: readonly RopeLayout[] = ['packed', 'interleaved'];

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function checkPreset(preset: unknown, where: string): asserts preset is RopePreset {
  if (typeof preset !== 'string' || !Object.hasOwn(ROPE_PRESETS, preset)) {
    throw new RangeError(`${where}: preset is ${describe(preset)}; allowed: ${Object.keys(ROPE_PRESETS).map(describe).join(', ')}`);
  }
}

function checkHeadDim(headDim: unknown, where: string): asserts headDim is number {
  if (!isPositiveInteger(headDim) || headDim % 2 !== 0) {
    throw new RangeError(`${where}: headDim is ${describe(headDim)}; it must be an even positive integer`);
  }
}

function checkTriple(value: unknown, name: string, where: string): asserts value is AxisTriple {
  if (!Array.isArray(value) || value.length !== 3) {
    throw new TypeError(`${where}: ${name} is ${describe(value)}; it must be a [time, height, width] array of 3 numbers`);
  }
}

/**
 * The `[time, height, width]` channel split a preset gives for a head dim.
 *
 * - `wan`: `[d − 4⌊d/6⌋, 2⌊d/6⌋, 2⌊d/6⌋]` (Wan2.1's rule, any even `d`; 44/42/42 at 128).
 * - `hunyuan`: HunyuanVideo's `[16, 56, 56]` at 128, scaled in proportion: `[d/8, 7d/16, 7d/16]`,
 *   defined where every part is even, i.e. `d` a multiple of 32 (64 → [8, 28, 28]); pass `axisDims` otherwise.
 *
 * @param preset `'hunyuan'` or `'wan'`.
 * @param headDim channels per head.
 * @returns the three axis parts, each even, summing to `headDim`.
 * @throws {RangeError} for an unknown preset, a head dim that is not an even positive integer, or
 *   (for `hunyuan`) one that is not a multiple of 32.
 */
export function axisDimsFor(preset: RopePreset, headDim: number): [number, number, number] {
  checkPreset(preset, 'axisDimsFor');
  checkHeadDim(headDim, 'axisDimsFor');
  if (preset === 'wan') {
    const part = 2 * Math.floor(headDim / 6);
    return [headDim - 2 * part, part, part];
  }
  if (headDim % 32 !== 0) {
    throw new RangeError(
      `axisDimsFor: headDim is ${headDim}; the hunyuan split [d/8, 7d/16, 7d/16] needs a multiple of 32 so every part is even; pass axisDims explicitly`,
    );
  }
  return [headDim / 8, (7 * headDim) / 16, (7 * headDim) / 16];
}

/**
 * Checks an explicit axis split against a head dim.
 *
 * @param axisDims `[time, height, width]` channel counts.
 * @param headDim channels per head.
 * @param where the calling function, for the message.
 * @throws {RangeError|TypeError} for a part that is not an even non-negative integer, or parts that do not sum to `headDim`.
 */
export function checkAxisDims(axisDims: unknown, headDim: number, where: string): asserts axisDims is AxisTriple {
  checkTriple(axisDims, 'axisDims', where);
  axisDims.forEach((part, axis) => {
    if (typeof part !== 'number' || !Number.isInteger(part) || part < 0 || part % 2 !== 0) {
      throw new RangeError(
        `${where}: axisDims[${axis}] is ${describe(part)} (axisDims ${describe(axisDims)}); every axis part must be an even non-negative integer, since channels rotate in pairs`,
      );
    }
  });
  const sum = axisDims[0] + axisDims[1] + axisDims[2];
  if (sum !== headDim) {
    throw new RangeError(`${where}: axisDims ${describe(axisDims)} sum to ${sum}; they must sum to headDim ${headDim}`);
  }
}

/**
 * Checks a token grid.
 *
 * @param grid `[T, H, W]`.
 * @param where the calling function, for the message.
 * @throws {RangeError|TypeError} unless every entry is a positive integer.
 */
export function checkGrid(grid: unknown, where: string): asserts grid is AxisTriple {
  checkTriple(grid, 'grid', where);
  grid.forEach((size, axis) => {
    if (!isPositiveInteger(size)) {
      throw new RangeError(`${where}: grid[${axis}] is ${describe(size)} (grid ${describe(grid)}); every grid size must be a positive integer`);
    }
  });
}

interface ResolvedOptions {
  grid: AxisTriple;
  headDim: number;
  axisDims: AxisTriple;
  thetas: AxisTriple;
  interpolation: AxisTriple;
  offset: AxisTriple;
  layout: RopeLayout;
  riflex: { k: number; testFrames: number; scale: number } | null;
}

function resolve(options: RopeTableOptions): ResolvedOptions {
  const where = 'ropeTable';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options is ${describe(options)}; pass an object with at least grid and headDim`);
  }
  checkGrid(options.grid, where);
  checkHeadDim(options.headDim, where);
  if (options.preset !== undefined) checkPreset(options.preset, where);
  const layout = options.layout ?? 'packed';
  if (!LAYOUTS.includes(layout)) {
    throw new RangeError(`${where}: layout is ${describe(layout)}; allowed: ${LAYOUTS.map(describe).join(', ')}`);
  }
  let axisDims: AxisTriple;
  if (options.axisDims !== undefined) {
    checkAxisDims(options.axisDims, options.headDim, where);
    axisDims = [...options.axisDims];
  } else {
    axisDims = axisDimsFor(options.preset ?? 'wan', options.headDim);
  }
  const theta = options.theta ?? ROPE_PRESETS[options.preset ?? 'wan'].theta;
  if (!isPositiveFinite(theta)) {
    throw new RangeError(`${where}: theta is ${describe(theta)}; it must be a positive finite number`);
  }
  const rescale = options.thetaRescaleFactor ?? 1;
  if (!isPositiveFinite(rescale)) {
    throw new RangeError(`${where}: thetaRescaleFactor is ${describe(rescale)}; it must be a positive finite number`);
  }
  const ntk = options.ntk ?? [1, 1, 1];
  checkTriple(ntk, 'ntk', where);
  ntk.forEach((factor, axis) => {
    if (!isPositiveFinite(factor)) {
      throw new RangeError(`${where}: ntk[${axis}] is ${describe(factor)}; every NTK scale must be a positive finite number`);
    }
  });
  const interpolationOption = options.interpolationFactor ?? 1;
  const interpolation: AxisTriple =
    typeof interpolationOption === 'number' ? [interpolationOption, interpolationOption, interpolationOption] : interpolationOption;
  checkTriple(interpolation, 'interpolationFactor', where);
  interpolation.forEach((factor) => {
    if (!isPositiveFinite(factor)) {
      throw new RangeError(
        `${where}: interpolationFactor is ${describe(interpolationOption)}; it must be a positive finite number or three of them`,
      );
    }
  });
  const offset = options.offset ?? [0, 0, 0];
  checkTriple(offset, 'offset', where);
  offset.forEach((start, axis) => {
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
      throw new RangeError(`${where}: offset[${axis}] is ${describe(start)}; every offset must be a non-negative integer`);
    }
  });
  const maxPositions = options.maxPositions ?? DEFAULT_MAX_POSITIONS;
  if (!isPositiveInteger(maxPositions)) {
    throw new RangeError(`${where}: maxPositions is ${describe(maxPositions)}; it must be a positive integer`);
  }
  const axisNames = ['time', 'height', 'width'];
  for (let axis = 0; axis < 3; axis++) {
    const last = offset[axis]! + options.grid[axis]! - 1;
    if (last >= maxPositions) {
      throw new RangeError(
        `${where}: ${axisNames[axis]} positions reach ${last} (offset ${offset[axis]} + grid ${options.grid[axis]} − 1); the table is built for positions 0..${maxPositions - 1} (maxPositions ${maxPositions})`,
      );
    }
  }
  const thetas = axisDims.map((dim, axis) => {
    if (dim <= 2) return theta;
    return theta * (rescale * ntk[axis]!) ** (dim / (dim - 2));
  }) as unknown as AxisTriple;
  let riflex: ResolvedOptions['riflex'] = null;
  if (options.riflex !== undefined) {
    const { k, testFrames, scale = 0.9 } = options.riflex;
    const pairs = axisDims[0] / 2;
    if (!isPositiveInteger(k) || k > pairs) {
      throw new RangeError(`${where}: riflex.k is ${describe(k)}; it must be an integer in 1..${pairs} (the time axis has ${pairs} pairs)`);
    }
    if (!isPositiveFinite(testFrames)) {
      throw new RangeError(`${where}: riflex.testFrames is ${describe(testFrames)}; it must be a positive finite number of latent frames`);
    }
    if (!isPositiveFinite(scale)) {
      throw new RangeError(`${where}: riflex.scale is ${describe(scale)}; it must be a positive finite number (RIFLEx uses 0.9)`);
    }
    riflex = { k, testFrames, scale };
  }
  return {
    grid: [...options.grid],
    headDim: options.headDim,
    axisDims,
    thetas,
    interpolation: [...interpolation],
    offset: [...offset],
    layout,
    riflex,
  };
}

/**
 * The frequencies `θ^(−2j/d)` of one axis part, as HunyuanVideo's `get_1d_rotary_pos_embed` and
 * Wan's `rope_params` compute them (here in float64).
 *
 * @param axisDim channels of the axis part (even).
 * @param theta the axis' θ.
 * @returns `axisDim / 2` frequencies in radians per position.
 */
function axisFrequencies(axisDim: number, theta: number): Float64Array {
  const out = new Float64Array(axisDim / 2);
  for (let j = 0; j < out.length; j++) out[j] = theta ** ((-2 * j) / axisDim);
  return out;
}

function computeTable(resolved: ResolvedOptions, key: string): RopeTable {
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
const tableCache = new Map<string, RopeTable>();
const evictionListeners: Array<(table: RopeTable) => void> = [];

/**
 * Registers a function called with each table the cache drops (used to free its uploaded tensors).
 *
 * @param listener called once per evicted table.
 */
export function onTableEvicted(listener: (table: RopeTable) => void): void {
  evictionListeners.push(listener);
}

/** Empties the table cache, telling the eviction listeners about every table. */
export function clearTableCache(): void {
  const tables = [...tableCache.values()];
  tableCache.clear();
  for (const table of tables) for (const listener of evictionListeners) listener(table);
}

/**
 * Builds (or returns the cached) 3D RoPE table for a grid and configuration, in float64.
 *
 * Pair `j` of axis `a` (with `d_a` channels) rotates token `(t, h, w)` by
 * `(p_a + offset_a) · f_a · θ_a^(−2j/d_a)`, with `θ_a = θ · (r · ntk_a)^(d_a/(d_a−2))`, as in
 * HunyuanVideo's `get_nd_rotary_pos_embed` (`theta_rescale_factor r`, `interpolation_factor f`)
 * and Wan2.1's `rope_params`. RIFLEx, when given, replaces time frequency `k−1` by `scale·2π/testFrames`.
 * Up to 64 configurations stay cached (least recently used dropped first).
 *
 * @param options grid, head dim, split and the options of {@link RopeTableOptions}.
 * @returns a frozen table; the same object for the same configuration while cached.
 * @throws {RangeError|TypeError} for a grid entry that is not a positive integer, a head dim that is
 *   not even, an odd axis part, parts that do not sum to the head dim, an unknown preset or layout,
 *   a non-positive θ / factor / NTK scale, a bad RIFLEx index, or positions beyond `maxPositions`.
 */
export function ropeTable(options: RopeTableOptions): RopeTable {
  const resolved = resolve(options);
  const key = JSON.stringify(resolved);
  const cached = tableCache.get(key);
  if (cached !== undefined) {
    tableCache.delete(key);
    tableCache.set(key, cached);
    return cached;
  }
  const table = computeTable(resolved, key);
  tableCache.set(key, table);
  if (tableCache.size > TABLE_CACHE_SIZE) {
    const oldest = tableCache.keys().next().value as string;
    const evicted = tableCache.get(oldest)!;
    tableCache.delete(oldest);
    for (const listener of evictionListeners) listener(evicted);
  }
  return table;
}

/**
 * Integer positions `(t, h, w)` of every token of a grid, in token order `s = (t·H + h)·W + w`.
 *
 * @param grid `[T, H, W]`.
 * @param offset position of the first token on each axis; default `[0, 0, 0]`.
 * @returns `[tokens, 3]` row-major.
 * @throws {RangeError|TypeError} for a grid entry that is not a positive integer.
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
 * @param options `axisDim` (channels of the time part), `theta`, `repetitionFrames` (first repeated latent frame).
 * @returns `k` (1-based, for {@link RiflexOptions.k}) and `periodFrames` (`N_k`): apply RIFLEx without
 *   fine-tuning only when the test length exceeds `periodFrames`.
 * @throws {RangeError} for an odd or non-positive axis dim, or a non-positive θ or frame count.
 */
export function riflexIntrinsicFrequency(options: { axisDim: number; theta: number; repetitionFrames: number }): {
  k: number;
  periodFrames: number;
} {
  const { axisDim, theta, repetitionFrames } = options;
  if (!isPositiveInteger(axisDim) || axisDim % 2 !== 0) {
    throw new RangeError(`riflexIntrinsicFrequency: axisDim is ${describe(axisDim)}; it must be an even positive integer (channels of the time part)`);
  }
  if (!isPositiveFinite(theta)) {
    throw new RangeError(`riflexIntrinsicFrequency: theta is ${describe(theta)}; it must be a positive finite number`);
  }
  if (!isPositiveFinite(repetitionFrames)) {
    throw new RangeError(`riflexIntrinsicFrequency: repetitionFrames is ${describe(repetitionFrames)}; it must be a positive number of latent frames`);
  }
  const frequencies = axisFrequencies(axisDim, theta);
  let best = 0;
  frequencies.forEach((omega, j) => {
    const distance = Math.abs((2 * Math.PI) / omega - repetitionFrames);
    if (distance < Math.abs((2 * Math.PI) / frequencies[best]! - repetitionFrames)) best = j;
  });
  return { k: best + 1, periodFrames: (2 * Math.PI) / frequencies[best]! };
}
