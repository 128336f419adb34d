import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Config, resolveConfig } from '../config/index.js';
import type { ValidationResult } from '../eval/index.js';
import { writeLineChart } from '../media/index.js';
import { assignParams, createDit, type Dit, disposeDit } from '../model/index.js';
import { latestCheckpoint, loadCheckpoint } from './checkpoint.js';

/** One line of `metrics.jsonl`. */
export type MetricsLine =
  | { kind: 'train'; step: number; loss: number; gradNorm: number; learningRate: number; stepsPerSecond: number; elapsedSeconds: number }
  | { kind: 'validation'; step: number; loss: number; buckets: ValidationResult['buckets'] };

/** The files of a run folder, `<outDir>/<name>/`. */
export interface RunFolder {
  dir: string;
  config: string;
  metrics: string;
  lossCurve: string;
  checkpoints: string;
  samples: string;
}

/**
 * The files of a run folder.
 * @param dir - the folder, `<outDir>/<name>`.
 * @returns the paths.
 */
export function runFolder(dir: string): RunFolder {
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
 * Reads a run's configuration (`runs/<name>/config.json`), validated.
 * @param dir - the run folder.
 * @returns the configuration.
 * @throws {Error} when the folder has no config.json; {@link ConfigError} when it does not validate.
 */
export async function readRunConfig(dir: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(runFolder(dir).config, 'utf8');
  } catch {
    throw new Error(`${dir} is not a run folder (no config.json); train one with 'video-dit train'`);
  }
  const { resolved: _resolved, ...stored } = JSON.parse(text) as Config & { resolved?: unknown };
  return resolveConfig([stored], runFolder(dir).config);
}

/**
 * Loads the EMA model of a finished (or interrupted) run's newest checkpoint, on the current backend.
 * @param dir - the run folder (`runs/<name>`).
 * @param config - the run's configuration (see {@link readRunConfig}).
 * @returns the EMA model (the caller disposes it with `disposeDit`) and the checkpoint's step.
 * @throws {Error} when the folder has no checkpoint or it does not fit the model.
 */
export async function loadRunEma(dir: string, config: Config): Promise<{ ema: Dit; step: number }> {
  const checkpoint = await latestCheckpoint(runFolder(dir).checkpoints);
  if (checkpoint === undefined) throw new Error(`${dir} has no checkpoint yet`);
  const data = await loadCheckpoint(checkpoint);
  for (const group of ['params', 'adam.m', 'adam.v'] as const) for (const t of data.tensors[group].values()) t.dispose();
  const ema = createDit(config.model, 0);
  try {
    assignParams(ema.params, data.tensors.ema, 'ema');
  } catch (error) {
    disposeDit(ema);
    throw error;
  }
  return { ema, step: data.step };
}
