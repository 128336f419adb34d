import { join } from 'node:path';
import { disposeDit } from '../model/index.js';
import { sampleOptionsFor, sampleToFolder } from '../sample/index.js';
import { loadRunEma, readRunConfig } from '../train/index.js';
import { command, type FlagSpecs, type FlagValues, numberFlag } from './args.js';
import { displayPath } from './display-path.js';
import { BACKEND_FLAG, DEFAULT_RUN, RUN_FLAG, SAMPLING_FLAGS, samplingOverrides } from './flags.js';
import { startBackend } from './start-backend.js';

const FLAGS = {
  run: RUN_FLAG,
  count: { type: 'string', value: 'N', help: "clips (default: the run's sample.count)" },
  ...SAMPLING_FLAGS,
  seed: { type: 'string', value: 'N', help: "noise seed (default: the run's sample.seed)" },
  out: { type: 'string', value: 'DIR', help: 'output folder (default <run>/samples)' },
  backend: BACKEND_FLAG,
} as const satisfies FlagSpecs;

/**
 * `video-dit sample`: Euler sampling from a run's newest checkpoint (EMA weights), written as
 * GIFs and a contact sheet.
 */
async function sample(flags: FlagValues<typeof FLAGS>): Promise<void> {
  const overrides = { ...samplingOverrides(flags), count: numberFlag('count', flags.count), seed: numberFlag('seed', flags.seed) };
  const dir = flags.run ?? DEFAULT_RUN;
  const config = await readRunConfig(dir);
  await startBackend(flags.backend ?? config.backend);
  const { ema, step, skipped } = await loadRunEma(dir, config);
  for (const why of skipped) console.log(`passed over a damaged checkpoint: ${why}`);
  try {
    const sampling = sampleOptionsFor(config, overrides);
    const written = await sampleToFolder(flags.out ?? join(dir, 'samples'), ema, sampling);
    console.log(
      `step ${step}: ${written.gifs.length} GIFs and ${displayPath(written.contactSheet)} (${sampling.steps} Euler steps, shift ${sampling.shift.toFixed(3)}, stochasticity ${sampling.stochasticity})`,
    );
  } finally {
    disposeDit(ema);
  }
}

/** `video-dit sample`. */
export const sampleCommand = command('sample', {
  summary: 'sample a trained run',
  does: "sample a trained run's EMA weights",
  flags: FLAGS,
  run: sample,
});
