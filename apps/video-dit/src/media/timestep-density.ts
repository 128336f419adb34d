import { createRng, type Rng, sampleTimesteps, type TimestepDistribution, timestepDistribution } from '@flowdit/timestep-shift';
import { writeVegaLitePng } from './chart.js';

/** One law to draw, with how its draws are made (t convention, t = 0 noise). */
export interface TimestepLaw {
  /** The legend's name for it. */
  label: string;
  distribution: TimestepDistribution;
  /** Draw the histogram in batches of this size, stratified within each, as a trainer does (default: independent draws). */
  stratifiedBatch?: number;
}

/** Arguments of {@link writeTimestepDensity}. */
export interface TimestepDensityArgs {
  /** One curve per shift α of the shifted logit-normal (default [1, 3, 7]); α > 1 moves mass toward noise (t = 0). */
  shifts?: number[];
  /** Laws to draw in place of `shifts` and `std`, e.g. the one a run's configuration samples. */
  laws?: TimestepLaw[];
  /** The figure's subtitle when `laws` are given (default: none). */
  subtitle?: string;
  /** Where to write the PNG. */
  out: string;
  /** Standard deviation of logit(t) + ln α (default 1). */
  std?: number;
  /** Seeded draws per shift drawn as a histogram under each curve (default 0: curves only). */
  samples?: number;
  /** Seed of those draws (default 0). */
  seed?: number;
}

/** What the figure shows for one law, all in the t convention (t = 0 noise). */
export interface TimestepCurve {
  /** The law's label (`shift α` for the shifted logit-normal of `shifts`). */
  label: string;
  /** Median training time: half the draws are noisier. */
  medianT: number;
  /** Share of draws with t < 0.5 (closer to noise than to data). */
  noiseSideShare: number;
}

const GRID = 400;
const BINS = 50;

interface CheckedArgs {
  laws: TimestepLaw[];
  title: string;
  subtitle: string[];
  out: string;
  samples: number;
  seed: number;
}

function checkArgs(args: TimestepDensityArgs): CheckedArgs {
  const { out, samples = 0, seed = 0 } = args;
  let laws: TimestepLaw[];
  let title: string;
  let subtitle: string[];
  if (args.laws !== undefined) {
    if (args.shifts !== undefined || args.std !== undefined) {
      throw new RangeError('laws excludes shifts and std: give the laws whole, or the shifts of the shifted logit-normal');
    }
    if (!Array.isArray(args.laws) || args.laws.length === 0) {
      throw new RangeError(`laws must be a non-empty list, got ${JSON.stringify(args.laws)}`);
    }
    for (const [i, law] of args.laws.entries()) {
      const batch = law.stratifiedBatch;
      if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1)) {
        throw new RangeError(`laws[${i}].stratifiedBatch must be an integer ≥ 1, got ${String(batch)}`);
      }
    }
    laws = args.laws;
    title = 'Training timestep density';
    subtitle = args.subtitle === undefined ? [] : [args.subtitle];
  } else {
    const { shifts = [1, 3, 7], std = 1 } = args;
    if (!Array.isArray(shifts) || shifts.length === 0 || !shifts.every((s) => Number.isFinite(s) && s > 0)) {
      throw new RangeError(`shifts must be a non-empty list of finite numbers > 0, got ${JSON.stringify(shifts)}`);
    }
    if (!Number.isFinite(std) || std <= 0) throw new RangeError(`std must be a finite number > 0, got ${String(std)}`);
    laws = shifts.map((shift) => ({
      label: `shift ${shift}`,
      distribution: timestepDistribution({ kind: 'shifted-logit-normal', shift, std }),
    }));
    title = 'Training timestep density: shifted logit-normal';
    subtitle = [`logit(t) + ln(shift) ~ N(0, ${std}²): a larger shift trains more on noisy timesteps`];
  }
  if (typeof out !== 'string' || out.length === 0) {
    throw new TypeError(`out must be a file path, got ${JSON.stringify(out)}`);
  }
  if (!Number.isInteger(samples) || samples < 0) {
    throw new RangeError(`samples must be an integer ≥ 0, got ${String(samples)}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer ≥ 0, got ${String(seed)}`);
  return { laws, title, subtitle, out, samples, seed };
}

