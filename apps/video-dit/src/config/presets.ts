import { DEFAULT_VIDEO_DATA, SHAPE_KINDS } from '../data/index.js';
import { MODEL_PRESETS, type ModelConfig } from '../model/index.js';
import type { Config, PresetName } from './schema.js';

const TRAIN_DEFAULTS: Config['train'] = {
  steps: 1000,
  batchSize: 16,
  learningRate: 1e-3,
  warmupSteps: 100,
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.99,
  epsilon: 1e-8,
  gradClip: 1,
  emaDecay: 0.999,
  seed: 0,
  checkpointEvery: 250,
  keepCheckpoints: 2,
  logEvery: 50,
  validateEvery: 0,
  threads: 1,
  lossWeight: 'none',
  minSnrGamma: 5,
  capture: 'auto',
};

function dataDefaults(): Config['data'] {
  const { shapes, shapeKinds, size, maxSpeed, background, seed } = DEFAULT_VIDEO_DATA;
  return {
    shapes,
    shapeKinds: [...shapeKinds],
    size: Array.isArray(size) ? [size[0], size[1]] : size,
    maxSpeed,
    background,
    seed,
    trainClips: 2 ** 30,
    validationClips: 64,
  };
}

/**
 * A built-in configuration. `tiny` trains in seconds (tests); `small` is the sample run, sized so
 * that a 2-core CPU on wasm goes from a fresh clone to finished samples within 10 minutes; `base`
 * is meant for a GPU. The app's README says how each was tuned.
 * @param preset - the preset's name.
 * @returns a fresh configuration object.
 */
export function presetConfig(preset: PresetName): Config {
  const model: ModelConfig = { ...MODEL_PRESETS[preset], patch: [...MODEL_PRESETS[preset].patch] };
  const base: Config = {
    name: preset,
    preset,
    backend: 'auto',
    outDir: 'runs',
    model: { ...model, channels: 3 },
    data: dataDefaults(),
    // 8 frames of 8×8: shift 2 for the small preset's 8 × 16×16
    timesteps: { kind: 'shifted-logit-normal', shift: 'auto', basePixels: 512, stratified: true },
    train: { ...TRAIN_DEFAULTS },
    sample: { count: 8, steps: 50, shift: 'train', seed: 1, stochasticity: 0 },
  };
  switch (preset) {
    case 'tiny':
      return {
        ...base,
        data: { ...base.data, size: 3, maxSpeed: 1 },
        train: { ...base.train, steps: 20, batchSize: 4, warmupSteps: 2, checkpointEvery: 10, logEvery: 5 },
        sample: { ...base.sample, count: 2, steps: 4 },
      };
    case 'small':
      return {
        ...base,
        name: 'sample',
        train: { ...base.train, steps: 5000, learningRate: 3e-3, emaDecay: 0.995, checkpointEvery: 500, logEvery: 100, threads: 2 },
        // wasm even where a GPU is: tfjs-webgpu's cost per kernel makes this small step slower on
        // a GPU than on two CPU cores (docs/gpu.md).
        backend: 'wasm',
        sample: { ...base.sample, steps: 100, stochasticity: 0.9 },
      };
    case 'base':
      return {
        ...base,
        data: { ...base.data, shapes: 2, shapeKinds: [...SHAPE_KINDS], size: [5, 9], maxSpeed: 2 },
        timesteps: { ...base.timesteps, basePixels: 4096 },
        // Batch 8: larger batches ran out of GPU memory through tfjs-webgpu (docs/gpu.md).
        train: { ...base.train, steps: 50000, batchSize: 8, learningRate: 3e-4, warmupSteps: 1000, checkpointEvery: 2000 },
        sample: { ...base.sample, steps: 50 },
      };
  }
}
