import { describeEvalReport, evaluateRun } from '../eval/index.js';
import { disposeDit } from '../model/index.js';
import { sampleOptionsFor } from '../sample/index.js';
import { loadRunEma, readRunConfig } from '../train/index.js';
import { command, type FlagSpecs, type FlagValues, numberFlag } from './args.js';
import { displayPath } from './display-path.js';
import { BACKEND_FLAG, DEFAULT_RUN, RUN_FLAG, SAMPLING_FLAGS, samplingOverrides } from './flags.js';
import { startBackend } from './start-backend.js';

/** Clips per row when `--count` is not given. */
const DEFAULT_COUNT = 16;

const FLAGS = {
  run: RUN_FLAG,
  count: { type: 'string', value: 'N', help: `clips per row (default ${DEFAULT_COUNT})` },
  ...SAMPLING_FLAGS,
  backend: BACKEND_FLAG,
} as const satisfies FlagSpecs;

/**
 * `video-dit eval`: the quality score (computed the same way on every row) for held-out real
 * clips, samples of the untrained model and samples of the trained EMA model, plus the
 * validation loss by timestep bucket; writes `eval.json` and `eval-contact-sheet.png` in the run.
 */
async function evaluate(flags: FlagValues<typeof FLAGS>): Promise<void> {
  const overrides = { ...samplingOverrides(flags), count: numberFlag('count', flags.count) ?? DEFAULT_COUNT };
  const dir = flags.run ?? DEFAULT_RUN;
  const config = await readRunConfig(dir);
  await startBackend(flags.backend ?? config.backend);
  const { ema, step, skipped } = await loadRunEma(dir, config);
  for (const why of skipped) console.log(`passed over a damaged checkpoint: ${why}`);
  try {
    const report = await evaluateRun(dir, config, ema, step, sampleOptionsFor(config, overrides));
    for (const line of describeEvalReport(report, displayPath(dir))) console.log(line);
  } finally {
    disposeDit(ema);
  }
}

/** `video-dit eval`. */
export const evalCommand = command('eval', {
  summary: 'quality score: real clips, untrained and trained model',
  does: 'quality score of real clips, the untrained model and the trained one',
  flags: FLAGS,
  run: evaluate,
});
