import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Config, dataConfig } from '../config/index.js';
import { datasetSplit, generateClip } from '../data/index.js';
import { writeContactSheet } from '../media/index.js';
import { createDit, type Dit, disposeDit } from '../model/index.js';
import { type SampleOptions, sampleClips } from '../sample/index.js';
import { meanQuality, type QualityResult } from './quality.js';
import { describeValidation, type ValidationResult, validationLoss } from './validation.js';

/** What `eval` measures of a run, as written to its `eval.json`. */
export interface EvalReport {
  /** The checkpoint's step. */
  step: number;
  /** Clips per row. */
  count: number;
  sampling: SampleOptions;
  /** The same score for held-out real clips, the untrained model's samples and the trained EMA model's. */
  quality: { real: QualityResult; untrained: QualityResult; trained: QualityResult };
  trainedOverReal: number;
  validation: ValidationResult;
}

/** Real clips shown per row of `eval-contact-sheet.png`. */
const SHOWN_PER_ROW = 4;

/**
 * Evaluates a trained run: the quality score of `sampling.count` held-out real clips, of as many
 * samples of the untrained model (the run's initial weights) and of the trained EMA model, and the
 * validation loss by timestep bucket. Writes `eval.json` and `eval-contact-sheet.png` (real,
 * untrained and trained rows) into the run folder.
 * @param dir - the run folder.
 * @param config - the run's configuration.
 * @param ema - the run's EMA model.
 * @param step - the checkpoint's step.
 * @param sampling - how to sample both models (see `sampleOptionsFor`).
 * @returns the report.
 */
export async function evaluateRun(dir: string, config: Config, ema: Dit, step: number, sampling: SampleOptions): Promise<EvalReport> {
  const data = dataConfig(config);
  const shape: [number, number, number] = [config.model.frames, config.model.height, config.model.width];
  const { count } = sampling;
  const real = datasetSplit('validation', count).map((index) => generateClip(data, index).pixels);
  const untrainedModel = createDit(config.model, config.train.seed);
  let untrained: Float32Array[];
  try {
    untrained = await sampleClips(untrainedModel, sampling);
  } finally {
    disposeDit(untrainedModel);
  }
  const trained = await sampleClips(ema, sampling);
  const quality = {
    real: meanQuality(real, shape, data),
    untrained: meanQuality(untrained, shape, data),
    trained: meanQuality(trained, shape, data),
  };
  const validation = await validationLoss(ema, data, { clips: config.data.validationClips });
  const report: EvalReport = { step, count, sampling, quality, trainedOverReal: quality.trained.score / quality.real.score, validation };
  const shown = Math.min(SHOWN_PER_ROW, count);
  const rows = { real, untrained, trained };
  await writeContactSheet(
    join(dir, 'eval-contact-sheet.png'),
    Object.values(rows).flatMap((clips) => clips.slice(0, shown)),
    shape,
    { labels: Object.keys(rows).flatMap((label) => Array<string>(shown).fill(label)) },
  );
  await writeFile(join(dir, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/**
 * The report for a terminal, one line each: the score of every row with its parts, the ratio and the validation loss.
 * @param report - from {@link evaluateRun}.
 * @param dir - the run folder, named in the first line.
 * @returns the lines.
 */
export function describeEvalReport(report: EvalReport, dir: string): string[] {
  const rows = Object.entries(report.quality).map(([label, result]) => {
    const parts = Object.entries(result.parts)
      .map(([name, value]) => `${name} ${value.toFixed(2)}`)
      .join(', ');
    return `  ${label.padEnd(10)} ${result.score.toFixed(3)}  (${parts})`;
  });
  return [
    `quality score (${report.count} clips each; run ${dir} at step ${report.step}):`,
    ...rows,
    `  trained / real = ${report.trainedOverReal.toFixed(3)}`,
    describeValidation(report.validation),
  ];
}
