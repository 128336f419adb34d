import { writeTimestepDensity } from '../media/index.js';
import { command, type FlagSpecs, type FlagValues, numberFlag } from './args.js';
import { displayPath } from './display-path.js';

const FLAGS = {
  out: { type: 'string', value: 'FILE.png', help: 'where to write the figure (default runs/timestep-density.png)' },
  shifts: { type: 'string', value: 'X,Y,...', help: 'the shifts to draw (default 1,3,7)' },
  std: { type: 'string', value: 'S', help: 'standard deviation of logit(t) + ln(shift) (default 1)' },
  samples: { type: 'string', value: 'N', help: 'seeded draws per shift, drawn as a histogram under its curve (default 0: curves only)' },
  seed: { type: 'string', value: 'N', help: 'seed of those draws (default 0)' },
} as const satisfies FlagSpecs;

/**
 * `video-dit plot-timesteps`: the training-time density of the shifted logit-normal for several
 * shifts as a PNG, with each shift's median and share of draws on the noise side.
 */
async function plotTimesteps(flags: FlagValues<typeof FLAGS>): Promise<void> {
  const shifts = flags.shifts?.split(',').map((s, i) => numberFlag(`shifts[${i}]`, s)!);
  const std = numberFlag('std', flags.std);
  const samples = numberFlag('samples', flags.samples);
  const seed = numberFlag('seed', flags.seed);
  const { out, curves } = await writeTimestepDensity({
    out: flags.out ?? 'runs/timestep-density.png',
    ...(shifts === undefined ? {} : { shifts }),
    ...(std === undefined ? {} : { std }),
    ...(samples === undefined ? {} : { samples }),
    ...(seed === undefined ? {} : { seed }),
  });
  for (const c of curves) {
    console.log(`shift ${c.shift}: median t ${c.medianT.toFixed(3)}, ${(100 * c.noiseSideShare).toFixed(1)}% of draws at t < 0.5 (noise side)`);
  }
  console.log(`wrote ${displayPath(out)}`);
}

/** `video-dit plot-timesteps`. */
export const plotTimestepsCommand = command('plot-timesteps', {
  summary: 'training-time density for shifts 1, 3, 7 as a PNG',
  does: 'training-time density of t for several shifts, as a PNG',
  flags: FLAGS,
  run: plotTimesteps,
});
