import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** A checkpoint that cannot be read back as written: damaged, truncated or not ours. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Identifies our checkpoint manifests. */
export const CHECKPOINT_FORMAT = 'flowdit-video-dit-checkpoint';
/** 2: the tensors in `tensors.safetensors`; 1 (still read): raw float32 in `tensors.bin`. */
const CHECKPOINT_VERSION = 2;

/** The groups of tensors a checkpoint holds. */
export type TensorGroup = 'params' | 'ema' | 'adam.m' | 'adam.v';

/**
 * `manifest.json`: everything but the tensor values, which are in `tensors.safetensors` (named
 * `group/name`, float32), a file other tools read.
 */
export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Training steps completed. */
  step: number;
  /** AdamW updates applied (bias correction). */
  optimizerUpdates: number;
  /** State words of the seeded generator that draws data, noise and timesteps. */
  rngState: number[];
  /** The resolved run configuration. */
  config: unknown;
  tensors: { group: TensorGroup; name: string; shape: number[]; offset: number; length: number }[];
  /** Size of the tensor file in bytes. */
  bytes: number;
  /** SHA-256 of the tensor file, hex (checkpoints written before it existed have none). */
  sha256?: string;
}

/** What a checkpoint restores. */
export interface CheckpointData {
  step: number;
  optimizerUpdates: number;
  rngState: number[];
  config: unknown;
  tensors: Record<TensorGroup, Map<string, tf.Tensor>>;
}

const STEP_DIR = /^step-(\d+)$/;
/** The tensors of a checkpoint (format version 2). */
const TENSOR_FILE = 'tensors.safetensors';

function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/**
 * Writes a checkpoint into `dir/step-NNNNNNNN/` (manifest.json + tensors.bin). It is written
 * under a temporary name and renamed, so a crash never leaves a half-written checkpoint; then
 * all but the newest `keep` checkpoints are removed.
 * @param dir - the run's checkpoint folder.
 * @param data - step, optimizer count, rng state, config and the tensor groups.
 * @param keep - how many checkpoints to keep (≥ 1).
 * @returns the path of the new checkpoint.
 */
