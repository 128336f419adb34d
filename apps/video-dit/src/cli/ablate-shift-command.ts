import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ablationComparisons, ablationPlan, ablationTable, runAblation, summarizeAblation, writeAblationFigure } from '../ablation/index.js';
import { command, type FlagSpecs, type FlagValues, flagsAsArgs, numberFlag, StoppedBySignalError } from './args.js';
import { displayPath } from './display-path.js';
import { BACKEND_FLAG } from './flags.js';
import { formatDuration } from './progress.js';
import { startBackend } from './start-backend.js';
import { catchStopSignals, SIGNAL_EXIT_CODES } from './stop-signals.js';

const FLAGS = {
  out: { type: 'string', value: 'DIR', help: 'the ablation folder, one run folder per run (default runs/ablation)' },
  steps: { type: 'string', value: 'N', help: 'training steps of every run (default 1200)' },
  seeds: { type: 'string', value: 'N', help: 'seeds of every configuration (default 2)' },
  quick: { type: 'boolean', help: 'a few steps and clips per run: every stage runs, the numbers mean nothing (CI)' },
  backend: { ...BACKEND_FLAG, help: 'backend (default wasm, as the small preset)' },
} as const satisfies FlagSpecs;

/**
 * `video-dit ablate-shift`: the training-shift ablation (see `src/ablation`), resumable by running
 * the same command again; writes `results.md`, `results.json` and `ablation.png` in its folder.
 */
async function ablateShift(flags: FlagValues<typeof FLAGS>): Promise<void> {
  const outDir = flags.out ?? 'runs/ablation';
  const plan = ablationPlan({
    quick: flags.quick === true,
    ...(flags.steps === undefined ? {} : { steps: numberFlag('steps', flags.steps)! }),
    ...(flags.seeds === undefined ? {} : { seeds: numberFlag('seeds', flags.seeds)! }),
  });
  const backend = flags.backend ?? 'wasm';
  await startBackend(backend);
  const started = performance.now();
  let current = '';
  let runsLeft = 0;
  const signals = catchStopSignals(() => undefined, 'stopping after this step, with a checkpoint of the run under way');
  let outcome: Awaited<ReturnType<typeof runAblation>>;
  try {
    outcome = await runAblation(outDir, plan, backend, {
      onRun: (index, total, run, done) => {
        current = `[${index + 1}/${total}] ${run.name}`;
        runsLeft = total - index - 1;
        console.log(`${current}: ${run.side}×${run.side} clips in ${run.patch}×${run.patch} patches, shift ${run.shift}, seed ${run.seed}${done ? ': done earlier' : ''}`);
      },
      onNote: (_run, line) => console.log(`  ${line}`),
      onMetrics: (_run, line) => {
        if (line.kind === 'quality') console.log(`${current}  step ${line.step}  quality score ${line.score.toFixed(3)}`);
        if (line.kind !== 'train') return;
        const thisRun = (plan.steps - line.step) / line.stepsPerSecond;
        const all = thisRun + (runsLeft * plan.steps) / line.stepsPerSecond;
        console.log(
          `${current}  step ${line.step}/${plan.steps}  loss ${line.loss.toFixed(4)}  ${line.stepsPerSecond.toFixed(2)} steps/s  ETA run ${formatDuration(thisRun)}, ablation ${formatDuration(all)} (training only)`,
        );
      },
      stopRequested: () => signals.received() !== undefined,
    });
  } finally {
    signals.release();
  }
  const stopSignal = signals.received();
  if (outcome.stopped !== undefined && stopSignal !== undefined) {
    const again = ['video-dit ablate-shift', ...flagsAsArgs(flags)].join(' ');
    throw new StoppedBySignalError(
      `stopped by ${stopSignal} in run ${outcome.stopped.run.name} at step ${outcome.stopped.step}; checkpoint ${displayPath(outcome.stopped.checkpoint)}; continue with: ${again}`,
      SIGNAL_EXIT_CODES[stopSignal] ?? 1,
    );
  }
  const arms = summarizeAblation(outcome.results);
  const table = ablationTable(arms);
  const comparisons = ablationComparisons(arms);
  const seconds = (performance.now() - started) / 1000;
  const figure = join(outDir, 'ablation.png');
  await writeAblationFigure(figure, outcome.results);
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify({ plan, arms, runs: outcome.results }, null, 2)}\n`);
  const heading = `Shift ablation: ${plan.seeds} seed${plan.seeds === 1 ? '' : 's'} × ${arms.length} configurations, ${plan.steps} steps each${plan.quick ? ' (--quick: the numbers mean nothing)' : ''}; final quality of ${plan.finalClips} samples per run, validation loss of ${plan.validationClips} clips by t bucket (0 = noise).`;
  await writeFile(join(outDir, 'results.md'), `${[heading, '', ...table, '', ...comparisons.map((line) => `- ${line}`)].join('\n')}\n`);
  console.log(['', heading, ...table, '', ...comparisons].join('\n'));
  console.log(`wrote ${displayPath(join(outDir, 'results.md'))}, results.json and ablation.png; this command ran ${formatDuration(seconds)}`);
}

/** `video-dit ablate-shift`. */
export const ablateShiftCommand = command('ablate-shift', {
  summary: 'training-shift ablation at two resolutions (resumable)',
  does: 'train the shift ablation into <out>/: shifts 1, the token and pixel rules and 4× at 16×16 and 32×32',
  flags: FLAGS,
  run: ablateShift,
});
