import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** Identifies our checkpoint manifests. */
export const CHECKPOINT_FORMAT = 'flowdit-video-dit-checkpoint';
const CHECKPOINT_VERSION = 1;

/** The groups of tensors a checkpoint holds. */
export type TensorGroup = 'params' | 'ema' | 'adam.m' | 'adam.v';

/** `manifest.json`: everything but the tensor values, which are in `tensors.bin` (float32 LE). */
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
  /** Size of tensors.bin in bytes. */
  bytes: number;
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
  const flat = new Float32Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    flat.set(chunk, at);
    at += chunk.length;
  }
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: data.step,
    optimizerUpdates: data.optimizerUpdates,
    rngState: Array.from(data.rngState),
    config: data.config,
    tensors: entries,
    bytes: flat.byteLength,
  };
  const final = join(dir, stepDirName(data.step));
  const temporary = join(dir, `.${stepDirName(data.step)}.tmp-${process.pid}`);
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary);
  await writeFile(join(temporary, 'tensors.bin'), new Uint8Array(flat.buffer));
  await writeFile(join(temporary, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  await rm(final, { recursive: true, force: true });
  await rename(temporary, final);
  const steps = await checkpointSteps(dir);
  for (const old of steps.slice(0, Math.max(0, steps.length - keep))) {
    await rm(join(dir, stepDirName(old)), { recursive: true, force: true });
  }
  return final;
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
 * @throws Error when the manifest is not ours or the binary file has the wrong size.
 */
export async function loadCheckpoint(path: string): Promise<CheckpointData> {
  const manifest = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as CheckpointManifest;
  if (manifest.format !== CHECKPOINT_FORMAT || manifest.version !== CHECKPOINT_VERSION) {
    throw new Error(`${path} is not a ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION} checkpoint`);
  }
  const bytes = await readFile(join(path, 'tensors.bin'));
  if (bytes.byteLength !== manifest.bytes) {
    throw new Error(`${path}/tensors.bin has ${bytes.byteLength} bytes, the manifest says ${manifest.bytes}`);
  }
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors: CheckpointData['tensors'] = { params: new Map(), ema: new Map(), 'adam.m': new Map(), 'adam.v': new Map() };
  for (const entry of manifest.tensors) {
    tensors[entry.group].set(entry.name, tf.tensor(flat.subarray(entry.offset, entry.offset + entry.length), entry.shape));
  }
  return {
    step: manifest.step,
    optimizerUpdates: manifest.optimizerUpdates,
    rngState: manifest.rngState,
    config: manifest.config,
    tensors,
  };
}
