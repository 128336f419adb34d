/*
 * The frequency layouts: which axis every rotated pair reads and at which frequency (per-axis
 * ladders, M-RoPE, LTX-Video's ladder over all heads), and the scaling of one axis ladder beyond
 * NTK (YaRN's NTK-by-parts, DyPE's time-dependent vision YaRN), which maps an axis with `d`
 * channels and base θ to `d/2` new frequencies and the factor its cos and sin are multiplied by.
 */

/** The rotated pairs of a table: the axis each reads (−1: padding, cos = 1), its frequency and phase (`angle = pos·frequency + phase`). */
export interface FrequencyLadder {
  readonly pairAxes: number[];
  readonly frequencies: number[];
  readonly phases: number[] | null;
}

/** YaRN on one axis, every default filled in. */
export interface ResolvedYarn {
  factor: number;
  originalPositions: number;
  betaFast: number;
  betaSlow: number;
  attentionFactor: number;
}

/** DyPE, every default filled in, `time` rounded to its bucket. */
export interface ResolvedDype {
  method: 'yarn' | 'ntk';
  time: number;
  exponent: number;
  factors: number[];
  originalPositions: number[];
}

/** An axis' scaled ladder. */
export interface ScaledAxis {
  readonly frequencies: number[];
  /** Multiplies the axis' cos and sin. */
  readonly amplitude: number;
}

