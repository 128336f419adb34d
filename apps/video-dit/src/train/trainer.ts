import {
  createRng,
  type DistributionSpec,
  resolutionShift,
  restoreRng,
  type Rng,
  sampleTimesteps,
  type TimestepDistribution,
  timestepDistribution,
} from '@flowdit/timestep-shift';
import * as tf from '@tensorflow/tfjs-core';
import { clipBatch, standardNormals, type VideoDataConfig } from '../data/index.js';
import { tokenCount } from '../model/config.js';
import { cloneParams, disposeParams, initParams, type ModelParams } from '../model/params.js';
import { patchifyValues } from '../model/patchify.js';
import { AdamW, clipByGlobalNorm, learningRateAt, updateEma } from './adamw.js';
import { assignFrom, type CheckpointData, saveCheckpoint } from './checkpoint.js';
import { type RunConfig, runDataConfig, type TimestepConfig } from './config.js';
import { type BatchShard, flattenTensors, shardGradients, splitBatch, unflatten } from './gradients.js';
import { GradientWorkers, type ShardResult } from './parallel.js';

/** Thrown when the loss or the gradient norm is NaN or infinite; training stops before updating. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  /**
   * @param step - the step whose loss was not finite.
   * @param loss - the loss value.
   * @param gradNorm - the gradient norm.
   */
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly gradNorm: number,
  ) {
    super(
      `step ${step}: loss ${loss}, gradient norm ${gradNorm} is not finite; training stopped and the weights were not updated (lower train.learningRate or train.gradClip)`,
    );
  }
}

/**
 * The training shift: the given number, or for `auto` the SD3 resolution rule
 * `√(tokens / baseTokens)`.
 * @param timesteps - the timestep section of the run config.
 * @param tokens - tokens per clip.
 * @returns the shift (t convention: > 1 moves mass toward noise).
 */
export function resolveTrainingShift(timesteps: TimestepConfig, tokens: number): number {
  return timesteps.shift === 'auto' ? resolutionShift(tokens, timesteps.baseTokens) : timesteps.shift;
}

/**
 * The inference shift a run samples with: a number, or `'train'` for the run's training shift.
 * @param config - the run config.
 * @param setting - the shift setting (default: the run's `sample.shift`).
 * @returns the shift (t convention).
 */
export function resolveSampleShift(config: RunConfig, setting: number | 'train' = config.sample.shift): number {
  return setting === 'train' ? resolveTrainingShift(config.timesteps, tokenCount(config.model)) : setting;
}

/**
 * The package distribution a run's timestep config describes, in the t convention.
 * @param timesteps - the timestep section of the run config.
 * @param shift - the resolved shift.
 * @returns the distribution.
 */
export function trainingDistribution(timesteps: TimestepConfig, shift: number): TimestepDistribution {
  const { distribution, mean, std, scale } = timesteps;
  let spec: DistributionSpec;
  switch (distribution) {
    case 'shifted-logit-normal':
      spec = { kind: distribution, shift, ...(std === undefined ? {} : { std }) };
      break;
    case 'logit-normal':
      spec = { kind: distribution, shift, ...(mean === undefined ? {} : { mean }), ...(std === undefined ? {} : { std }) };
      break;
    case 'mode':
      spec = { kind: distribution, shift, ...(scale === undefined ? {} : { scale }) };
      break;
    default:
      spec = { kind: distribution, shift };
  }
  return timestepDistribution(spec);
}

/**
 * Threads that share each batch: `train.threads` on the cpu and wasm backends, which run on one
 * thread each; 1 on the others (webgpu and tensorflow run the whole batch at once).
 * @param config - the run config.
 * @param backend - the backend's name.
 * @returns the thread count.
 */
export function trainingThreads(config: RunConfig, backend: string): number {
  return backend === 'wasm' || backend === 'cpu' ? config.train.threads : 1;
}

/** A shard of a batch and its fraction of the batch, as `splitBatch` cuts them. */
type ShareOfBatch = ReturnType<typeof splitBatch>[number];

/** What one training step reports. */
export interface StepResult {
  /** Step number (1-based: steps completed after this one). */
  step: number;
  loss: number;
  gradNorm: number;
  learningRate: number;
}

/**
 * Flow-matching training state of one run: weights, EMA weights, AdamW moments and the seeded
 * generator that draws clips, noise and timesteps. Everything a checkpoint needs to continue
 * exactly.
 */
export class Trainer {
  readonly params: ModelParams;
  readonly ema: ModelParams;
  readonly optimizer: AdamW;
  readonly data: VideoDataConfig;
  readonly shift: number;
  readonly distribution: TimestepDistribution;
  rng: Rng;
  step = 0;
  private workers: Promise<GradientWorkers> | undefined;

  /**
   * @param config - a resolved run configuration.
   */
  constructor(readonly config: RunConfig) {
    this.params = initParams(config.model, config.train.seed);
    this.ema = cloneParams(this.params);
    this.optimizer = new AdamW(this.params, config.train);
    this.data = runDataConfig(config);
    this.shift = resolveTrainingShift(config.timesteps, tokenCount(config.model));
    this.distribution = trainingDistribution(config.timesteps, this.shift);
    // The generator seed is offset so that weight init and data draws are independent streams.
    this.rng = createRng(config.train.seed + 0x5eed);
  }

  /**
   * Draws the next batch, all from the rng: clip indices from the training split (as tubelet
   * tokens), noise (drawn in token layout: its values are independent, so the layout is free)
   * and timesteps.
   */
  private drawBatch(): BatchShard {
    const { batchSize } = this.config.train;
    const indices = Array.from({ length: batchSize }, () => Math.floor(this.rng.uniform() * this.config.data.trainClips));
    const tokens = patchifyValues(clipBatch(this.data, indices), batchSize, this.config.model);
    const noise = standardNormals(this.rng, tokens.length);
    const t = Float32Array.from(sampleTimesteps(this.distribution, batchSize, this.rng, { stratified: this.config.timesteps.stratified }));
    return { tokens, noise, t };
  }

