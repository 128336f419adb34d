import { type DistributionSpec, MODE_SCALE_MAX } from '@flowdit/timestep-shift';
import { z } from 'zod';
import { SHAPE_KINDS, type ShapeKind } from '../data/index.js';
import type { ModelConfig } from '../model/index.js';

const positiveInt = z.number().int().positive();
const axisTriple = z.tuple([positiveInt, positiveInt, positiveInt]);

/** Pixels of one clip at most (frames·height·width): a batch of clips must fit in typed arrays. */
export const MAX_CLIP_PIXELS = 2 ** 22;

const modelSchema = z
  .strictObject({
  frames: positiveInt.max(1024),
  height: positiveInt.max(4096),
  width: positiveInt.max(4096),
  channels: z.literal(3),
  patch: axisTriple,
  hidden: positiveInt.max(65536),
  depth: positiveInt.max(1024),
  heads: positiveInt.max(1024),
  mlpRatio: z.number().positive().max(16),
  timeFeatures: positiveInt.max(65536),
  ropeAxisDims: axisTriple.optional(),
  ropeTheta: z.number().positive(),
  prediction: z.enum(['x', 'velocity']),
  headHidden: z.number().int().min(0).max(65536),
})
  .refine((model) => model.frames * model.height * model.width <= MAX_CLIP_PIXELS, {
    message: `a clip of model.frames × model.height × model.width pixels must have at most ${MAX_CLIP_PIXELS}`,
    path: ['frames'],
  }) satisfies z.ZodType<ModelConfig>;

const dataSchema = z.strictObject({
  shapes: positiveInt.max(16),
  shapeKinds: z.array(z.enum(SHAPE_KINDS as [ShapeKind, ...ShapeKind[]])).min(1),
  size: z.union([z.number().min(2).max(4096), z.tuple([z.number().min(2).max(4096), z.number().min(2).max(4096)])]),
  /** Pixels a frame; past a frame's width the motion only wraps around walls (a loop per crossing). */
  maxSpeed: z.number().min(0).max(256),
  background: z.enum(['plain', 'textured']),
  seed: z.number().int().min(0).max(0xffffffff),
  trainClips: positiveInt.max(2 ** 30),
  validationClips: positiveInt.max(4096),
});

/**
 * Each law's own parameters, as the package's `DistributionSpec` names them (t convention, t = 0
 * noise); ranges and mixtures hold laws of their own. The package checks what a schema cannot
 * (Beta parameters > 0, knots increasing, weights summing above 0) when the run starts.
 */
const probability = z.number().min(0).max(1);
const lawParameters = {
  'shifted-logit-normal': { std: z.number().positive().optional() },
  'logit-normal': { mean: z.number().optional(), std: z.number().positive().optional() },
  mode: { scale: z.number().min(-1).max(MODE_SCALE_MAX).optional() },
  uniform: {},
  cosmap: {},
  beta: { alpha: z.number().positive(), beta: z.number().positive() },
  logsnr: { mean: z.number().optional(), std: z.number().positive().optional() },
  ltx2: {
    tokens: positiveInt,
    std: z.number().positive().optional(),
    eps: probability.optional(),
    uniformShare: probability.optional(),
  },
  discrete: { values: z.array(probability).min(1) },
  knots: { density: z.array(z.number().min(0)).min(2), positions: z.array(probability).min(2).optional() },
  range: {
    of: z.lazy(() => innerLawSchema),
    tMin: probability,
    tMax: probability,
    mode: z.enum(['truncate', 'rescale']).optional(),
  },
  mixture: {
    components: z.array(z.strictObject({ weight: z.number().min(0), spec: z.lazy(() => innerLawSchema) })).min(1),
  },
} as const;

type LawKind = keyof typeof lawParameters;
const LAW_KINDS = Object.keys(lawParameters) as LawKind[];

function lawsWith<Extra extends z.ZodRawShape>(extra: Extra) {
  return LAW_KINDS.map((kind) => z.strictObject({ kind: z.literal(kind), ...lawParameters[kind], ...extra }));
}

/** A law inside a range or a mixture: its own optional shift, no drawing. */
const innerLawSchema: z.ZodType<DistributionSpec> = z.discriminatedUnion(
  'kind',
  lawsWith({ shift: z.number().positive().max(1000).optional() }) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<DistributionSpec>;

/** What every timestep law shares: how big the shift is and how a batch is drawn. */
const timestepDrawing = {
  /** A number, or `auto` for the SD3 rule `√(pixels / basePixels)`, pixels = frames × height × width. */
  shift: z.union([z.number().positive().max(1000), z.literal('auto')]),
  basePixels: positiveInt,
  stratified: z.boolean(),
};

/**
 * The training-time law: the package's `DistributionSpec` (same `kind`s and parameters, in the t
 * convention) with the shift left to resolve and the way a batch is drawn.
 */
const timestepsSchema = z.discriminatedUnion(
  'kind',
  lawsWith(timestepDrawing) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<TimestepSection>;

/** A law's own parameters, each kind's, without the shift and convention the section sets. */
type LawOf<T> = T extends unknown ? Omit<T, 'shift' | 'convention'> : never;

/** The timestep section as the run reads it. */
export type TimestepSection = LawOf<DistributionSpec> & { shift: number | 'auto'; basePixels: number; stratified: boolean };

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
  /**
   * Each clip's loss weight as a function of its time, from the package: `sigma_sqrt` σ⁻², `cosmap`,
   * `min-snr` min(SNR, γ)/SNR with γ = `minSnrGamma`, `debiased` 1/√SNR (SNR = (t/(1 − t))²),
   * `bell` ai-toolkit's bell; `none`: every clip weighs 1. Missing in configs written before it existed.
   */
  lossWeight: z.enum(['none', 'sigma_sqrt', 'cosmap', 'min-snr', 'debiased', 'bell']).default('none'),
  /** γ of `min-snr` (5 in Hang et al. 2023). */
  minSnrGamma: z.number().positive().max(1e6).default(5),
  /**
   * 'auto': on webgpu a step's gradients are recorded once and replayed every later step with the
   * same shapes; 'off': every step runs op by op. Missing in configs written before it existed.
   */
  capture: z.enum(['auto', 'off']).default('auto'),
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

/** The names of the built-in presets. */
export const PRESET_NAMES = ['tiny', 'small', 'base'] as const;

/** The whole configuration of a training run, as written to its folder's `config.json`. */
export const configSchema = z.strictObject({
  /** The run folder's name under `outDir`. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" or "-"')
    .refine((name) => name !== '.' && name !== '..', 'must name a folder inside outDir, not "." or ".."'),
  preset: z.enum(PRESET_NAMES),
  backend: z.enum(['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow']),
  outDir: z.string().min(1),
  model: modelSchema,
  data: dataSchema,
  timesteps: timestepsSchema,
  train: trainSchema,
  sample: sampleSchema,
});

/** A resolved, validated configuration. */
export type Config = z.infer<typeof configSchema>;
/** The timestep section: the training-time law and how it is drawn. */
export type TimestepConfig = Config['timesteps'];
/** The optimisation section. */
export type TrainConfig = Config['train'];
/** The sampling section. */
export type SampleConfig = Config['sample'];
/** A built-in preset's name. */
export type PresetName = Config['preset'];

/** Values that replace some of a sampling section's (undefined: keep the section's). */
export type SampleOverrides = { [K in keyof SampleConfig]?: SampleConfig[K] | undefined };
