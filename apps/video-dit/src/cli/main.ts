import { BackendUnavailableError } from '../backend/index.js';
import { ConfigError } from '../train/index.js';
import { UsageError } from './args.js';
import { evalCommand } from './eval-command.js';
import { plotTimestepsCommand } from './plot-timesteps.js';
import { sampleCommand } from './sample-command.js';
import { trainCommand } from './train-command.js';
import { closestKey } from '../train/config.js';
import { type FlagSpecs, HELP_FLAG, helpText, numberFlag, parseFlags } from './args.js';

const USAGE = `video-dit <command> [flags]   a toy video DiT trained with @flowdit/timestep-shift and @flowdit/rope3d

commands:
  train            train a run (default: the small sample run), then sample it
  sample           sample a trained run
  eval             quality score: real clips, untrained and trained model
  plot-timesteps   training-time density for shifts 1, 3, 7 as a PNG

'video-dit <command> --help' lists a command's flags.`;

const COMMANDS = ['train', 'sample', 'eval', 'plot-timesteps'];

const PLOT_TIMESTEPS_FLAGS = {
  out: { type: 'string', value: 'FILE.png', help: 'where to write the figure (default runs/timestep-density.png)' },
  shifts: { type: 'string', value: 'X,Y,...', help: 'the shifts to draw (default 1,3,7)' },
  std: { type: 'string', value: 'S', help: 'standard deviation of logit(t) + ln(shift) (default 1)' },
  samples: { type: 'string', value: 'N', help: 'seeded draws per shift, drawn as a histogram under its curve (default 0: curves only)' },
  seed: { type: 'string', value: 'N', help: 'seed of those draws (default 0)' },
  help: HELP_FLAG,
} as const satisfies FlagSpecs;

async function plotTimesteps(args: string[]): Promise<void> {
  const flags = parseFlags('plot-timesteps', args, PLOT_TIMESTEPS_FLAGS);
  if (flags.help === true) {
    console.log(helpText('video-dit plot-timesteps [flags]   training-time density of t for several shifts, as a PNG', PLOT_TIMESTEPS_FLAGS));
    return;
  }
  const shifts = flags.shifts?.split(',').map((s, i) => numberFlag(`shifts[${i}]`, s)!);
  const std = numberFlag('std', flags.std);
  const samples = numberFlag('samples', flags.samples);
  const seed = numberFlag('seed', flags.seed);
  const { out, curves } = await plotTimestepsCommand({
    out: flags.out ?? 'runs/timestep-density.png',
    ...(shifts === undefined ? {} : { shifts }),
    ...(std === undefined ? {} : { std }),
    ...(samples === undefined ? {} : { samples }),
    ...(seed === undefined ? {} : { seed }),
  });
  for (const c of curves) {
    console.log(`shift ${c.shift}: median t ${c.medianT.toFixed(3)}, ${(100 * c.noiseSideShare).toFixed(1)}% of draws at t < 0.5 (noise side)`);
  }
  console.log(`wrote ${out}`);
}

/**
 * Runs the CLI.
 * @param argv - arguments after the program name.
 * @returns the exit code.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'train':
        await trainCommand(rest);
        return 0;
      case 'sample':
        await sampleCommand(rest);
        return 0;
      case 'eval':
        await evalCommand(rest);
        return 0;
      case 'plot-timesteps':
        await plotTimesteps(rest);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        console.log(USAGE);
        return command === undefined ? 1 : 0;
      default: {
        const suggestion = closestKey(command, COMMANDS);
        throw new UsageError(
          `unknown command '${command}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}; commands: ${COMMANDS.join(', ')}`,
        );
      }
    }
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    console.error(`video-dit: ${error.message}`);
    const usage = error instanceof UsageError || error instanceof ConfigError || error instanceof BackendUnavailableError;
    return usage ? 2 : 1;
  }
}