  /** Threads that share each batch on the active backend (see {@link trainingThreads}). */
  get threads(): number {
    return trainingThreads(this.config, tf.getBackend());
  }

  private startWorkers(): Promise<GradientWorkers> {
    this.workers ??= GradientWorkers.start(this.threads - 1, {
      backend: tf.getBackend() as 'wasm' | 'cpu',
      model: this.config.model,
    });
    return this.workers;
  }

  /**
   * One optimisation step: loss `mean((v_θ(x_t, t) − (x1 − x0))²)`, clipped AdamW update, EMA.
   * With `threads` > 1 the batch is cut into that many shards: this thread computes the first,
   * worker threads the others at the same weights, and their gradients are added in shard order
   * (deterministic for a given thread count). The loss is read asynchronously (webgpu cannot
   * read GPU data synchronously in Node); the update is applied only after it has been read and
   * checked. Await each step before starting the next: a step started earlier would compute its
   * gradient from the weights before this update.
   * @returns the step's loss, gradient norm and learning rate.
   * @throws NonFiniteLossError (before any update) when the loss or gradient norm is not finite.
   */
  async trainStep(): Promise<StepResult> {
    const { model, train } = this.config;
    const [own, ...others] = splitBatch(this.drawBatch(), this.threads) as [ShareOfBatch, ...ShareOfBatch[]];
    const learningRate = learningRateAt(this.step, train.learningRate, train.warmupSteps, train.steps);
    let remote: Promise<ShardResult[]> | undefined;
    if (others.length > 0) {
      const workers = await this.startWorkers();
      remote = workers.compute(await flattenTensors([...this.params.values()]), others);
      // Awaited below, after this thread's own shard; a failure must not go unhandled meanwhile.
      remote.catch(() => undefined);
    }
    const local = shardGradients(this.params, model, own.shard, own.share);
    let results: ShardResult[];
    try {
      results = remote === undefined ? [] : await remote;
    } catch (error) {
      tf.dispose([local.loss, ...local.grads]);
      throw error;
    }
    const names = [...this.params.keys()];
    const { stats, clipped } = tf.tidy(() => {
      let grads = local.grads;
      let loss: tf.Tensor = local.loss;
      if (results.length > 0) {
        const remoteGrads = unflatten(sumInOrder(results.map((r) => r.grads)), this.params);
        grads = grads.map((g, i) => tf.add(g, remoteGrads[i]!));
        loss = tf.add(loss, results.reduce((sum, r) => sum + r.loss, 0));
      }
      const byName: Record<string, tf.Tensor> = {};
      names.forEach((name, i) => {
        byName[name] = grads[i]!;
      });
      const { clipped, norm } = clipByGlobalNorm(byName, train.gradClip);
      return { stats: tf.stack([loss, norm]), clipped };
    });
    tf.dispose([local.loss, ...local.grads]);
    let values: Float32Array;
    try {
      values = (await stats.data()) as Float32Array;
    } catch (error) {
      tf.dispose(clipped);
      throw error;
    } finally {
      stats.dispose();
    }
    const [loss, gradNorm] = values;
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      tf.dispose(clipped);
      throw new NonFiniteLossError(this.step + 1, loss!, gradNorm!);
    }
    this.optimizer.apply(clipped, learningRate);
    tf.dispose(clipped);
    updateEma(this.ema, this.params, train.emaDecay, this.optimizer.updates);
    this.step += 1;
    return { step: this.step, loss: loss!, gradNorm: gradNorm!, learningRate };
  }

  /**
   * Writes a checkpoint of the whole state.
   * @param dir - the run's checkpoint folder.
   * @returns its path.
   */
  saveCheckpoint(dir: string): Promise<string> {
    return saveCheckpoint(
      dir,
      {
        step: this.step,
        optimizerUpdates: this.optimizer.updates,
        rngState: this.rng.state(),
        config: this.config,
        groups: { params: this.params, ema: this.ema, 'adam.m': this.optimizer.m, 'adam.v': this.optimizer.v },
      },
      this.config.train.keepCheckpoints,
    );
  }

  /**
   * Restores the whole state from a loaded checkpoint (disposes its tensors).
   * @param checkpoint - from `loadCheckpoint`.
   * @throws Error when the checkpoint's tensors do not fit this model.
   */
  restore(checkpoint: CheckpointData): void {
    assignFrom(this.params, checkpoint.tensors.params, 'params');
    assignFrom(this.ema, checkpoint.tensors.ema, 'ema');
    assignFrom(this.optimizer.m, checkpoint.tensors['adam.m'], 'adam.m');
    assignFrom(this.optimizer.v, checkpoint.tensors['adam.v'], 'adam.v');
    this.step = checkpoint.step;
    this.optimizer.updates = checkpoint.optimizerUpdates;
    this.rng = restoreRng(checkpoint.rngState);
  }

  /** Frees every variable and stops the worker threads, if any. */
  dispose(): void {
    disposeParams(this.params);
    disposeParams(this.ema);
    this.optimizer.dispose();
    this.workers?.then((workers) => workers.terminate()).catch(() => undefined);
    this.workers = undefined;
  }
}

/** The element-wise sum of equally long arrays, added in the order given. */
function sumInOrder(arrays: Float32Array[]): Float32Array {
  const [first, ...rest] = arrays as [Float32Array, ...Float32Array[]];
  if (rest.length === 0) return first;
  const sum = Float32Array.from(first);
  for (const array of rest) for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + array[i]!;
  return sum;
}
