import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Config, resolveStoredConfig } from '../config/index.js';
import type { QualityResult, ValidationResult } from '../eval/index.js';
import { writeLineChart } from '../media/index.js';
import { assignParams, createDit, type Dit, disposeDit } from '../model/index.js';
import { loadNewestIntactCheckpoint } from './checkpoint.js';

/** One line of `metrics.jsonl`. */
export type MetricsLine =
  | { kind: 'train'; step: number; loss: number; gradNorm: number; learningRate: number; stepsPerSecond: number; elapsedSeconds: number }
  | { kind: 'validation'; step: number; loss: number; buckets: ValidationResult['buckets'] }
  | ({ kind: 'quality'; step: number } & QualityResult);

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
 * Reads `metrics.jsonl`. A torn last line (what a full disk or a kill mid-write leaves) is dropped.
 * @param path - the file.
 * @returns its lines (none if it does not exist), and whether a torn last line was dropped.
 * @throws {Error} naming the file and line when a line before the last does not parse.
 */
export async function readMetrics(path: string): Promise<{ lines: MetricsLine[]; tornLastLine: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { lines: [], tornLastLine: false };
  }
  const rows = text.split('\n').filter((line) => line.trim() !== '');
  const lines: MetricsLine[] = [];
  for (const [i, row] of rows.entries()) {
    try {
      lines.push(JSON.parse(row) as MetricsLine);
    } catch (error) {
      if (i === rows.length - 1 && !text.endsWith('\n')) return { lines, tornLastLine: true };
      throw new Error(`${path} line ${i + 1} is not a metrics line: ${(error as Error).message}`);
    }
  }
  return { lines, tornLastLine: false };
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
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${runFolder(dir).config} is not valid JSON: ${(error as Error).message}`);
  }
  return resolveStoredConfig(parsed, runFolder(dir).config);
}

/**
 * Loads the EMA model of a finished (or interrupted) run's newest intact checkpoint, on the
 * current backend; a damaged newer one is passed over, and said so.
 * @param dir - the run folder (`runs/<name>`).
 * @param config - the run's configuration (see {@link readRunConfig}).
 * @returns the EMA model (the caller disposes it with `disposeDit`), the checkpoint's step, and
 *   the damaged checkpoints passed over (why, each).
 * @throws {Error} when the folder has no intact checkpoint or it does not fit the model.
 */
export async function loadRunEma(dir: string, config: Config): Promise<{ ema: Dit; step: number; skipped: string[] }> {
  const { data, skipped } = await loadNewestIntactCheckpoint(runFolder(dir).checkpoints);
  if (data === undefined) {
    throw new Error(skipped.length === 0 ? `${dir} has no checkpoint yet` : `${dir} has no intact checkpoint: ${skipped.join('; ')}`);
  }
  for (const group of ['params', 'adam.m', 'adam.v'] as const) for (const t of data.tensors[group].values()) t.dispose();
  const ema = createDit(config.model, 0);
  try {
    assignParams(ema.params, data.tensors.ema, 'ema');
  } catch (error) {
    disposeDit(ema);
    throw error;
  }
  return { ema, step: data.step, skipped };
}
