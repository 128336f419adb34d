import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { sampleClips, writeSamples } from '../sample/index.js';
import { loadRunWeights, resolveSampleShift } from '../train/index.js';
import { numberFlag, parseFlags } from './args.js';
import { startBackend } from './shared.js';

/** Help text of `video-dit sample`. */
export const SAMPLE_HELP = `video-dit sample [flags]   sample a trained run's EMA weights

  --run DIR          the run folder (default runs/sample)
  --count N          clips (default: the run's sample.count)
  --steps N          Euler steps (default: the run's sample.steps)
  --shift X          inference shift (default: the run's; 'train' = the training shift)
  --seed N           noise seed
  --out DIR          output folder (default <run>/samples)
  --backend NAME     auto | wasm | cpu | webgpu | tensorflow`;

const FLAGS = {
  run: { type: 'string' },
  count: { type: 'string' },
  steps: { type: 'string' },
  shift: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

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
  const shiftFlag = flags.shift === undefined || flags.shift === 'train' ? flags.shift : numberFlag('shift', flags.shift);
  await startBackend(flags.backend ?? 'auto');
  const dir = flags.run ?? join('runs', 'sample');
  const { config, ema, step } = await loadRunWeights(dir);
  try {
    const shift = resolveSampleShift(config, shiftFlag);
    const options = {
      count: count ?? config.sample.count,
      steps: steps ?? config.sample.steps,
      shift,
      seed: seed ?? config.sample.seed,
      stochasticity: config.sample.stochasticity,
    };
    const clips = await sampleClips(ema, config.model, options);
    const written = await writeSamples(flags.out ?? join(dir, 'samples'), clips, [config.model.frames, config.model.height, config.model.width]);
    console.log(`step ${step}: ${written.gifs.length} GIFs and ${written.contactSheet} (${options.steps} Euler steps, shift ${shift.toFixed(3)})`);
  } finally {
    tf.dispose([...ema.values()]);
  }
}
