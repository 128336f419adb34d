import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Config } from '../config/index.js';
import { type QualityResult, validationLoss } from '../eval/index.js';
import { tokenCount } from '../model/index.js';
import { latestCheckpoint, loadNewestIntactCheckpoint, processRuns, removeStaleTemporaries } from './checkpoint.js';
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
  /** Called with what the run found and did to its folder (the checkpoint it resumes from, leftovers removed). */
  onNote?: (line: string) => void;
  /** Asked after every step (on webgpu, after every read of the losses): true ends training there, with a checkpoint of that step. */
  stopRequested?: () => boolean;
  /**
   * The quality of the run's samples at a step, measured after every checkpoint and written to
   * `metrics.jsonl`; a resume measures the step it continues from when a kill lost that line.
   */
  qualityAt?: (trainer: Trainer) => Promise<QualityResult>;
}

/**
 * Deletes a run folder for `--fresh`, only when it is one: absent, empty, or holding this app's
 * `config.json`; never a folder that is something else (a typo's parent, another tool's).
 */
async function removeRunFolder(folder: RunFolder): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder.dir);
  } catch {
    return;
  }
  if (names.length === 0) return;
  let config: unknown;
  try {
    config = JSON.parse(await readFile(folder.config, 'utf8'));
  } catch {
    config = undefined;
  }
  const isRun = typeof config === 'object' && config !== null && 'model' in config && 'train' in config;
  if (!isRun) throw new Error(`--fresh would delete ${folder.dir}, which is not a run folder of video-dit (no run config.json): refusing`);
  await rm(folder.dir, { recursive: true, force: true });
}

/**
 * Takes the run's lock (`<run>/lock`, the pid inside): one process writes a run at a time. A lock
 * whose process is gone is taken over.
 * @returns a function that releases it.
 * @throws {Error} naming the holder when another live process holds it.
 */
async function lockRun(folder: RunFolder, note: (line: string) => void): Promise<() => Promise<void>> {
  const path = join(folder.dir, 'lock');
  for (;;) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processRuns(holder)) {
      throw new Error(`${folder.dir} is being trained by process ${holder} (its lock file ${path}); wait for it or stop it`);
    }
    note(`took over ${path}: its process ${Number.isInteger(holder) && holder > 0 ? holder : '(unnamed)'} is gone`);
    await rm(path, { force: true });
  }
}

/**
 * Steps to train before the loop next logs, validates, checkpoints or ends, at most the trainer's
 * `stepsPerRead`: a webgpu run reads their losses once (and hears a stop after them).
 */
function stepsUntilNextEvent(trainer: Trainer, train: Config['train']): number {
  const next = [train.logEvery, train.checkpointEvery, train.validateEvery]
    .filter((every) => every > 0)
    .map((every) => every - (trainer.step % every));
  return Math.min(trainer.stepsPerRead, train.steps - trainer.step, ...next);
}

/**
 * Writes the trainer's checkpoint; a disk that is full or fails says which checkpoint could not
 * be written and which one is the last good one (the failed write removed its own files).
 */
async function checkpoint(trainer: Trainer, folder: RunFolder): Promise<string> {
  try {
    return await trainer.saveCheckpoint(folder.checkpoints);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOSPC' && code !== 'EIO' && code !== 'EDQUOT') throw error;
    const kept = await latestCheckpoint(folder.checkpoints);
    throw new Error(
      `cannot write the checkpoint of step ${trainer.step} in ${folder.checkpoints}: ${code === 'EIO' ? 'the disk failed' : 'the disk is full'} (${(error as Error).message}); ` +
        `${kept === undefined ? 'no checkpoint was written yet' : `the last good checkpoint is ${kept}`}; its partial files were removed: free space, then --resume`,
    );
  }
}

/** Writes a file whole or not at all: through a temporary file renamed over it. */
async function replaceFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

/**
 * Trains a run into its folder, `<outDir>/<name>/`: writes the resolved config, appends `metrics.jsonl` every
 * `logEvery` steps, checkpoints every `checkpointEvery` steps and at the end, and draws the loss
 * curve. A NaN or infinite loss stops training before the update, keeping the last good checkpoint.
 * @param config - a resolved configuration.
 * @param options - resume, fresh start, callbacks.
 * @returns the trainer (model, EMA; the caller disposes it), the run folder's files, and where
 *   training stopped when `stopRequested` ended it early.
 * @throws {Error} when the run folder already has checkpoints and neither `resume` nor `fresh` is
 *   set, or when `resume` finds a checkpoint of a different model; {@link NonFiniteLossError}.
 */