/** The pair index at which a frequency turns `rotations` times over `positions` (YaRN's inverse dim formula). */
function correctionDim(rotations: number, dim: number, theta: number, positions: number): number {
  return (dim * Math.log(positions / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
}

/**
 * 0 below pair `low`, 1 from pair `high` on, linear in between (YaRN's `linear_ramp_factor`); a
 * bound at +∞ (a ramp at zero rotations) is the limit, 1 everywhere below it.
 */
function ramp(low: number, high: number, pairs: number): number[] {
  const top = low === high ? high + 0.001 : high;
  return Array.from({ length: pairs }, (_, j) => {
    if (low === Number.POSITIVE_INFINITY) return 1;
    return Math.min(1, Math.max(0, (j - low) / (top - low)));
  });
}

/** `1/θ^(2j/d)`, the reference codes' own form of the ladder. */
function baseLadder(dim: number, theta: number): number[] {
  return Array.from({ length: dim / 2 }, (_, j) => 1 / theta ** ((2 * j) / dim));
}

/**
 * YaRN's NTK-by-parts on one axis (transformers `_compute_yarn_parameters`, `truncate` on): pairs
 * between `⌊correctionDim(betaFast)⌋` and `⌈correctionDim(betaSlow)⌉` blend the original
 * frequency `ω` into `ω / factor` along a linear ramp; above it they are interpolated, below it kept.
 *
 * @returns the new ladder and the attention temperature, or null when `factor` is 1 (nothing to do).
 */
export function yarnFrequencies(dim: number, theta: number, yarn: ResolvedYarn): ScaledAxis | null {
  if (yarn.factor === 1 && yarn.attentionFactor === 1) return null;
  const base = baseLadder(dim, theta);
  const low = Math.max(Math.floor(correctionDim(yarn.betaFast, dim, theta, yarn.originalPositions)), 0);
  const high = Math.min(Math.ceil(correctionDim(yarn.betaSlow, dim, theta, yarn.originalPositions)), dim - 1);
  const interpolated = ramp(low, high, dim / 2);
  const frequencies = base.map((omega, j) => {
    const kept = 1 - interpolated[j]!;
    return (omega / yarn.factor) * (1 - kept) + omega * kept;
  });
  return { frequencies, amplitude: yarn.attentionFactor };
}

/** One of DyPE's two blends: `from` below the ramp of pairs between the rotation bounds, `to` above it. */
function blend(from: number[], to: number[], fast: number, slow: number, dim: number, theta: number, positions: number): number[] {
  const low = Math.max(0, Math.max(Math.floor(correctionDim(fast, dim, theta, positions)), 0));
  const high = Math.min(dim / 2, Math.min(Math.ceil(correctionDim(slow, dim, theta, positions)), dim - 1));
  const weights = ramp(low, high, dim / 2);
  return from.map((value, j) => {
    const mask = 1 - weights[j]!;
    return value * (1 - mask) + to[j]! * mask;
  });
}

/**
 * DyPE's vision YaRN on one axis (guyyariv/DyPE `flux/transformer_flux.py`, `get_1d_rotary_pos_embed`
 * with `yarn` and `dype`): with `s` the axis' factor and `κ = σ^λ`, `σ = 1 − time`, the linear
 * `ω/s` and the NTK-aware `(θ·s^(d/(d−2)))^(−2j/d)` are blended between `1.25κ` and `0.75κ`
 * rotations over the trained length, that result and the original `ω` between `16κ` and `2κ`;
 * cos and sin are multiplied by `0.1·ln(s) + 1`. With `method: 'ntk'` (the reference's DyPE-NTK) the
 * axis θ is multiplied by `max(1, (s^(d/(d−2)))^(2κ))` instead, cos and sin left unscaled.
 *
 * @returns the new ladder and amplitude, or null when `s ≤ 1` (the reference leaves such an axis alone).
 */
export function dypeFrequencies(dim: number, theta: number, dype: ResolvedDype, axis: number): ScaledAxis | null {
  const scale = dype.factors[axis]!;
  if (scale <= 1) return null;
  const kappa = (1 - dype.time) ** dype.exponent;
  if (dype.method === 'ntk') {
    // the NTK factor s^(d/(d−2)) raised to 2κ: the full NTK scaling at σ = 1, none at σ = 0
    const factor = Math.max(1, (scale ** (dim / (dim - 2))) ** (2 * kappa));
    const ntkTheta = theta * factor;
    return { frequencies: Array.from({ length: dim / 2 }, (_, j) => 1 / ntkTheta ** ((2 * j) / dim)), amplitude: 1 };
  }
  const positions = dype.originalPositions[axis]!;
  const base = baseLadder(dim, theta);
  const linear = Array.from({ length: dim / 2 }, (_, j) => 1 / (scale * theta ** ((2 * j) / dim)));
  const ntkTheta = theta * scale ** (dim / (dim - 2));
  const ntk = Array.from({ length: dim / 2 }, (_, j) => 1 / ntkTheta ** ((2 * j) / dim));
  const mixed = blend(linear, ntk, 1.25 * kappa, 0.75 * kappa, dim, theta, positions);
  const frequencies = blend(mixed, base, 16 * kappa, 2 * kappa, dim, theta, positions);
  return { frequencies, amplitude: 0.1 * Math.log(scale) + 1 };
}

/** Pair → axis of the M-RoPE assignments. */
function mropeAxes(section: readonly number[], interleaved: boolean): number[] {
  const pairs = section.reduce((a, b) => a + b, 0);
  if (!interleaved) return section.flatMap((count, axis) => Array.from({ length: count }, () => axis));
  // Qwen3-VL: pair j goes to axis j mod n while that axis has pairs left, the rest to axis 0
  return Array.from({ length: pairs }, (_, j) => {
    const axis = j % section.length;
    return axis !== 0 && j < section.length * section[axis]! ? axis : 0;
  });
}

/** M-RoPE: the global ladder `θ^(−2j/D)` with each pair on the axis its section assigns. */
export function mropeLadder(section: readonly number[], interleaved: boolean, headDim: number, theta: number): FrequencyLadder {
  return { pairAxes: mropeAxes(section, interleaved), frequencies: axisLadder(headDim, theta), phases: null };
}

/**
 * The frequencies `θ^(−2j/d)` of one axis part, as HunyuanVideo's `get_1d_rotary_pos_embed` and
 * Wan's `rope_params` compute them (here in float64).
 *
 * @param dim - channels of the axis part (even).
 * @param theta - the axis' θ.
 * @returns `dim / 2` frequencies in radians per position.
 */
export function axisLadder(dim: number, theta: number): number[] {
  return Array.from({ length: dim / 2 }, (_, j) => theta ** ((-2 * j) / dim));
}

/** `θ_a^(−2j/d_a)` per axis part, in order `[axis 0 pairs | axis 1 pairs | …]`. */
export function perAxisLadder(axisDims: readonly number[], thetas: readonly number[]): FrequencyLadder {
  return {
    pairAxes: axisDims.flatMap((dim, axis) => Array.from({ length: dim / 2 }, () => axis)),
    frequencies: axisDims.flatMap((dim, axis) => axisLadder(dim, thetas[axis]!)),
    phases: null,
  };
}

/**
 * LTX-Video's ladder over `width = heads · headDim` channels: `n = ⌊width/6⌋` frequencies
 * `ω_f = (π/2)·θ^(f/(n−1))` (increasing), pair `pad + 3f + a` on axis `a`, the first
 * `pad = (width mod 6)/2` pairs cos = 1, sin = 0. Its angle `ω_f·(2g − 1)` is written as frequency
 * `2ω_f` and phase `−ω_f`.
 */
export function ltxLadder(width: number, theta: number): FrequencyLadder {
  const n = Math.floor(width / 6);
  const pad = (width % 6) / 2;
  const pairAxes: number[] = Array.from({ length: pad }, () => -1);
  const frequencies: number[] = Array.from({ length: pad }, () => 0);
  const phases: number[] = Array.from({ length: pad }, () => 0);
  for (let f = 0; f < n; f++) {
    const omega = (theta ** (n === 1 ? 0 : f / (n - 1)) * Math.PI) / 2;
    for (let axis = 0; axis < 3; axis++) {
      pairAxes.push(axis);
      frequencies.push(2 * omega);
      phases.push(-omega);
    }
  }
  return { pairAxes, frequencies, phases };
}

/** Replaces each axis' ladder by its YaRN or DyPE frequencies and records the axis' attention temperature. */
export function scaleLadder(
  ladder: FrequencyLadder,
  axisDims: readonly number[],
  thetas: readonly number[],
  yarn: readonly ResolvedYarn[] | null,
  dype: ResolvedDype | null,
  amplitudes: number[],
): FrequencyLadder {
  const frequencies = [...ladder.frequencies];
  let start = 0;
  axisDims.forEach((dim, axis) => {
    if (dim > 0) {
      const scaled =
        yarn !== null ? yarnFrequencies(dim, thetas[axis]!, yarn[axis]!) : dypeFrequencies(dim, thetas[axis]!, dype!, axis);
      if (scaled !== null) {
        scaled.frequencies.forEach((value, j) => {
          frequencies[start + j] = value;
        });
        amplitudes[axis] = scaled.amplitude;
      }
    }
    start += dim / 2;
  });
  return { ...ladder, frequencies };
}
