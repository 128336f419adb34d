import { createRng, hunyuanVideoSchedule } from '@flowdit/timestep-shift';
import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { standardNormals } from '../data/index.js';
import { type ClipShape, writeContactSheet, writeGif } from '../media/index.js';
import { type ModelConfig, patchDim, tokenCount } from '../model/config.js';
import { ditForwardTokens } from '../model/dit.js';
import type { ModelParams } from '../model/params.js';
import { unpatchify } from '../model/patchify.js';

/** Options of {@link sampleClips}. */
export interface SampleOptions {
  /** Number of clips. */
  count: number;
  /** Euler steps. */
  steps: number;
  /** Inference shift (t convention: > 1 spends more steps near noise). */
  shift: number;
  /** Seed of the starting noise. */
  seed: number;
  /** Clips per forward pass (default 16). */
  batchSize?: number;
  /**
   * Fraction η ∈ [0, 1) of the noise estimate replaced by fresh noise at each step (default 0:
   * plain Euler). With η > 0 each step moves to `t'·x̂1 + (1 − t')·(√(1 − η²)·x̂0 + η·ε)`, which
   * lets later steps correct earlier mistakes.
   */
  stochasticity?: number;
}

/**
 * The inference times: the shifted schedule `σ = shift·s / (1 + (shift − 1)·s)` on a uniform grid
 * `s` from 1 to 0 (HunyuanVideo's), in the t convention: N + 1 values from t = 0 (noise) to t = 1.
 * @param steps - Euler steps N.
 * @param shift - the shift.
 * @returns N + 1 increasing times.
 */
export function samplingTimes(steps: number, shift: number): Float64Array {
  return hunyuanVideoSchedule(steps, { shift, convention: 't' });
}

/**
 * Generates clips by integrating `dx/dt = v_θ(x, t)` with Euler steps from noise (t = 0) to
 * data (t = 1) along the shifted schedule.
 * @param params - the weights to sample with (the EMA weights of a run).
 * @param config - the model config.
 * @param options - count, steps, shift, seed.
 * @returns `count` clips, each `[T, H, W, C]` float32 in about [−1, 1].
 * @throws RangeError when count or steps are not positive integers.
 */
export async function sampleClips(
  params: ModelParams,
  config: ModelConfig,
  options: SampleOptions,
): Promise<Float32Array[]> {
  const { count, steps, shift, seed } = options;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const eta = options.stochasticity ?? 0;
  if (!(eta >= 0 && eta < 1)) throw new RangeError(`stochasticity must be in [0, 1), got ${eta}`);
  const times = samplingTimes(steps, shift);
  const clipSize = config.frames * config.height * config.width * config.channels;
  const rng = createRng(seed);
  const batchSize = options.batchSize ?? 16;
  const clips: Float32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    // The whole integration runs on tokens (noise is independent per value, so its layout is free); unpatchify once at the end.
    const noise = standardNormals(rng, b * clipSize);
    let x = tf.tensor3d(noise, [b, tokenCount(config), patchDim(config)]);
    for (let i = 0; i < steps; i++) {
      const t0 = times[i]!;
      const t1 = times[i + 1]!;
      const fresh = eta > 0 && i < steps - 1 ? standardNormals(rng, noise.length) : undefined;
      const next = tf.tidy(() => {
        const v = ditForwardTokens(params, config, x, tf.fill([b], t0) as tf.Tensor1D);
        // Euler: x + (t1 − t0)·v, the same as t1·x̂1 + (1 − t1)·x̂0 with x̂1 = x + (1 − t0)·v, x̂0 = x − t0·v.
        if (fresh === undefined) return tf.add(x, tf.mul(v, t1 - t0));
        const x1 = tf.add(x, tf.mul(v, 1 - t0));
        const x0 = tf.sub(x, tf.mul(v, t0));
        const renoised = tf.add(tf.mul(x0, Math.sqrt(1 - eta * eta)), tf.mul(tf.tensor(fresh, x.shape), eta));
        return tf.add(tf.mul(x1, t1), tf.mul(renoised, 1 - t1));
      });
      x.dispose();
      x = next as tf.Tensor3D;
    }
    const pixels = unpatchify(x, config);
    x.dispose();
    let values: Float32Array;
    try {
      values = (await pixels.data()) as Float32Array;
    } finally {
      pixels.dispose();
    }
    for (let i = 0; i < b; i++) clips.push(values.slice(i * clipSize, (i + 1) * clipSize));
  }
  return clips;
}

/**
 * Writes clips as `sample-NN.gif` files and one `contact-sheet.png` (rows = clips, columns = frames).
 * @param dir - output folder (created).
 * @param clips - `[T, H, W, 3]` clips in [−1, 1].
 * @param shape - `[T, H, W]`.
 * @param labels - optional row labels for the contact sheet.
 * @returns the paths written.
 */
export async function writeSamples(
  dir: string,
  clips: Float32Array[],
  shape: ClipShape,
  labels?: string[],
): Promise<{ gifs: string[]; contactSheet: string }> {
  await mkdir(dir, { recursive: true });
  const gifs: string[] = [];
  for (const [i, clip] of clips.entries()) {
    const path = join(dir, `sample-${String(i).padStart(2, '0')}.gif`);
    await writeGif(path, clip, shape);
    gifs.push(path);
  }
  const contactSheet = join(dir, 'contact-sheet.png');
  await writeContactSheet(contactSheet, clips, shape, labels === undefined ? {} : { labels });
  return { gifs, contactSheet };
}
