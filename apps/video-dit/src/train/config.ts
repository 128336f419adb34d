import { z } from 'zod';
import { DEFAULT_VIDEO_DATA, SHAPE_KINDS, type VideoDataConfig } from '../data/index.js';
import { MODEL_PRESETS, type ModelConfig, type ModelPresetName, validateModelConfig } from '../model/config.js';

const positiveInt = z.number().int().positive();
const axisTriple = z.tuple([positiveInt, positiveInt, positiveInt]);

const modelSchema = z.strictObject({
  frames: positiveInt,
  height: positiveInt,
  width: positiveInt,
  channels: z.literal(3),
  patch: axisTriple,
  hidden: positiveInt,
  depth: positiveInt,
  heads: positiveInt,
  mlpRatio: z.number().positive().max(16),
  timeFeatures: positiveInt,
  ropeAxisDims: axisTriple.optional(),
  ropeTheta: z.number().positive(),
  prediction: z.enum(['x', 'velocity']),
  headHidden: z.number().int().min(0),
});

const dataSchema = z.strictObject({
  shapes: positiveInt.max(16),
  shapeKinds: z.array(z.enum(SHAPE_KINDS as [string, ...string[]])).min(1),
  size: z.union([z.number().min(2), z.tuple([z.number().min(2), z.number().min(2)])]),
  maxSpeed: z.number().min(0),
  background: z.enum(['plain', 'textured']),
  seed: z.number().int().min(0).max(0xffffffff),
  trainClips: positiveInt.max(2 ** 30),
  validationClips: positiveInt.max(4096),
});

const timestepsSchema = z.strictObject({
  distribution: z.enum(['uniform', 'logit-normal', 'shifted-logit-normal', 'mode', 'cosmap']),
  /** logit-normal mean, shifted-logit-normal / logit-normal std, mode scale. */
  mean: z.number().optional(),
  std: z.number().positive().optional(),
  scale: z.number().min(-1).max(1.75).optional(),
  shift: z.union([z.number().positive().max(1000), z.literal('auto')]),
  baseTokens: positiveInt,
  stratified: z.boolean(),
});

const trainSchema = z.strictObject({
  steps: positiveInt,
  batchSize: positiveInt.max(4096),
  learningRate: z.number().positive().max(1),
  warmupSteps: z.number().int().min(0),
  weightDecay: z.number().min(0).max(1),
  beta1: z.number().min(0).lt(1),
  beta2: z.number().min(0).lt(1),
  epsilon: z.number().positive(),
  gradClip: z.number().positive(),
  emaDecay: z.number().min(0).lt(1),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  checkpointEvery: positiveInt,
  keepCheckpoints: positiveInt,
  logEvery: positiveInt,
  validateEvery: z.number().int().min(0),
  /**
   * CPU threads that share each batch on the cpu and wasm backends (1: this thread alone); each
   * extra one is a worker thread with its own backend. Missing in configs written before it existed.
   */
  threads: positiveInt.max(64).default(1),
});

const sampleSchema = z.strictObject({
  count: positiveInt.max(256),
  steps: positiveInt.max(1000),
  /** Inference shift; 'train' uses the resolved training shift. */
  shift: z.union([z.number().positive().max(1000), z.literal('train')]),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Fresh-noise fraction per sampling step (0: plain Euler). */
  stochasticity: z.number().min(0).lt(1),
});

/** Full configuration of a run, as written to `runs/<name>/config.json`. */
export const runConfigSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" or "-"'),
  preset: z.enum(['tiny', 'small', 'base']),
  backend: z.enum(['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow']),
  outDir: z.string().min(1),
  model: modelSchema,
  data: dataSchema,
  timesteps: timestepsSchema,
  train: trainSchema,
  sample: sampleSchema,
});

/** A resolved, validated run configuration. */
export type RunConfig = z.infer<typeof runConfigSchema>;
/** The timestep section of a run configuration. */
export type TimestepConfig = RunConfig['timesteps'];

/** A deep partial of {@link RunConfig}: what a JSON file or flags may override. */
export type RunConfigOverrides = {
  [K in keyof RunConfig]?: RunConfig[K] extends object ? Partial<RunConfig[K]> : RunConfig[K];
};

const TRAIN_DEFAULTS: RunConfig['train'] = {
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
};

