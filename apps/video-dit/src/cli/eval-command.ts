import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateClip, datasetSplit } from '../data/index.js';
import { meanQuality, type QualityResult } from '../eval/quality.js';
import { validationLoss } from '../eval/validation.js';
import { writeContactSheet } from '../media/index.js';
import { disposeParams, initParams } from '../model/index.js';
import { sampleClips } from '../sample/index.js';
import { loadRunWeights, readRunConfig, resolveSampleShift, runDataConfig } from '../train/index.js';
import { type FlagSpecs, HELP_FLAG, helpText, numberFlag, parseFlags } from './args.js';
import { BACKEND_FLAG, RUN_FLAG, SAMPLING_FLAGS, sampleShiftFlag, startBackend } from './shared.js';

const FLAGS = {
  run: RUN_FLAG,
  count: { type: 'string', value: 'N', help: 'clips per row (default 16)' },
  ...SAMPLING_FLAGS,
  backend: BACKEND_FLAG,
  help: HELP_FLAG,
} as const satisfies FlagSpecs;

/** Help text of `video-dit eval`. */
export const EVAL_HELP = helpText('video-dit eval [flags]   quality score of real clips, the untrained model and the trained one', FLAGS);

function describeQuality(label: string, result: QualityResult): string {
  const parts = Object.entries(result.parts)
    .map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(', ');
  return `${label.padEnd(10)} ${result.score.toFixed(3)}  (${parts})`;
}

/**
 * `video-dit eval`: the quality score (computed the same way on every row) for held-out real
 * clips, samples of the untrained model and samples of the trained EMA weights, plus the
 * validation loss by timestep bucket; writes `eval.json` and `eval-contact-sheet.png` in the run.
 * @param args - the arguments after `eval`.
 */
export async function evalCommand(args: string[]): Promise<void> {
  const flags = parseFlags('eval', args, FLAGS);
  if (flags.help === true) {
    console.log(EVAL_HELP);
    return;
  }
  const count = numberFlag('count', flags.count) ?? 16;
  const steps = numberFlag('steps', flags.steps);
  const shiftFlag = sampleShiftFlag(flags.shift);
  const eta = numberFlag('stochasticity', flags.stochasticity);
  const dir = flags.run ?? join('runs', 'sample');
  await startBackend(flags.backend ?? (await readRunConfig(dir)).backend);
  const { config, ema, step } = await loadRunWeights(dir);
  const untrained = initParams(config.model, config.train.seed);
  try {
    const data = runDataConfig(config);
    const shape: [number, number, number] = [config.model.frames, config.model.height, config.model.width];
    const shift = resolveSampleShift(config, shiftFlag);
    const options = {
      count,
      steps: steps ?? config.sample.steps,
      shift,
      seed: config.sample.seed,
      stochasticity: eta ?? config.sample.stochasticity,
    };
    const real = datasetSplit(data, 'validation', count).map((index) => generateClip(data, index).pixels);
    const rows = {
      real,
      untrained: await sampleClips(untrained, config.model, options),
      trained: await sampleClips(ema, config.model, options),
    };
    const scores = {
      real: meanQuality(rows.real, shape, data),
      untrained: meanQuality(rows.untrained, shape, data),
      trained: meanQuality(rows.trained, shape, data),
    };
    const validation = await validationLoss(ema, config.model, data, { clips: config.data.validationClips });
    console.log(`quality score (${count} clips each; run ${dir} at step ${step}):`);
    for (const [label, result] of Object.entries(scores)) console.log(`  ${describeQuality(label, result)}`);
    const ratio = scores.trained.score / scores.real.score;
    console.log(`  trained / real = ${ratio.toFixed(3)}`);
    console.log(
      `validation loss ${validation.loss.toFixed(4)} by t bucket (0 = noise): ${validation.buckets
        .map((b) => `[${b.from.toFixed(1)},${b.to.toFixed(1)}) ${b.loss.toFixed(4)}`)
        .join('  ')}`,
    );
    const shown = Math.min(4, count);
    await writeContactSheet(
      join(dir, 'eval-contact-sheet.png'),
      [...rows.real.slice(0, shown), ...rows.untrained.slice(0, shown), ...rows.trained.slice(0, shown)],
      shape,
      { labels: [...Array(shown).fill('real'), ...Array(shown).fill('untrained'), ...Array(shown).fill('trained')] },
    );
    await writeFile(
      join(dir, 'eval.json'),
      `${JSON.stringify({ step, count, sampling: options, quality: scores, trainedOverReal: ratio, validation }, null, 2)}\n`,
    );
  } finally {
    disposeParams(untrained);
    disposeParams(ema);
  }
}