function drawLaw(law: TimestepLaw, samples: number, rng: Rng): Float64Array {
  const batch = law.stratifiedBatch;
  if (batch === undefined) return sampleTimesteps(law.distribution, samples, rng);
  const draws = new Float64Array(samples);
  for (let start = 0; start < samples; start += batch) {
    const n = Math.min(batch, samples - start);
    draws.set(sampleTimesteps(law.distribution, n, rng, { stratified: true }), start);
  }
  return draws;
}

function histogram(draws: Float64Array): { t0: number; t1: number; density: number }[] {
  const counts = new Array<number>(BINS).fill(0);
  for (const t of draws) {
    const bin = Math.min(BINS - 1, Math.floor(t * BINS));
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts.map((count, b) => ({ t0: b / BINS, t1: (b + 1) / BINS, density: (count * BINS) / draws.length }));
}

/**
 * Draws training-time densities as a PNG, from each law's exact pdf, optionally over a histogram
 * of seeded draws: by default the shifted logit-normal (logit(t) + ln α ~ N(0, std²), t = 0 noise)
 * for each shift, or the `laws` given.
 * @param args - shifts and std, or laws; output path; the number of draws for the histogram
 * @returns the path written and, per law, its median t and the share of draws on the noise side
 * @throws {RangeError|TypeError} naming a bad argument
 */
export async function writeTimestepDensity(args: TimestepDensityArgs): Promise<{ out: string; curves: TimestepCurve[] }> {
  const { laws, title, subtitle, out, samples, seed } = checkArgs(args);
  const rng = createRng(seed);
  const lines: { t: number; density: number; series: string }[] = [];
  const bars: { t0: number; t1: number; density: number; series: string }[] = [];
  const curves: TimestepCurve[] = [];
  for (const law of laws) {
    const { distribution, label } = law;
    const medianT = distribution.quantile(0.5);
    const series = `${label}: median t = ${medianT.toFixed(2)}`;
    for (let i = 0; i <= GRID; i++) {
      const t = i / GRID;
      lines.push({ t, density: distribution.pdf(t), series });
    }
    if (samples > 0) {
      for (const bin of histogram(drawLaw(law, samples, rng))) bars.push({ ...bin, series });
    }
    curves.push({ label, medianT, noiseSideShare: distribution.cdf(0.5) });
  }
  const order = [...new Set(lines.map((l) => l.series))];
  const color = (legend: boolean) => ({
    field: 'series',
    type: 'nominal' as const,
    title: null,
    sort: order,
    scale: { domain: order },
    ...(legend ? {} : { legend: null }),
  });
  const x = (field: string) => ({
    field,
    type: 'quantitative' as const,
    title: 't  (0 = pure noise, 1 = clean data)',
    scale: { domain: [0, 1], nice: false },
  });
  const histogramLayer = {
    data: { values: bars },
    mark: { type: 'rect' as const, opacity: 0.22 },
    encoding: {
      x: x('t0'),
      x2: { field: 't1' },
      y: { field: 'density', type: 'quantitative' as const },
      y2: { datum: 0 },
      color: color(false),
    },
  };
  await writeVegaLitePng(out, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: title,
      subtitle: [...subtitle, ...(samples > 0 ? [`bars: histogram of ${samples} seeded draws per law`] : [])],
    },
    width: 560,
    height: 320,
    layer: [
      ...(bars.length > 0 ? [histogramLayer] : []),
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 2.5 },
        encoding: { x: x('t'), y: { field: 'density', type: 'quantitative', title: 'density' }, color: color(true) },
      },
    ],
    // The bars' colours repeat the lines'; only the lines get a legend.
    resolve: { legend: { color: 'independent' } },
    config: { legend: { orient: 'top-right', labelLimit: 300 } },
  });
  return { out, curves };
}
