import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { sampleClips, writeSamples } from '../sample/index.js';
import { loadRunWeights, readRunConfig, resolveSampleShift } from '../train/index.js';
import { type FlagSpecs, HELP_FLAG, helpText, numberFlag, parseFlags } from './args.js';
import { BACKEND_FLAG, RUN_FLAG, SAMPLING_FLAGS, sampleShiftFlag, startBackend } from './shared.js';

const FLAGS = {
  run: RUN_FLAG,
  count: { type: 'string', value: 'N', help: "clips (default: the run's sample.count)" },
  ...SAMPLING_FLAGS,
  seed: { type: 'string', value: 'N', help: "noise seed (default: the run's sample.seed)" },
  out: { type: 'string', value: 'DIR', help: 'output folder (default <run>/samples)' },
  backend: BACKEND_FLAG,
  help: HELP_FLAG,
} as const satisfies FlagSpecs;

/** Help text of `video-dit sample`. */
export const SAMPLE_HELP = helpText("video-dit sample [flags]   sample a trained run's EMA weights", FLAGS);

/**
 * `video-dit sample`: Euler sampling from a run's newest checkpoint (EMA weights), written as
 * GIFs and a contact sheet.
 * @param args - the arguments after `sample`.
 */
export async function sampleCommand(args: string[]): Promise<void> {
  const flags = parseFlags('sample', args, FLAGS);
  if (flags.help === true) {
    console.log(SAMPLE_HELP);
    return;
  }
  const count = numberFlag('count', flags.count);
  const steps = numberFlag('steps', flags.steps);
  const seed = numberFlag('seed', flags.seed);
  const shiftFlag = sampleShiftFlag(flags.shift);
  const eta = numberFlag('stochasticity', flags.stochasticity);
  const dir = flags.run ?? join('runs', 'sample');
  await startBackend(flags.backend ?? (await readRunConfig(dir)).backend);
  const { config, ema, step } = await loadRunWeights(dir);
  try {
    const shift = resolveSampleShift(config, shiftFlag);
    const options = {
      count: count ?? config.sample.count,
      steps: steps ?? config.sample.steps,
      shift,
      seed: seed ?? config.sample.seed,
      stochasticity: eta ?? config.sample.stochasticity,
    };
    const clips = await sampleClips(ema, config.model, options);
    const written = await writeSamples(flags.out ?? join(dir, 'samples'), clips, [config.model.frames, config.model.height, config.model.width]);
    console.log(`step ${step}: ${written.gifs.length} GIFs and ${written.contactSheet} (${options.steps} Euler steps, shift ${shift.toFixed(3)}, stochasticity ${options.stochasticity})`);
  } finally {
    tf.dispose([...ema.values()]);
  }
}