export async function trainToFolder(
  config: Config,
  options: TrainOptions = {},
): Promise<{ trainer: Trainer; folder: RunFolder; stoppedAt?: { step: number; checkpoint: string } }> {
  const folder = runFolder(join(config.outDir, config.name));
  const note = options.onNote ?? (() => undefined);
  if (options.resume === true) {
    const exists = await stat(folder.dir).then(
      () => true,
      () => false,
    );
    if (!exists) throw new Error(`--resume: there is no run ${folder.dir} (check --name and --out)`);
  } else if (options.fresh === true) {
    await removeRunFolder(folder);
  }
  try {
    await mkdir(folder.dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') throw new Error(`cannot make the run folder ${folder.dir}: a part of that path is a file, not a folder (check --out and --name)`);
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') throw new Error(`cannot make the run folder ${folder.dir}: ${code === 'EROFS' ? 'the disk is read-only' : 'no permission to write there'} (choose another --out)`);
    throw error;
  }
  const unlock = await lockRun(folder, note);
  const trainer = new Trainer(config);
  try {
    for (const removed of await removeStaleTemporaries(folder.checkpoints)) note(`removed ${removed}, a checkpoint write a killed process left`);
    let metrics: MetricsLine[] = [];
    if (options.resume !== true && (await latestCheckpoint(folder.checkpoints)) !== undefined) {
      throw new Error(`${folder.dir} already holds checkpoints: pass --resume to continue it, or --fresh to start over`);
    }
    if (options.resume === true) {
      const { path, data, skipped } = await loadNewestIntactCheckpoint(folder.checkpoints);
      for (const why of skipped) note(`passed over a damaged checkpoint: ${why}`);
      if (data === undefined) {
        throw new Error(`--resume: ${folder.dir} has ${skipped.length === 0 ? 'no checkpoint' : 'no intact checkpoint'} to continue from`);
      }
      const saved = data.config as Config;
      const changed = Object.keys({ ...saved.model, ...config.model }).filter(
        (key) => JSON.stringify((saved.model as Record<string, unknown>)[key]) !== JSON.stringify((config.model as Record<string, unknown>)[key]),
      );
      if (changed.length > 0) {
        for (const group of Object.values(data.tensors)) tf.dispose([...group.values()]);
        throw new Error(`cannot resume ${path}: it was trained with another model (${changed.map((key) => `model.${key}`).join(', ')} differ)`);
      }
      trainer.restore(data);
      note(`resumed from ${path} at step ${trainer.step}`);
      const read = await readMetrics(folder.metrics);
      if (read.tornLastLine) note(`dropped a torn last line of ${folder.metrics}`);
      metrics = read.lines.filter((m) => m.step <= trainer.step);
    }
    await replaceFile(folder.metrics, metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
    await replaceFile(
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
    const measureQuality = async () => {
      if (options.qualityAt !== undefined) await write({ kind: 'quality', step: trainer.step, ...(await options.qualityAt(trainer)) });
    };
    // a kill between a checkpoint and its quality line lost that line (a stop's own checkpoint has none)
    if (startStep > 0 && startStep % checkpointEvery === 0 && !metrics.some((m) => m.kind === 'quality' && m.step === startStep)) await measureQuality();
    while (trainer.step < steps) {
      let results: StepResult[];
      try {
        results = await trainer.trainSteps(stepsUntilNextEvent(trainer, config.train));
      } catch (error) {
        if (error instanceof NonFiniteLossError) {
          const kept = await latestCheckpoint(folder.checkpoints);
          error.message += kept === undefined ? '; no checkpoint was written yet' : `; the last good checkpoint is ${kept}`;
        }
        throw error;
      }
      const now = performance.now();
      for (const result of results) {
        intervalLoss += result.loss;
        intervalNorm += result.gradNorm;
        intervalSteps += 1;
        options.onStep?.(result, (result.step - startStep) / ((now - started) / 1000));
      }
      const result = results.at(-1)!;
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
      const checkpointed = trainer.step % checkpointEvery === 0 || trainer.step === steps;
      if (checkpointed) {
        await checkpoint(trainer, folder);
        await measureQuality();
      }
      if (trainer.step < steps && options.stopRequested?.() === true) {
        const kept = checkpointed ? (await latestCheckpoint(folder.checkpoints))! : await checkpoint(trainer, folder);
        await writeLossCurve(metrics, folder.lossCurve);
        return { trainer, folder, stoppedAt: { step: trainer.step, checkpoint: kept } };
      }
    }
    await writeLossCurve(metrics, folder.lossCurve);
    return { trainer, folder };
  } catch (error) {
    trainer.dispose();
    throw error;
  } finally {
    await unlock();
  }
}