function dataDefaults(): RunConfig['data'] {
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
 * The built-in run presets. `small` is the default sample run: sized so that a 2-core CPU with
 * the wasm backend goes from a fresh clone to finished samples in under 15 minutes.
 */
export function presetConfig(preset: ModelPresetName): RunConfig {
  const model = { ...MODEL_PRESETS[preset], channels: 3 as const, patch: [...MODEL_PRESETS[preset].patch] as ModelConfig['patch'] };
  const base: RunConfig = {
    name: preset,
    preset,
    backend: 'auto',
    outDir: 'runs',
    model,
    data: dataDefaults(),
    timesteps: {
      distribution: 'shifted-logit-normal',
      shift: 'auto',
      baseTokens: 16,
      stratified: true,
    },
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
        // Quality score of real, measured on 48 clips: after 2000 steps 0.006 at lr 1e-3, 0.083 at
        // 2e-3, 0.292 at 3e-3 (η 0.5, 50 sampling steps), 0.427 for those 3e-3 weights with η 0.9
        // and 100 steps; 3000 steps with EMA decay 0.995 reach 0.608 (one thread: 190-260 ms a
        // step, 10 minutes). Two threads share each batch in 120-160 ms, so 4000 steps fit.
        train: { ...base.train, steps: 4000, learningRate: 3e-3, emaDecay: 0.995, checkpointEvery: 500, logEvery: 100, threads: 2 },
        // wasm even where a GPU is: on an H100 (Dawn on NVIDIA's Vulkan) tfjs-webgpu took 836 ms a
        // step of this small model, all per-kernel overhead, against 137 ms for wasm on 2 cores here.
        backend: 'wasm',
        sample: { ...base.sample, steps: 100, stochasticity: 0.9 },
      };
    case 'base':
      return {
        ...base,
        data: { ...base.data, shapes: 2, shapeKinds: [...SHAPE_KINDS], size: [5, 9], maxSpeed: 2 },
        timesteps: { ...base.timesteps, baseTokens: 256 },
        // Batch 8: on an H100 through tfjs-webgpu batch 32 failed its first step (Vulkan out of
        // device memory) and batch 8 trained at 2.4 s a step.
        train: { ...base.train, steps: 50000, batchSize: 8, learningRate: 3e-4, warmupSteps: 1000, checkpointEvery: 2000 },
        sample: { ...base.sample, steps: 50 },
      };
  }
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/**
 * The allowed name closest to a misspelt one, if any is close enough to be a likely typo.
 * @param key - the unknown name.
 * @param allowed - the names that exist.
 * @returns the suggestion, or undefined.
 */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const distance = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function keysAt(path: readonly PropertyKey[]): string[] {
  let shape: z.ZodType = runConfigSchema;
  for (const part of path) {
    const inner = shape instanceof z.ZodOptional ? (shape.unwrap() as z.ZodType) : shape;
    if (!(inner instanceof z.ZodObject)) return [];
    const next = (inner.shape as Record<string, z.ZodType>)[String(part)];
    if (next === undefined) return [];
    shape = next;
  }
  const inner = shape instanceof z.ZodOptional ? (shape.unwrap() as z.ZodType) : shape;
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

/** A configuration that failed validation; the message lists every problem with its key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(issue.path);
      return issue.keys.map((key) => {
        const name = at === '' ? key : `${at}.${key}`;
        const suggestion = closestKey(key, allowed);
        return `unknown key '${name}'${suggestion === undefined ? '' : ` (did you mean '${at === '' ? '' : `${at}.`}${suggestion}'?)`}; allowed: ${allowed.join(', ')}`;
      });
    }
    return [`'${at}': ${issue.message}`];
  });
  return `invalid configuration (${source}):\n  ${lines.join('\n  ')}`;
}

function mergeDeep(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    const bothObjects =
      typeof value === 'object' && value !== null && !Array.isArray(value) &&
      typeof current === 'object' && current !== null && !Array.isArray(current);
    out[key] = bothObjects ? mergeDeep(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/**
 * Resolves a run configuration: the preset named in `overrides` (default `small`), then each
 * override layer in order, validated as a whole.
 * @param layers - partial configurations (a JSON file, then flags); later layers win.
 * @param source - where the layers came from, for error messages.
 * @returns the validated configuration.
 * @throws ConfigError naming every unknown key (with the closest valid one) and every value out of range.
 */
export function resolveRunConfig(layers: readonly unknown[], source = 'flags'): RunConfig {
  let preset: ModelPresetName = 'small';
  for (const layer of layers) {
    if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) {
      throw new ConfigError(`invalid configuration (${source}): expected an object, got ${JSON.stringify(layer)}`);
    }
    const named = (layer as { preset?: unknown }).preset;
    if (named !== undefined) {
      if (named !== 'tiny' && named !== 'small' && named !== 'base') {
        throw new ConfigError(`invalid configuration (${source}): 'preset' must be tiny, small or base, got ${JSON.stringify(named)}`);
      }
      preset = named;
    }
  }
  let merged = presetConfig(preset) as unknown as Record<string, unknown>;
  for (const layer of layers) merged = mergeDeep(merged, layer as Record<string, unknown>);
  const parsed = runConfigSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error, source));
  try {
    validateModelConfig(parsed.data.model);
  } catch (error) {
    throw new ConfigError(`invalid configuration (${source}): ${(error as Error).message}`);
  }
  const { threads, batchSize } = parsed.data.train;
  if (threads > batchSize) {
    throw new ConfigError(`invalid configuration (${source}): 'train.threads' = ${threads} must not exceed 'train.batchSize' = ${batchSize} (each thread takes a share of the batch)`);
  }
  return parsed.data;
}

/**
 * The data generator's config for a run: the clip size comes from the model.
 * @param config - a resolved run configuration.
 * @returns the `VideoDataConfig` of the training and validation clips.
 */
export function runDataConfig(config: RunConfig): VideoDataConfig {
  const { shapes, shapeKinds, size, maxSpeed, background, seed } = config.data;
  return {
    frames: config.model.frames,
    height: config.model.height,
    width: config.model.width,
    channels: 3,
    shapes,
    shapeKinds: shapeKinds as VideoDataConfig['shapeKinds'],
    size,
    maxSpeed,
    background,
    seed,
  };
}
