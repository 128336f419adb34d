import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validationLoss, type ValidationResult } from '../eval/validation.js';
import { writeLineChart } from '../media/index.js';
import { tokenCount } from '../model/config.js';
import { initParams, type ModelParams } from '../model/params.js';
import { assignFrom, latestCheckpoint, loadCheckpoint } from './checkpoint.js';
import { type RunConfig, resolveRunConfig } from './config.js';
import { NonFiniteLossError, type StepResult, Trainer } from './trainer.js';

/** One line of `metrics.jsonl`. */
export type MetricsLine =
  | { kind: 'train'; step: number; loss: number; gradNorm: number; learningRate: number; stepsPerSecond: number; elapsedSeconds: number }
  | { kind: 'validation'; step: number; loss: number; buckets: ValidationResult['buckets'] };

/** Options of {@link trainRun}. */
export interface TrainRunOptions {
  /** Continue from the newest checkpoint in `runs/<name>/checkpoints`. */
  resume?: boolean;
  /** Delete an earlier run of the same name first. */
  fresh?: boolean;
  /** Called after every step. */
  onStep?: (result: StepResult, stepsPerSecond: number) => void;
  /** Called with each metrics line as it is written. */
  onMetrics?: (line: MetricsLine) => void;
  /** Stop early after this many steps of this process (tests). */
  stopAfter?: number;
}

/** Paths of a run's outputs. */
export interface RunPaths {
  dir: string;
  config: string;
  metrics: string;
  lossCurve: string;
  checkpoints: string;
  samples: string;
}

/**
 * The output paths of a run: `<outDir>/<name>/…`.
 * @param config - a resolved configuration.
 * @returns the paths.
 */
export function runPaths(config: Pick<RunConfig, 'outDir' | 'name'>): RunPaths {
  const dir = join(config.outDir, config.name);
  return {
    dir,
    config: join(dir, 'config.json'),
    metrics: join(dir, 'metrics.jsonl'),
    lossCurve: join(dir, 'loss-curve.png'),
    checkpoints: join(dir, 'checkpoints'),
    samples: join(dir, 'samples'),
  };
}

/**
 * Reads `metrics.jsonl`.
 * @param path - the file.
 * @returns its lines (none if it does not exist).
 */
export async function readMetrics(path: string): Promise<MetricsLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as MetricsLine);
}

/**
 * Draws the training loss (and validation loss, if any) against the step as a PNG.
 * @param metrics - lines of `metrics.jsonl`.
 * @param path - the PNG to write.
 */
export async function writeLossCurve(metrics: MetricsLine[], path: string): Promise<void> {
  const train = metrics.filter((m) => m.kind === 'train');
  if (train.length === 0) return;
  const series = [{ name: 'training loss', points: train.map((m) => [m.step, m.loss] as [number, number]) }];
  const validation = metrics.filter((m) => m.kind === 'validation');
  if (validation.length > 0) {
    series.push({ name: 'validation loss', points: validation.map((m) => [m.step, m.loss] as [number, number]) });
  }
  await writeLineChart(path, { title: 'flow-matching loss', x: 'step', y: 'loss (MSE of velocity)', series, logY: true });
}

/**
 * Trains a run into `runs/<name>/`: writes the resolved config, appends `metrics.jsonl` every
 * `logEvery` steps, checkpoints every `checkpointEvery` steps and at the end, and draws the loss
 * curve. A NaN or infinite loss stops training before the update, keeping the last good checkpoint.
 * @param config - a resolved configuration.
 * @param options - resume, fresh start, callbacks.
 * @returns the trainer (weights, EMA; the caller disposes it) and the run's paths.
 * @throws Error when the run folder already has checkpoints and neither `resume` nor `fresh` is set,
 * when `resume` finds a checkpoint of a different model, or NonFiniteLossError.
 */
export async function trainRun(config: RunConfig, options: TrainRunOptions = {}): Promise<{ trainer: Trainer; paths: RunPaths }> {
  const paths = runPaths(config);
  if (options.fresh === true) await rm(paths.dir, { recursive: true, force: true });
  await mkdir(paths.dir, { recursive: true });
  const trainer = new Trainer(config);
  try {
    const checkpoint = await latestCheckpoint(paths.checkpoints);
    let metrics: MetricsLine[] = [];
    if (checkpoint !== undefined && options.resume !== true) {
      throw new Error(`${paths.dir} already holds checkpoints: pass --resume to continue it, or --fresh to start over`);
    }
    if (checkpoint !== undefined) {
      const data = await loadCheckpoint(checkpoint);
      const saved = data.config as RunConfig;
      if (JSON.stringify(saved.model) !== JSON.stringify(config.model)) {
        throw new Error(`cannot resume ${checkpoint}: it was trained with model ${JSON.stringify(saved.model)}, not ${JSON.stringify(config.model)}`);
      }
      trainer.restore(data);
      metrics = (await readMetrics(paths.metrics)).filter((m) => m.step <= trainer.step);
    }
    await writeFile(paths.metrics, metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
    await writeFile(
      paths.config,
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
      await appendFile(paths.metrics, `${JSON.stringify(line)}\n`);
      options.onMetrics?.(line);
    };
    while (trainer.step < steps) {
      if (options.stopAfter !== undefined && trainer.step - startStep >= options.stopAfter) break;
      let result: StepResult;
      try {
        result = await trainer.trainStep();
      } catch (error) {
        if (error instanceof NonFiniteLossError) {
          const kept = await latestCheckpoint(paths.checkpoints);
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
        const validation = await validationLoss(trainer.ema, config.model, trainer.data, { clips: config.data.validationClips });
        await write({ kind: 'validation', step: trainer.step, loss: validation.loss, buckets: validation.buckets });
      }
      if (trainer.step % checkpointEvery === 0 || trainer.step === steps) await trainer.saveCheckpoint(paths.checkpoints);
    }
    await writeLossCurve(metrics, paths.lossCurve);
    return { trainer, paths };
  } catch (error) {
    trainer.dispose();
    throw error;
  }
}

/**
 * Reads a run's configuration (`runs/<name>/config.json`), validated.
 * @param dir - the run folder.
 * @returns the configuration.
 * @throws Error when the folder has no config.json; ConfigError when it does not validate.
 */
export async function readRunConfig(dir: string): Promise<RunConfig> {
  let text: string;
  try {
    text = await readFile(join(dir, 'config.json'), 'utf8');
  } catch {
    throw new Error(`${dir} is not a run folder (no config.json); train one with 'video-dit train'`);
  }
  const { resolved: _resolved, ...stored } = JSON.parse(text) as RunConfig & { resolved?: unknown };
  return resolveRunConfig([stored], join(dir, 'config.json'));
}

/**
 * Loads a finished (or interrupted) run's configuration and the EMA weights of its newest checkpoint.
 * @param dir - the run folder (`runs/<name>`).
 * @returns the configuration, the EMA weights (caller disposes) and the checkpoint's step.
 * @throws Error when the folder has no config.json or no checkpoint.
 */
export async function loadRunWeights(dir: string): Promise<{ config: RunConfig; ema: ModelParams; step: number }> {
  const config = await readRunConfig(dir);
  const checkpoint = await latestCheckpoint(join(dir, 'checkpoints'));
  if (checkpoint === undefined) throw new Error(`${dir} has no checkpoint yet`);
  const data = await loadCheckpoint(checkpoint);
  const ema = initParams(config.model, 0);
  assignFrom(ema, data.tensors.ema, 'ema');
  for (const group of ['params', 'adam.m', 'adam.v'] as const) for (const t of data.tensors[group].values()) t.dispose();
  return { config, ema, step: data.step };
}
