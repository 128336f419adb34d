/*
 * What a table is made of: the option types, the presets, the checks every public entry shares,
 * and the resolution of options into the complete configuration the table is computed (and
 * cached) from.
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

/** A value as error messages show it: strings quoted, arrays bracketed. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
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

function checkTriple(value: unknown, name: string, where: string): asserts value is AxisTriple {
  if (!Array.isArray(value) || value.length !== 3) {
    throw new TypeError(`${where}: ${name} is ${formatValue(value)}; it must be a [time, height, width] array of 3 numbers`);
  }
}

/**
 * The `[time, height, width]` channel split a preset gives for a head dim.
 *
 * - `wan`: `[d − 4⌊d/6⌋, 2⌊d/6⌋, 2⌊d/6⌋]` (Wan2.1's rule, any even `d`; 44/42/42 at 128).
 * - `hunyuan`: HunyuanVideo's `[16, 56, 56]` at 128, scaled in proportion: `[d/8, 7d/16, 7d/16]`,
 *   defined where every part is even, i.e. `d` a multiple of 32 (64 → [8, 28, 28]); pass `axisDims` otherwise.
 *
 * @param preset - `'hunyuan'` or `'wan'`.
 * @param headDim - channels per head.
 * @returns the three axis parts, each even, summing to `headDim`.
 * @throws {RangeError} when the preset is unknown, the head dim is not an even positive integer, or
 *   (for `hunyuan`) not a multiple of 32.
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
 * @param axisDims - `[time, height, width]` channel counts.
 * @param headDim - channels per head.
 * @param where - the calling function, for the message.
 * @throws {TypeError} when axisDims is not an array of 3.
 * @throws {RangeError} when a part is not an even non-negative integer, or the parts do not sum to `headDim`.
 */
export function checkAxisDims(axisDims: unknown, headDim: number, where: string): asserts axisDims is AxisTriple {
  checkTriple(axisDims, 'axisDims', where);
  axisDims.forEach((part, axis) => {
    if (typeof part !== 'number' || !Number.isInteger(part) || part < 0 || part % 2 !== 0) {
      throw new RangeError(
        `${where}: axisDims[${axis}] is ${formatValue(part)} (axisDims ${formatValue(axisDims)}); every axis part must be an even non-negative integer, since channels rotate in pairs`,
      );
    }
  });
  const sum = axisDims[0] + axisDims[1] + axisDims[2];
  if (sum !== headDim) {
    throw new RangeError(`${where}: axisDims ${formatValue(axisDims)} sum to ${sum}; they must sum to headDim ${headDim}`);
  }
}

/**
 * Checks a token grid.
 *
 * @param grid - `[T, H, W]`.
 * @param where - the calling function, for the message.
 * @throws {TypeError} when grid is not an array of 3.
 * @throws {RangeError} when an entry is not a positive integer.
 */
export function checkGrid(grid: unknown, where: string): asserts grid is AxisTriple {
  checkTriple(grid, 'grid', where);
  grid.forEach((size, axis) => {
    if (!isPositiveInteger(size)) {
      throw new RangeError(`${where}: grid[${axis}] is ${formatValue(size)} (grid ${formatValue(grid)}); every grid size must be a positive integer`);
    }
  });
}

/** A table's complete configuration, every default filled in; its JSON is the table's cache key. */
export interface ResolvedTableOptions {
  grid: AxisTriple;
  headDim: number;
  axisDims: AxisTriple;
  thetas: AxisTriple;
  interpolation: AxisTriple;
  offset: AxisTriple;
  layout: RopeLayout;
  riflex: { k: number; testFrames: number; scale: number } | null;
}

/**
 * Checks the options of {@link ropeTable} and fills in the defaults.
 *
 * @param options - the caller's options.
 * @returns the complete configuration.
 * @throws {TypeError} when options is not an object, or a triple is not an array of 3.
 * @throws {RangeError} when a value is invalid.
 */
export function resolveTableOptions(options: RopeTableOptions): ResolvedTableOptions {
  const where = 'ropeTable';
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: options is ${formatValue(options)}; pass an object with at least grid and headDim`);
  }
  checkGrid(options.grid, where);
  checkHeadDim(options.headDim, where);
  if (options.preset !== undefined) checkPreset(options.preset, where);
  const layout = options.layout ?? 'packed';
  if (!LAYOUTS.includes(layout)) {
    throw new RangeError(`${where}: layout is ${formatValue(layout)}; allowed: ${LAYOUTS.map(formatValue).join(', ')}`);
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
    throw new RangeError(`${where}: theta is ${formatValue(theta)}; it must be a positive finite number`);
  }
  const rescale = options.thetaRescaleFactor ?? 1;
  if (!isPositiveFinite(rescale)) {
    throw new RangeError(`${where}: thetaRescaleFactor is ${formatValue(rescale)}; it must be a positive finite number`);
  }
  const ntk = options.ntk ?? [1, 1, 1];
  checkTriple(ntk, 'ntk', where);
  ntk.forEach((factor, axis) => {
    if (!isPositiveFinite(factor)) {
      throw new RangeError(`${where}: ntk[${axis}] is ${formatValue(factor)}; every NTK scale must be a positive finite number`);
    }
  });
  const interpolationOption = options.interpolationFactor ?? 1;
  const interpolation: AxisTriple =
    typeof interpolationOption === 'number' ? [interpolationOption, interpolationOption, interpolationOption] : interpolationOption;
  checkTriple(interpolation, 'interpolationFactor', where);
  interpolation.forEach((factor) => {
    if (!isPositiveFinite(factor)) {
      throw new RangeError(
        `${where}: interpolationFactor is ${formatValue(interpolationOption)}; it must be a positive finite number or three of them`,
      );
    }
  });
  const offset = options.offset ?? [0, 0, 0];
  checkTriple(offset, 'offset', where);
  offset.forEach((start, axis) => {
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) {
      throw new RangeError(`${where}: offset[${axis}] is ${formatValue(start)}; every offset must be a non-negative integer`);
    }
  });
  const maxPositions = options.maxPositions ?? DEFAULT_MAX_POSITIONS;
  if (!isPositiveInteger(maxPositions)) {
    throw new RangeError(`${where}: maxPositions is ${formatValue(maxPositions)}; it must be a positive integer`);
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
  let riflex: ResolvedTableOptions['riflex'] = null;
  if (options.riflex !== undefined) {
    const { k, testFrames, scale = 0.9 } = options.riflex;
    const pairs = axisDims[0] / 2;
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
