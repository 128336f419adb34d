import { createRng, inverseShiftT } from '@flowdit/timestep-shift';
import type { TopLevelSpec } from 'vega-lite';
import { datasetSplit, generateClip, standardNormals, type VideoDataConfig, videoDataConfig } from '../data/index.js';
import { writeVegaLitePng } from '../media/index.js';
import { components, standOut } from './objects.js';

/*
 * Why the training shift should grow with resolution, measured without a model: the same clips
 * rendered larger (or with more frames) and noised as in training, x_t = t·x + (1 − t)·ε (t = 0
 * noise). Each pixel's noise is the same at every size, but an object covers more pixels, so
 * averaged over the object's scale the noise shrinks and the object stays visible to a lower t.
 * If the SD3 rule holds, a clip with m pixels at time t shows as much as the base clip (n pixels)
 * at the time u with u/(1 − u) = √(m/n)·t/(1 − t) (`inverseShiftT(t, √(m/n))`): the curves, drawn
 * against u, coincide.
 */

/** One rendering of the content: frames and side, relative to the base 8×16×16. */
export interface MechanismVariant {
  name: string;
  frames: number;
  side: number;
}

/** The base and the variants: the same clips at 2× and 4× the side, and at 2× the frame rate. */
export const MECHANISM_VARIANTS: readonly MechanismVariant[] = [
  { name: '8 × 16×16 (base)', frames: 8, side: 16 },
  { name: '8 × 32×32', frames: 8, side: 32 },
  { name: '8 × 64×64', frames: 8, side: 64 },
  { name: '16 × 16×16', frames: 16, side: 16 },
];

const BASE = MECHANISM_VARIANTS[0]!;

/** A detection is at the right place when its centre is this close to the truth, in base pixels. */
const RIGHT_PLACE = 1.5;

/** What one variant shows along t. */
export interface MechanismCurve {
  variant: MechanismVariant;
  /** m/n: its pixels over the base's. */
  pixelRatio: number;
  /** The times measured (t convention, 0 = noise). */
  times: number[];
  /** SNR of x_t averaged over cells of the base pixel's size (and frame length), in dB. */
  snrDb: number[];
  /** Share of frames in which the object finder finds the object at the right place. */
  detected: number[];
  /** The shift that best lays each curve on the base's (least squares on the grid), or NaN for the base. */
  fittedShift: { snr: number; detection: number };
}

/** The data of a variant: the base data scaled, so that a clip shows the same motion at every size. */
function variantData(variant: MechanismVariant): VideoDataConfig {
  const scale = variant.side / BASE.side;
  const base = videoDataConfig({ frames: BASE.frames, height: BASE.side, width: BASE.side });
  return videoDataConfig({
    frames: variant.frames,
    height: variant.side,
    width: variant.side,
    size: (base.size as number) * scale,
    maxSpeed: (base.maxSpeed * scale * BASE.frames) / variant.frames,
  });
}

/**
 * Averages a [T, H, W, 3] clip over cells of `cellT` frames × `cell`×`cell` pixels.
 * @returns the pooled clip, [T / cellT, H / cell, W / cell, 3].
 */
function pool(clip: Float32Array, frames: number, side: number, cellT: number, cell: number): Float32Array {
  const T = frames / cellT;
  const S = side / cell;
  const out = new Float32Array(T * S * S * 3);
  const weight = 1 / (cellT * cell * cell);
  for (let t = 0; t < frames; t++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const from = ((t * side + y) * side + x) * 3;
        const to = ((Math.floor(t / cellT) * S + Math.floor(y / cell)) * S + Math.floor(x / cell)) * 3;
        for (let c = 0; c < 3; c++) out[to + c]! += clip[from + c]! * weight;
      }
    }
  }
  return out;
}

function variance(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return squares / values.length;
}

/** The shift α for which `curve(t)` best matches `base(inverseShiftT(t, α))`, on a log grid from 1/4 to 16. */
function fitShift(times: number[], base: number[], curve: number[]): number {
  const interpolate = (u: number): number => {
    if (u <= times[0]!) return base[0]!;
    const k = times.findIndex((t) => t >= u);
    if (k === -1) return base.at(-1)!;
    const w = (u - times[k - 1]!) / (times[k]! - times[k - 1]!);
    return base[k - 1]! * (1 - w) + base[k]! * w;
  };
  let best = { shift: Number.NaN, error: Number.POSITIVE_INFINITY };
  for (let i = 0; i <= 600; i++) {
    const shift = 2 ** (-2 + (6 * i) / 600);
    const error = times.reduce((sum, t, k) => sum + (curve[k]! - interpolate(inverseShiftT(t, shift))) ** 2, 0);
    if (error < best.error) best = { shift, error };
  }
  return best.shift;
}

/**
 * Measures, for every variant, the pooled SNR and the object finder's detection share along t,
 * on `clips` validation clips with noise fixed by `seed` (the same noise at every t).
 * @param options - clip count (default 24), times on a uniform grid (default 49), seed (default 0).
 * @returns one curve per variant, the base first.
 * @throws {RangeError} for a count that is not a positive integer.
 */
