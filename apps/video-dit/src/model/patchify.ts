import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, patchDim, tokenGrid } from './config.js';

/**
 * Cuts clips into tubelets: `[B, T, H, W, C]` → `[B, S, pt·ph·pw·C]` with the time-major token
 * order `s = (t·H' + h)·W' + w`. Only reshape and transpose, so it trains on every backend.
 * @param x - clips `[B, T, H, W, C]` matching the config.
 * @param config - model config (clip size and patch).
 * @returns tokens `[B, S, patchDim]`.
 */
export function patchify(x: tf.Tensor5D, config: ModelConfig): tf.Tensor3D {
  const [pt, ph, pw] = config.patch;
  const [gt, gh, gw] = tokenGrid(config);
  const b = x.shape[0];
  const split = tf.reshape(x, [b, gt, pt, gh, ph, gw, pw, config.channels]);
  const grouped = tf.transpose(split, [0, 1, 3, 5, 2, 4, 6, 7]);
  return tf.reshape(grouped, [b, gt * gh * gw, patchDim(config)]);
}

/**
 * Inverse of {@link patchify}: `[B, S, pt·ph·pw·C]` → `[B, T, H, W, C]`.
 * @param tokens - `[B, S, patchDim]`.
 * @param config - model config.
 * @returns clips `[B, T, H, W, C]`.
 */
export function unpatchify(tokens: tf.Tensor3D, config: ModelConfig): tf.Tensor5D {
  const [pt, ph, pw] = config.patch;
  const [gt, gh, gw] = tokenGrid(config);
  const b = tokens.shape[0];
  const split = tf.reshape(tokens, [b, gt, gh, gw, pt, ph, pw, config.channels]);
  const placed = tf.transpose(split, [0, 1, 4, 2, 5, 3, 6, 7]);
  return tf.reshape(placed, [b, config.frames, config.height, config.width, config.channels]);
}

/**
 * Walks `batch` clips and their tubelet tokens in token order: `copy(clipAt, tokenAt, run)` for
 * each run of `pw·C` values that a token and its clip hold in the same order.
 * @throws {RangeError} when `values` (named `name`) does not hold `batch` clips of the config's size.
 */
function forEachTubeletRun(
  name: string,
  values: Float32Array,
  batch: number,
  config: ModelConfig,
  copy: (clipAt: number, tokenAt: number, run: number) => void,
): void {
  const { frames, height, width, channels } = config;
  const clipSize = frames * height * width * channels;
  if (values.length !== batch * clipSize) {
    throw new RangeError(`${name} must hold ${batch} clips of ${frames}×${height}×${width}×${channels} = ${batch * clipSize} values, got ${values.length}`);
  }
  const [pt, ph, pw] = config.patch;
  const [gt, gh, gw] = tokenGrid(config);
  const run = pw * channels;
  let tokenAt = 0;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < gt; i++) {
      for (let j = 0; j < gh; j++) {
        for (let k = 0; k < gw; k++) {
          for (let f = i * pt; f < (i + 1) * pt; f++) {
            for (let y = j * ph; y < (j + 1) * ph; y++) {
              copy(b * clipSize + ((f * height + y) * width + k * pw) * channels, tokenAt, run);
              tokenAt += run;
            }
          }
        }
      }
    }
  }
}

/**
 * {@link patchify} on plain arrays, for data prepared in JavaScript: the same token order and
 * values, without a tensor op (wasm's 8-axis transpose is slow).
 * @param clips - `batch` clips `[T, H, W, C]` back to back, row-major.
 * @param batch - number of clips.
 * @param config - model config (clip size and patch).
 * @returns tokens `[batch, S, patchDim]`, row-major.
 * @throws {RangeError} when the array does not hold `batch` clips of the config's size.
 */
export function patchifyValues(clips: Float32Array, batch: number, config: ModelConfig): Float32Array {
  const tokens = new Float32Array(clips.length);
  forEachTubeletRun('clips', clips, batch, config, (clipAt, tokenAt, run) => tokens.set(clips.subarray(clipAt, clipAt + run), tokenAt));
  return tokens;
}

/**
 * {@link unpatchify} on plain arrays: tokens read back from a backend become clips without a
 * tensor op (tfjs-webgl and tfjs-webgpu have no 8-axis transpose, and wasm's is slow).
 * @param tokens - `[batch, S, patchDim]`, row-major.
 * @param batch - number of clips.
 * @param config - model config (clip size and patch).
 * @returns `batch` clips `[T, H, W, C]` back to back, row-major.
 * @throws {RangeError} when the array does not hold `batch` clips of the config's size.
 */
export function unpatchifyValues(tokens: Float32Array, batch: number, config: ModelConfig): Float32Array {
  const clips = new Float32Array(tokens.length);
  forEachTubeletRun('tokens', tokens, batch, config, (clipAt, tokenAt, run) => clips.set(tokens.subarray(tokenAt, tokenAt + run), clipAt));
  return clips;
}
