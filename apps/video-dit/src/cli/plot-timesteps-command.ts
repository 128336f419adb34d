import { type Config, resolveConfig, resolveStoredConfig, trainingDistribution, trainingShift } from '../config/index.js';
import { writeTimestepDensity } from '../media/index.js';
import { command, type FlagSpecs, type FlagValues, numberFlag, UsageError } from './args.js';
import { readJsonFlagFile } from './config-file.js';
import { displayPath } from './display-path.js';

const FLAGS = {
  out: { type: 'string', value: 'FILE.png', help: 'where to write the figure (default runs/timestep-density.png)' },
  config: {
    type: 'string',
    value: 'FILE.json',
    help: "draw the law this configuration trains with: a run's config.json, or overrides as train --config takes",
  },
  shifts: { type: 'string', value: 'X,Y,...', help: 'the shifts to draw (default 1,3,7)' },
  std: { type: 'string', value: 'S', help: 'standard deviation of logit(t) + ln(shift) (default 1)' },
  samples: { type: 'string', value: 'N', help: 'seeded draws per law, drawn as a histogram under its curve (default 0: curves only)' },
  seed: { type: 'string', value: 'N', help: 'seed of those draws (default 0)' },
} as const satisfies FlagSpecs;

/**
 * The configuration a `--config` file describes: a run's stored `config.json` (it carries the
 * `resolved` values the run printed) as that run reads it back, or overrides over their preset.
 */
async function configFromFile(path: string): Promise<Config> {
  const parsed = await readJsonFlagFile('config', path);
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'resolved' in parsed) {
    return resolveStoredConfig(parsed as Record<string, unknown>, path);
  }
  return resolveConfig([parsed], path);
}

/** The law a configuration trains with, named as the figure's legend and subtitle show it. */
function configuredLaw(config: Config, path: string) {
  const { timesteps, model, train } = config;
  const shift = trainingShift(config);
  const rule =
    timesteps.shift === 'auto'
      ? `shift ${shift.toPrecision(4)} = √(${model.frames}×${model.height}×${model.width} px / ${timesteps.basePixels})`
      : `shift ${shift}`;
  const drawing = timesteps.stratified ? `stratified within batches of ${train.batchSize}` : 'independent draws';
  return {
    law: {
      label: `${timesteps.kind}, shift ${Number(shift.toPrecision(4))}`,
      distribution: trainingDistribution(timesteps, shift),
      ...(timesteps.stratified ? { stratifiedBatch: train.batchSize } : {}),
    },
    subtitle: `${displayPath(path)} (${config.name}): ${timesteps.kind}, ${rule}, ${drawing}`,
  };
}

/**
 * `video-dit plot-timesteps`: training-time densities as a PNG, with each law's median and share
 * of draws on the noise side: the shifted logit-normal for several shifts, or the law a
 * configuration trains with.
 */
async function plotTimesteps(flags: FlagValues<typeof FLAGS>): Promise<void> {
  const samples = numberFlag('samples', flags.samples);
  const seed = numberFlag('seed', flags.seed);
  const draws = { ...(samples === undefined ? {} : { samples }), ...(seed === undefined ? {} : { seed }) };
  const out = flags.out ?? 'runs/timestep-density.png';
  let written: Awaited<ReturnType<typeof writeTimestepDensity>>;
  if (flags.config !== undefined) {
    if (flags.shifts !== undefined || flags.std !== undefined) {
      throw new UsageError('--config draws the configured law: it excludes --shifts and --std');
    }
    const { law, subtitle } = configuredLaw(await configFromFile(flags.config), flags.config);
    written = await writeTimestepDensity({ out, laws: [law], subtitle, ...draws });
  } else {
    const shifts = flags.shifts?.split(',').map((s, i) => numberFlag(`shifts[${i}]`, s)!);
    const std = numberFlag('std', flags.std);
    written = await writeTimestepDensity({
      out,
      ...(shifts === undefined ? {} : { shifts }),
      ...(std === undefined ? {} : { std }),
      ...draws,
    });
  }
  for (const c of written.curves) {
    console.log(`${c.label}: median t ${c.medianT.toFixed(3)}, ${(100 * c.noiseSideShare).toFixed(1)}% of draws at t < 0.5 (noise side)`);
  }
  console.log(`wrote ${displayPath(written.out)}`);
}

/** `video-dit plot-timesteps`. */
export const plotTimestepsCommand = command('plot-timesteps', {
  summary: "training-time density for shifts 1, 3, 7, or a run's law, as a PNG",
  does: "training-time density of t for several shifts, or the law a run's configuration samples, as a PNG",
  flags: FLAGS,
  run: plotTimesteps,
});