export function measureShiftMechanism(options: { clips?: number; times?: number; seed?: number } = {}): MechanismCurve[] {
  const { clips = 24, times: count = 49, seed = 0 } = options;
  for (const [name, value] of Object.entries({ clips, times: count })) {
    if (!Number.isSafeInteger(value) || value < 2) throw new RangeError(`${name} must be an integer ≥ 2, got ${String(value)}`);
  }
  const times = Array.from({ length: count }, (_, k) => (k + 1) / (count + 1));
  const baseData = variantData(BASE);
  const curves = MECHANISM_VARIANTS.map((variant): MechanismCurve => {
    const data = variantData(variant);
    const cell = variant.side / BASE.side;
    const cellT = variant.frames / BASE.frames;
    const shape: [number, number, number] = [BASE.frames, BASE.side, BASE.side];
    const snr = new Array<number>(count).fill(0);
    const found = new Array<number>(count).fill(0);
    const rng = createRng(seed);
    for (const index of datasetSplit('validation', clips)) {
      const clip = generateClip(data, index);
      const noise = standardNormals(rng, clip.pixels.length);
      const signalPooled = pool(clip.pixels, variant.frames, variant.side, cellT, cell);
      const noisePooled = pool(noise, variant.frames, variant.side, cellT, cell);
      const ratio = variance(signalPooled) / variance(noisePooled);
      // where the object is in base pixels, per pooled frame
      const truth = Array.from({ length: BASE.frames }, (_, f) => {
        const [x, y] = [0, 1].map((axis) => {
          let sum = 0;
          for (let k = 0; k < cellT; k++) sum += clip.objects[0]!.positions[f * cellT + k]![axis]!;
          return sum / cellT / cell;
        });
        return { x: x!, y: y! };
      });
      times.forEach((t, k) => {
        snr[k]! += (ratio * t * t) / ((1 - t) * (1 - t));
        // x_t / t is the clip plus noise of scale (1 − t)/t: the finder's thresholds apply to it
        const estimate = signalPooled.map((value, i) => value + ((1 - t) / t) * noisePooled[i]!);
        const distance = standOut(estimate, shape, baseData);
        for (let f = 0; f < BASE.frames; f++) {
          const largest = components(estimate, distance, shape, f).sort((a, b) => b.area - a.area)[0];
          if (largest !== undefined && Math.hypot(largest.x - truth[f]!.x, largest.y - truth[f]!.y) <= RIGHT_PLACE) found[k]! += 1;
        }
      });
    }
    return {
      variant,
      pixelRatio: (variant.frames * variant.side * variant.side) / (BASE.frames * BASE.side * BASE.side),
      times,
      snrDb: snr.map((s) => 10 * Math.log10(s / clips)),
      detected: found.map((n) => n / (clips * BASE.frames)),
      fittedShift: { snr: Number.NaN, detection: Number.NaN },
    };
  });
  const [base, ...others] = curves;
  for (const curve of others) {
    curve.fittedShift = { snr: fitShift(times, base!.snrDb, curve.snrDb), detection: fitShift(times, base!.detected, curve.detected) };
  }
  return curves;
}

/** The time of a curve at which half the frames show the object (linear between grid points). */
export function halfDetectionTime(curve: MechanismCurve): number {
  const k = curve.detected.findIndex((d) => d >= 0.5);
  if (k <= 0) return k === 0 ? curve.times[0]! : Number.NaN;
  const [t0, t1, d0, d1] = [curve.times[k - 1]!, curve.times[k]!, curve.detected[k - 1]!, curve.detected[k]!];
  return t0 + ((0.5 - d0) / (d1 - d0)) * (t1 - t0);
}

/**
 * Draws the curves as a PNG: SNR and detection share (rows) against t and against the time the
 * pixel rule maps t to, `inverseShiftT(t, √(m/n))` (columns).
 * @param path - the PNG to write.
 * @param curves - from {@link measureShiftMechanism}.
 */
export async function writeShiftMechanismFigure(path: string, curves: MechanismCurve[]): Promise<void> {
  const AGAINST_T = 't of the clip (0 = noise, 1 = data)';
  const AGAINST_U = 'the same, shifted by the pixel rule: inverseShiftT(t, √(m/n))';
  const values = curves.flatMap((curve) => {
    const shift = Math.sqrt(curve.pixelRatio);
    return curve.times.flatMap((t, k) =>
      [
        { measure: 'SNR at the base pixel’s scale (dB)', value: curve.snrDb[k]! },
        { measure: 'frames where the object finder finds the object', value: curve.detected[k]! },
      ].flatMap(({ measure, value }) => [
        { axis: AGAINST_T, x: t, measure, value, variant: curve.variant.name },
        { axis: AGAINST_U, x: inverseShiftT(t, shift), measure, value, variant: curve.variant.name },
      ]),
    );
  });
  const order = curves.map((curve) => curve.variant.name);
  await writeVegaLitePng(path, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'The same clips at more pixels stay visible to a noisier t',
      subtitle: 'x_t = t·x + (1 − t)·ε; right: each curve at the time the SD3 rule with pixel counts maps it to (they coincide if the rule holds)',
    },
    data: { values },
    facet: {
      row: { field: 'measure', type: 'nominal', title: null, sort: ['SNR at the base pixel’s scale (dB)'] },
      column: { field: 'axis', type: 'nominal', title: null, sort: [AGAINST_T] },
    },
    spec: {
      width: 340,
      height: 200,
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 't', scale: { domain: [0, 1], nice: false } },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'variant', type: 'nominal', title: 'frames × pixels', sort: order, scale: { domain: order } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec);
}
