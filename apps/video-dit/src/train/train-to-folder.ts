import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Config } from '../config/index.js';
import { validationLoss } from '../eval/index.js';
import { tokenCount } from '../model/index.js';
import { latestCheckpoint, loadCheckpoint } from './checkpoint.js';
import { type MetricsLine, type RunFolder, readMetrics, runFolder, writeLossCurve } from './run-folder.js';
import { NonFiniteLossError, type StepResult, Trainer } from './trainer.js';

/** Options of {@link trainToFolder}. */
export interface TrainOptions {
  /** Continue from the newest checkpoint in `runs/<name>/checkpoints`. */
  resume?: boolean;
  /** Delete an earlier run of the same name first. */
  fresh?: boolean;
  /** Called after every step. */
  onStep?: (result: StepResult, stepsPerSecond: number) => void;
  /** Called with each metrics line as it is written. */
  onMetrics?: (line: MetricsLine) => void;
}

/**
 * Trains a run into its folder, `<outDir>/<name>/`: writes the resolved config, appends `metrics.jsonl` every
 * `logEvery` steps, checkpoints every `checkpointEvery` steps and at the end, and draws the loss
 * curve. A NaN or infinite loss stops training before the update, keeping the last good checkpoint.
 * @param config - a resolved configuration.
 * @param options - resume, fresh start, callbacks.
 * @returns the trainer (model, EMA; the caller disposes it) and the run folder's files.
 * @throws {Error} when the run folder already has checkpoints and neither `resume` nor `fresh` is
 *   set, or when `resume` finds a checkpoint of a different model; {@link NonFiniteLossError}.
 */
export async function trainToFolder(config: Config, options: TrainOptions = {}): Promise<{ trainer: Trainer; folder: RunFolder }> {
  const folder = runFolder(join(config.outDir, config.name));
  if (options.fresh === true) await rm(folder.dir, { recursive: true, force: true });
  await mkdir(folder.dir, { recursive: true });
  const trainer = new Trainer(config);
  try {
    const checkpoint = await latestCheckpoint(folder.checkpoints);
    let metrics: MetricsLine[] = [];
    if (checkpoint !== undefined && options.resume !== true) {
      throw new Error(`${folder.dir} already holds checkpoints: pass --resume to continue it, or --fresh to start over`);
    }
    if (checkpoint !== undefined) {
      const data = await loadCheckpoint(checkpoint);
      const saved = data.config as Config;
      if (JSON.stringify(saved.model) !== JSON.stringify(config.model)) {
        for (const group of Object.values(data.tensors)) tf.dispose([...group.values()]);
        throw new Error(`cannot resume ${checkpoint}: it was trained with model ${JSON.stringify(saved.model)}, not ${JSON.stringify(config.model)}`);
      }
      trainer.restore(data);
      metrics = (await readMetrics(folder.metrics)).filter((m) => m.step <= trainer.step);
    }
    await writeFile(folder.metrics, metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
    await writeFile(
      folder.config,
      `${JSON.stringify({ ...config, resolved: { trainingShift: trainer.shift, tokens: tokenCount(config.model) } }, null, 2)}\n`,
    );
    const { steps, logEvery, checkpointEvery, validateEvery } = config.train;
    const startStep = trainer.step;
    const started = performance.now();
    let intervalStart = performance.now();
    let intervalLoss = 0;
    let intervalNorm = 0;
    let intervalSteps = 0;
    const write = async (line: MetricsLine) => {
      metrics.push(line);
      await appendFile(folder.metrics, `${JSON.stringify(line)}\n`);
      options.onMetrics?.(line);
    };
    while (trainer.step < steps) {
      let result: StepResult;
      try {
        result = await trainer.trainStep();
      } catch (error) {
        if (error instanceof NonFiniteLossError) {
          const kept = await latestCheckpoint(folder.checkpoints);
          error.message += kept === undefined ? '; no checkpoint was written yet' : `; the last good checkpoint is ${kept}`;
        }
        throw error;
      }
      intervalLoss += result.loss;
      intervalNorm += result.gradNorm;
      intervalSteps += 1;
      const now = performance.now();
      const stepsPerSecond = (trainer.step - startStep) / ((now - started) / 1000);
      options.onStep?.(result, stepsPerSecond);
      if (trainer.step % logEvery === 0 || trainer.step === steps) {
        await write({
          kind: 'train',
          step: trainer.step,
          loss: intervalLoss / intervalSteps,
          gradNorm: intervalNorm / intervalSteps,
          learningRate: result.learningRate,
          stepsPerSecond: intervalSteps / ((now - intervalStart) / 1000),
          elapsedSeconds: (now - started) / 1000,
        });
        intervalLoss = 0;
        intervalNorm = 0;
        intervalSteps = 0;
        intervalStart = performance.now();
      }
      if (validateEvery > 0 && trainer.step % validateEvery === 0) {
        const validation = await validationLoss(trainer.ema, trainer.data, { clips: config.data.validationClips });
        await write({ kind: 'validation', step: trainer.step, loss: validation.loss, buckets: validation.buckets });
      }
      if (trainer.step % checkpointEvery === 0 || trainer.step === steps) await trainer.saveCheckpoint(folder.checkpoints);
    }
    await writeLossCurve(metrics, folder.lossCurve);
    return { trainer, folder };
  } catch (error) {
    trainer.dispose();
    throw error;
  }
}
