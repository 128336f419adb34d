import { createRng, sampleTimesteps, type TimestepDistribution, timestepDistribution } from '@flowdit/timestep-shift';
import { writeVegaLitePng } from './chart.js';

/** Arguments of {@link writeTimestepDensity}. */
export interface TimestepDensityArgs {
  /** One curve per shift α (default [1, 3, 7]); α > 1 moves mass toward noise (t = 0). */
  shifts?: number[];
  /** Where to write the PNG. */
  out: string;
  /** Standard deviation of logit(t) + ln α (default 1). */
  std?: number;
  /** Seeded draws per shift drawn as a histogram under each curve (default 0: curves only). */
  samples?: number;
  /** Seed of those draws (default 0). */
  seed?: number;
}

/** What the figure shows for one shift, all in the t convention (t = 0 noise). */
export interface TimestepCurve {
  shift: number;
  /** Median training time: half the draws are noisier. */
  medianT: number;
  /** Share of draws with t < 0.5 (closer to noise than to data). */
  noiseSideShare: number;
}

const GRID = 400;
const BINS = 50;

function checkArgs(args: TimestepDensityArgs): Required<Omit<TimestepDensityArgs, 'out'>> & { out: string } {
  const { shifts = [1, 3, 7], out, std = 1, samples = 0, seed = 0 } = args;
  if (!Array.isArray(shifts) || shifts.length === 0 || !shifts.every((s) => Number.isFinite(s) && s > 0)) {
    throw new RangeError(`shifts must be a non-empty list of finite numbers > 0, got ${JSON.stringify(shifts)}`);
  }
  if (typeof out !== 'string' || out.length === 0) {
    throw new TypeError(`out must be a file path, got ${JSON.stringify(out)}`);
  }
  if (!Number.isFinite(std) || std <= 0) throw new RangeError(`std must be a finite number > 0, got ${String(std)}`);
  if (!Number.isInteger(samples) || samples < 0) {
    throw new RangeError(`samples must be an integer ≥ 0, got ${String(samples)}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer ≥ 0, got ${String(seed)}`);
  return { shifts, out, std, samples, seed };
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
 * Draws the training-time density of the shifted logit-normal
 * (logit(t) + ln α ~ N(0, std²), t = 0 noise) for each shift, from `timestepDistribution`'s pdf,
 * optionally over a histogram of seeded draws, and writes it as a PNG.
 * @param args - shifts, output path, std, and the number of draws for the histogram
 * @returns the path written and, per shift, its median t and the share of draws on the noise side
 * @throws {RangeError|TypeError} naming a bad argument
 */
export async function writeTimestepDensity(args: TimestepDensityArgs): Promise<{ out: string; curves: TimestepCurve[] }> {
  const { shifts, out, std, samples, seed } = checkArgs(args);
  const rng = createRng(seed);
  const lines: { t: number; density: number; series: string }[] = [];
  const bars: { t0: number; t1: number; density: number; series: string }[] = [];
  const curves: TimestepCurve[] = [];
  for (const shift of shifts) {
    const distribution: TimestepDistribution = timestepDistribution({ kind: 'shifted-logit-normal', shift, std });
    const medianT = distribution.quantile(0.5);
    const series = `shift ${shift}: median t = ${medianT.toFixed(2)}`;
    for (let i = 0; i <= GRID; i++) {
      const t = i / GRID;
      lines.push({ t, density: distribution.pdf(t), series });
    }
    if (samples > 0) {
      for (const bin of histogram(sampleTimesteps(distribution, samples, rng))) bars.push({ ...bin, series });
    }
    curves.push({ shift, medianT, noiseSideShare: distribution.cdf(0.5) });
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
      text: 'Training timestep density: shifted logit-normal',
      subtitle: [
        `logit(t) + ln(shift) ~ N(0, ${std}²): a larger shift trains more on noisy timesteps`,
        ...(samples > 0 ? [`bars: histogram of ${samples} seeded draws per shift`] : []),
      ],
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
