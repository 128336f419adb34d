import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Config, resolveSampling, type SampleOverrides, samplingShift } from '../config/index.js';
import { type ClipShape, writeContactSheet, writeGif } from '../media/index.js';
import type { Dit } from '../model/index.js';
import { type SampleOptions, sampleClips } from './euler.js';

/**
 * How to sample a run: its sampling section with the given values replaced, validated, and the
 * shift resolved.
 * @param config - the run's configuration.
 * @param overrides - values that replace the run's (flags); `shift: 'train'` is the training shift.
 * @returns the options of {@link sampleClips}.
 * @throws {ConfigError} naming a value out of range.
 */
export function sampleOptionsFor(config: Pick<Config, 'model' | 'timesteps' | 'sample'>, overrides: SampleOverrides = {}): SampleOptions {
  const sampling = resolveSampling(config.sample, overrides);
  return { ...sampling, shift: samplingShift(config, sampling.shift) };
}

/**
 * Writes clips as `sample-NN.gif` files and one `contact-sheet.png` (rows = clips, columns = frames).
 * @param dir - output folder (created).
 * @param clips - `[T, H, W, 3]` clips in [−1, 1].
 * @param shape - `[T, H, W]`.
 * @returns the paths written.
 */
export async function writeSamples(dir: string, clips: Float32Array[], shape: ClipShape): Promise<WrittenSamples> {
  await mkdir(dir, { recursive: true });
  const gifs: string[] = [];
  for (const [i, clip] of clips.entries()) {
    const path = join(dir, `sample-${String(i).padStart(2, '0')}.gif`);
    await writeGif(path, clip, shape);
    gifs.push(path);
  }
  const contactSheet = join(dir, 'contact-sheet.png');
  await writeContactSheet(contactSheet, clips, shape);
  return { gifs, contactSheet };
}

/** The files {@link writeSamples} writes. */
export interface WrittenSamples {
  gifs: string[];
  contactSheet: string;
}

/**
 * Samples clips ({@link sampleClips}) and writes them ({@link writeSamples}).
 * @param dir - output folder (created).
 * @param model - the model to sample with.
 * @param options - how to sample.
 * @returns the paths written.
 */
export async function sampleToFolder(dir: string, model: Dit, options: SampleOptions): Promise<WrittenSamples> {
  const { frames, height, width } = model.config;
  return writeSamples(dir, await sampleClips(model, options), [frames, height, width]);
}
