/** Shape and size of the video DiT. Videos are `[B, T, H, W, C]`, channels last. */
export interface ModelConfig {
  /** Frames per clip. */
  frames: number;
  /** Frame height in pixels. */
  height: number;
  /** Frame width in pixels. */
  width: number;
  /** Colour channels. */
  channels: number;
  /** Tubelet size `[pt, ph, pw]`: each token covers pt frames of ph×pw pixels. */
  patch: [number, number, number];
  /** Token width (model dimension). */
  hidden: number;
  /** Number of DiT blocks. */
  depth: number;
  /** Attention heads; `hidden / heads` is the head dimension. */
  heads: number;
  /** MLP hidden size as a multiple of `hidden`. */
  mlpRatio: number;
  /** Number of sinusoidal features of t fed to the timestep MLP (even). */
  timeFeatures: number;
  /** RoPE split of the head dimension into `[time, height, width]` channels (each even); default: the Wan rule. */
  ropeAxisDims?: [number, number, number];
  /** RoPE base frequency. */
  ropeTheta: number;
  /**
   * What the output layer predicts. `x`: the clean clip x1, turned into the velocity
   * `(x̂1 − x_t) / max(1 − t, 0.05)` (Li & He 2025, "Back to Basics: Let Denoising Generative
   * Models Denoise"): a token narrower than its patch (64 < 2·4·4·3 = 96 here) cannot carry the
   * noise that a direct velocity output must reproduce, but clean clips are low-dimensional.
   * `velocity`: the output is the velocity itself.
   */
  prediction: 'x' | 'velocity';
  /**
   * Width of a per-token GELU MLP between the final adaLN and the output projection; 0 for the
   * plain linear output of DiT. A linear map from a narrow token cannot draw the sharp edge of a
   * shape at every offset inside a patch.
   */
  headHidden: number;
}

/** Names of the built-in model sizes. */
export type ModelPresetName = 'tiny' | 'small' | 'base';

/**
 * Built-in sizes. `tiny` runs in seconds for tests, `small` is the default sample run on a
 * 2-core CPU (wasm), `base` is meant for a GPU.
 */
export const MODEL_PRESETS: Readonly<Record<ModelPresetName, Readonly<ModelConfig>>> = {
  tiny: {
    frames: 4,
    height: 8,
    width: 8,
    channels: 3,
    patch: [2, 4, 4],
    hidden: 32,
    depth: 1,
    heads: 2,
    mlpRatio: 2,
    timeFeatures: 32,
    ropeTheta: 10000,
    prediction: 'x',
    headHidden: 32,
  },
  small: {
    frames: 8,
    height: 16,
    width: 16,
    channels: 3,
    patch: [2, 4, 4],
    hidden: 64,
    depth: 3,
    heads: 4,
    mlpRatio: 4,
    timeFeatures: 64,
    ropeTheta: 10000,
    prediction: 'x',
    headHidden: 256,
  },
  base: {
    frames: 16,
    height: 32,
    width: 32,
    channels: 3,
    patch: [1, 4, 4],
    hidden: 256,
    depth: 8,
    heads: 8,
    mlpRatio: 4,
    timeFeatures: 256,
    ropeTheta: 10000,
    prediction: 'x',
    headHidden: 0,
  },
};

/** Token grid `[T', H', W']` after patchify. */
export function tokenGrid(config: ModelConfig): [number, number, number] {
  const [pt, ph, pw] = config.patch;
  return [config.frames / pt, config.height / ph, config.width / pw];
}

/** Number of tokens per clip. */
export function tokenCount(config: ModelConfig): number {
  const [t, h, w] = tokenGrid(config);
  return t * h * w;
}

/** Values per token: `pt·ph·pw·C`. */
export function patchDim(config: ModelConfig): number {
  const [pt, ph, pw] = config.patch;
  return pt * ph * pw * config.channels;
}

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`model.${name} must be a positive integer, got ${value}`);
  }
}

/**
 * Checks that a model config is consistent.
 * @param config - the config to check.
 * @throws {RangeError} naming the field when a size is not a positive integer, the patch does not
 * divide the clip, or the head dimension is not even.
 */
export function validateModelConfig(config: ModelConfig): void {
  for (const key of ['frames', 'height', 'width', 'channels', 'hidden', 'depth', 'heads', 'timeFeatures'] as const) {
    positiveInt(key, config[key]);
  }
  const sizes = [config.frames, config.height, config.width];
  const axes = ['frames', 'height', 'width'];
  config.patch.forEach((p, i) => {
    positiveInt(`patch[${i}]`, p);
    if (sizes[i]! % p !== 0) {
      throw new RangeError(`model.patch[${i}] = ${p} must divide model.${axes[i]} = ${sizes[i]}`);
    }
  });
  if (config.hidden % config.heads !== 0 || (config.hidden / config.heads) % 2 !== 0) {
    throw new RangeError(
      `model.hidden (${config.hidden}) / model.heads (${config.heads}) must be an even integer head dimension`,
    );
  }
  if (config.timeFeatures % 2 !== 0) {
    throw new RangeError(`model.timeFeatures must be even, got ${config.timeFeatures}`);
  }
  if (!(config.mlpRatio > 0)) throw new RangeError(`model.mlpRatio must be > 0, got ${config.mlpRatio}`);
  if (!(config.ropeTheta > 0)) throw new RangeError(`model.ropeTheta must be > 0, got ${config.ropeTheta}`);
}
