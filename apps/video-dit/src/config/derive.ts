import {
  bellWeight,
  debiasedWeight,
  lossWeight,
  minSnrWeight,
  resolutionShift,
  type TimestepDistribution,
  timestepDistribution,
} from '@flowdit/timestep-shift';
import type { VideoDataConfig } from '../data/index.js';
import type { Config, TimestepConfig } from './schema.js';

/**
 * The training shift: the configured number, or for `auto` the SD3 resolution rule
 * `√(pixels / basePixels)` with the clip's pixels, frames × height × width (pixels rather than
 * tokens: a larger patch does not change how much of a clip the noise hides; see the shift
 * mechanism in the README).
 * @param config - the model and timestep sections.
 * @returns the shift (t convention: above 1 moves mass toward noise, t = 0).
 */
export function trainingShift(config: Pick<Config, 'model' | 'timesteps'>): number {
  const { shift, basePixels } = config.timesteps;
  const { frames, height, width } = config.model;
  return shift === 'auto' ? resolutionShift(frames * height * width, basePixels) : shift;
}

/**
 * The inference shift to sample with.
 * @param config - the configuration.
 * @param setting - a number, or `'train'` for the training shift (default: `sample.shift`).
 * @returns the shift (t convention).
 */
export function samplingShift(config: Pick<Config, 'model' | 'timesteps' | 'sample'>, setting: number | 'train' = config.sample.shift): number {
  return setting === 'train' ? trainingShift(config) : setting;
}

/**
 * The package distribution the timestep section describes, in the t convention (t = 0 noise).
 * @param timesteps - the timestep section: its `kind` and parameters are the package's spec.
 * @param shift - the resolved shift.
 * @returns the distribution.
 */
export function trainingDistribution(timesteps: TimestepConfig, shift: number): TimestepDistribution {
  const { shift: _setting, basePixels: _basePixels, stratified: _stratified, ...spec } = timesteps;
  return timestepDistribution({ ...spec, shift });
}

/**
 * Each clip's loss weight as a function of its time, from `train.lossWeight`.
 * @param train - the train section.
 * @returns the weight of a clip at time t (t = 0 noise), or undefined for `none` (every clip weighs 1).
 */
export function trainingLossWeight(train: Pick<Config['train'], 'lossWeight' | 'minSnrGamma'>): ((t: number) => number) | undefined {
  switch (train.lossWeight) {
    case 'none':
      return undefined;
    case 'min-snr':
      return (t) => minSnrWeight(t, train.minSnrGamma);
    case 'debiased':
      return (t) => debiasedWeight(t);
    case 'bell':
      return (t) => bellWeight(t);
    default: {
      const scheme = train.lossWeight;
      return (t) => lossWeight(scheme, t);
    }
  }
}

/**
 * Threads that share each batch: `train.threads` on the cpu and wasm backends, which run on one
 * thread each; 1 on the others (webgpu and tensorflow run the whole batch at once).
 * @param train - the train section.
 * @param backend - the backend's name.
 * @returns the thread count.
 */
export function trainingThreads(train: Pick<Config['train'], 'threads'>, backend: string): number {
  return backend === 'wasm' || backend === 'cpu' ? train.threads : 1;
}

/**
 * The data generator's configuration: the clip size comes from the model.
 * @param config - the model and data sections.
 * @returns the `VideoDataConfig` of the training and validation clips.
 */
export function dataConfig(config: Pick<Config, 'model' | 'data'>): VideoDataConfig {
  const { shapes, shapeKinds, size, maxSpeed, background, seed } = config.data;
  const { frames, height, width } = config.model;
  return { frames, height, width, channels: 3, shapes, shapeKinds, size, maxSpeed, background, seed };
}