export async function saveCheckpoint(
  dir: string,
  data: {
    step: number;
    optimizerUpdates: number;
    rngState: ArrayLike<number>;
    config: unknown;
    groups: Record<TensorGroup, ReadonlyMap<string, tf.Tensor>>;
  },
  keep = 2,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const entries: CheckpointManifest['tensors'] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const group of ['params', 'ema', 'adam.m', 'adam.v'] as const) {
    for (const [name, tensor] of data.groups[group]) {
      const values = (await tensor.data()) as Float32Array;
      entries.push({ group, name, shape: [...tensor.shape], offset, length: values.length });
      chunks.push(values);
      offset += values.length;
    }
  }
  const named = entries.map((entry, i) => ({ name: `${entry.group}/${entry.name}`, shape: entry.shape, values: chunks[i]! }));
  const file = encodeSafetensors(named, { format: CHECKPOINT_FORMAT, step: String(data.step) });
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: data.step,
    optimizerUpdates: data.optimizerUpdates,
    rngState: Array.from(data.rngState),
    config: data.config,
    tensors: entries,
    bytes: file.byteLength,
    sha256: sha256Of(file),
  };
  const final = join(dir, stepDirName(data.step));
  const temporary = join(dir, `.${stepDirName(data.step)}.tmp-${process.pid}`);
  await removeStaleTemporaries(dir);
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary);
  try {
    crashPoint('folder-made', data.step);
    // at the crash point 'half-tensors' the process dies with half the file written
    await writeDurably(join(temporary, TENSOR_FILE), crashesAt('half-tensors', data.step) ? file.subarray(0, file.byteLength >> 1) : file);
    crashPoint('half-tensors', data.step);
    crashPoint('tensors', data.step);
    await writeDurably(join(temporary, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    crashPoint('manifest', data.step);
    await syncFolder(temporary);
    await rm(final, { recursive: true, force: true });
    await rename(temporary, final);
    crashPoint('renamed', data.step);
    await syncFolder(dir);
  } catch (error) {
    // a full disk: what was written goes, so that freeing space is enough
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  const steps = await checkpointSteps(dir);
  for (const old of steps.slice(0, Math.max(0, steps.length - keep))) {
    await rm(join(dir, stepDirName(old)), { recursive: true, force: true });
    crashPoint('pruned', data.step);
  }
  return final;
}

/** The points of a checkpoint write at which `FLOWDIT_CRASH_AT` can kill the process. */
export const CRASH_POINTS = ['folder-made', 'half-tensors', 'tensors', 'manifest', 'renamed', 'pruned'] as const;
type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * A fail point for the crash tests: with `FLOWDIT_CRASH_AT=<point>@<step>` the process kills
 * itself (SIGKILL, nothing flushed, no handler run) there, which a timed kill from outside
 * could only hit by chance.
 */
function crashPoint(point: CrashPoint, step: number): void {
  if (crashesAt(point, step)) process.kill(process.pid, 'SIGKILL');
}

function crashesAt(point: CrashPoint, step: number): boolean {
  return process.env.FLOWDIT_CRASH_AT === `${point}@${step}`;
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes a file and flushes it to the disk before returning. */
async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Flushes a folder's entries (a rename into it) to the disk. */
async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

const TEMPORARY_DIR = /^\.step-\d+\.tmp-(\d+)$/;

/**
 * Whether a process with this pid runs (one we may not signal still runs).
 * @param pid - the process id.
 * @returns true while it runs.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary folders of checkpoint writes whose process is gone (killed mid-write).
 * @param dir - the checkpoint folder.
 * @returns the folders removed.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMPORARY_DIR.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && processRuns(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Steps of the complete checkpoints in a folder, ascending.
 * @param dir - the checkpoint folder (missing → none).
 * @returns the steps.
 */
export async function checkpointSteps(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const steps: number[] = [];
  for (const name of names) {
    const match = STEP_DIR.exec(name);
    if (match === null) continue;
    try {
      await stat(join(dir, name, 'manifest.json'));
      steps.push(Number(match[1]));
    } catch {
      // A folder without a manifest is not a checkpoint (the rename is what completes one).
    }
  }
  return steps.sort((a, b) => a - b);
}

/**
 * Path of the newest complete checkpoint in a folder.
 * @param dir - the checkpoint folder.
 * @returns the path, or undefined if there is none.
 */
export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  const steps = await checkpointSteps(dir);
  const last = steps.at(-1);
  return last === undefined ? undefined : join(dir, stepDirName(last));
}

/**
 * Reads a checkpoint folder written by {@link saveCheckpoint}.
 * @param path - the `step-NNNNNNNN` folder.
 * @returns its data; the tensors are new and owned by the caller.
 * @throws {CheckpointError} when the manifest cannot be read or is not ours, or the binary file has
 *   the wrong size or checksum.
 */
export async function loadCheckpoint(path: string): Promise<CheckpointData> {
  const manifestPath = join(path, 'manifest.json');
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as CheckpointManifest;
  } catch (error) {
    throw new CheckpointError(`${manifestPath} cannot be read: ${(error as Error).message}`);
  }
  if (manifest.format !== CHECKPOINT_FORMAT || !(manifest.version === 1 || manifest.version === CHECKPOINT_VERSION)) {
    throw new CheckpointError(`${path} is not a ${CHECKPOINT_FORMAT} v1 or v${CHECKPOINT_VERSION} checkpoint`);
  }
  const fileName = manifest.version === 1 ? 'tensors.bin' : TENSOR_FILE;
  const filePath = join(path, fileName);
  let bytes: Buffer;
  try {
    bytes = await readFile(filePath);
  } catch (error) {
    throw new CheckpointError(`${filePath} cannot be read: ${(error as Error).message}`);
  }
  if (bytes.byteLength !== manifest.bytes) {
    throw new CheckpointError(`${filePath} has ${bytes.byteLength} bytes, the manifest says ${manifest.bytes}`);
  }
  if (manifest.sha256 !== undefined && sha256Of(bytes) !== manifest.sha256) {
    throw new CheckpointError(`${filePath} is damaged: its SHA-256 is not the one its manifest recorded`);
  }
  const valuesOf = tensorValues(manifest, bytes, filePath);
  const tensors: CheckpointData['tensors'] = { params: new Map(), ema: new Map(), 'adam.m': new Map(), 'adam.v': new Map() };
  for (const entry of manifest.tensors) tensors[entry.group].set(entry.name, tf.tensor(valuesOf(entry), entry.shape));
  return { step: manifest.step, optimizerUpdates: manifest.optimizerUpdates, rngState: manifest.rngState, config: manifest.config, tensors };
}

/** The values of each manifest entry, from a v1 raw file or a v2 safetensors file. */
function tensorValues(manifest: CheckpointManifest, bytes: Buffer, filePath: string): (entry: CheckpointManifest['tensors'][number]) => Float32Array {
  if (manifest.version === 1) {
    const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return (entry) => flat.subarray(entry.offset, entry.offset + entry.length);
  }
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(bytes);
  } catch (error) {
    throw new CheckpointError(`${filePath}: ${(error as Error).message}`);
  }
  return (entry) => {
    const tensor = file.tensors.get(`${entry.group}/${entry.name}`);
    if (tensor === undefined || tensor.shape.join(',') !== entry.shape.join(',')) {
      throw new CheckpointError(`${filePath} has no tensor ${entry.group}/${entry.name} of shape [${entry.shape}]`);
    }
    return tensor.values;
  };
}

/**
 * The newest checkpoint of a folder that reads back intact, trying older ones past damaged ones.
 * @param dir - the checkpoint folder.
 * @returns its path and data (tensors owned by the caller), and what was skipped and why; undefined
 *   data when none reads back.
 */
export async function loadNewestIntactCheckpoint(dir: string): Promise<{ path?: string; data?: CheckpointData; skipped: string[] }> {
  const skipped: string[] = [];
  for (const step of (await checkpointSteps(dir)).reverse()) {
    const path = join(dir, stepDirName(step));
    try {
      return { path, data: await loadCheckpoint(path), skipped };
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      skipped.push(error.message);
    }
  }
  return { skipped };
}
