import { createRng, type Rng, restoreRng } from '@flowdit/timestep-shift';
import * as tf from '@tensorflow/tfjs-core';
import { ReplayedWork } from '../backend/index.js';
import { type Config, dataConfig, trainingShift, trainingThreads } from '../config/index.js';
import type { VideoDataConfig } from '../data/index.js';
import { assignParams, cloneDit, createDit, type Dit, disposeDit } from '../model/index.js';
import { AdamW, clipScale, globalNorm, learningRateAt, STEPS_PER_READ } from './adamw.js';
import { BatchWorker, batchDrawer } from './batches.js';
import { type CheckpointData, saveCheckpoint } from './checkpoint.js';
import { type BatchShard, flowMatchingGradients, type ShardGradients, shardGradients, shardInputs } from './gradients.js';
import { batchGradients, GradientWorkers } from './parallel.js';

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

/** What one training step reports. */
export interface StepResult {
  /** Step number (1-based: steps completed after this one). */
  step: number;
  loss: number;
  gradNorm: number;
  learningRate: number;
}

/** The loss and the gradients' global norm in one tensor, so that one transfer reads both. */
function lossAndNorm(gradients: ShardGradients): tf.Tensor1D {
  return tf.tidy(() => tf.stack([gradients.loss, globalNorm(gradients.grads)]) as tf.Tensor1D);
}

/**
 * Flow-matching training state of one run: the model, its EMA copy, AdamW and the seeded
 * generator that draws clips, noise and timesteps. Everything a checkpoint needs to continue
 * exactly.
 */
export class Trainer {
  readonly model: Dit;
  /** The exponential moving average of the model's weights: what sampling uses. */
  readonly ema: Dit;
  readonly data: VideoDataConfig;
  /** The resolved training shift (t convention). */
  readonly shift: number;
  /** Draws the next batch from a generator (see {@link batchDrawer}). */
  private readonly draw: (rng: Rng) => BatchShard;
  /** On webgpu, the thread that draws the next batches while this one issues steps. */
  private batches: BatchWorker | undefined;
  private readonly optimizer: AdamW;
  private rng: Rng;
  /**
   * The next step's batch, drawn while the worker threads computed this step's shards, with the
   * generator's state from before it: the state of the steps completed, which a checkpoint keeps.
   */
  private drawnAhead: { batch: BatchShard; rngState: Uint32Array } | undefined;
  private completed = 0;
  private workers: Promise<GradientWorkers> | undefined;
  /** A step's gradients, loss and norm, replayed from a recording on webgpu. */
  private readonly recordedGradients = new ReplayedWork(([tokens, noise, t, lossWeight]) => {
    const gradients = flowMatchingGradients(this.model, tokens!, noise!, t as tf.Tensor1D, 1, lossWeight as tf.Tensor1D | undefined);
    return [lossAndNorm(gradients), ...gradients.grads];
  });

  /**
   * @param config - a resolved configuration (the whole of it is saved in every checkpoint).
   */
  constructor(readonly config: Config) {
    this.model = createDit(config.model, config.train.seed);
    this.ema = cloneDit(this.model);
    this.optimizer = new AdamW(this.model.params, config.train);
    this.data = dataConfig(config);
    this.shift = trainingShift(config);
    this.draw = batchDrawer(config);
    // The generator seed is offset so that weight init and data draws are independent streams.
    this.rng = createRng(config.train.seed + 0x5eed);
  }

  /** Steps completed. */
  get step(): number {
    return this.completed;
  }

  /**
   * Steps the training loop asks {@link trainSteps} for at a time: {@link STEPS_PER_READ} on
   * webgpu, whose updates are guarded on the GPU and whose losses are read once for them; 1
   * elsewhere, where each step's loss is read before its update anyway (and a stop is heard after
   * every step).
   */
  get stepsPerRead(): number {
    return tf.getBackend() === 'webgpu' ? STEPS_PER_READ : 1;
  }

  /** Threads that share each batch on the active backend (see `trainingThreads`). */
  get threads(): number {
    return trainingThreads(this.config.train, tf.getBackend());
  }

  /** This step's batch: the one drawn ahead during the last step, if any, else a new one. */
  private nextBatch(): BatchShard {
    const ahead = this.drawnAhead;
    this.drawnAhead = undefined;
    return ahead?.batch ?? this.draw(this.rng);
  }

  /** Draws the next step's batch now (the draws come in the same order as one step after another). */
  private drawAhead(): void {
    const rngState = this.rng.state();
    this.drawnAhead = { batch: this.draw(this.rng), rngState };
  }

  /** A webgpu step's batch, from the batch worker (started on first use from the generator's state). */
  private async workerBatch(): Promise<BatchShard> {
    this.batches ??= BatchWorker.start(this.config, this.rng.state());
    const { batch, rngState } = await this.batches.next();
    // the generator as if this thread had drawn it: what a checkpoint keeps
    this.rng = restoreRng(rngState);
    return batch;
  }

  /** The worker threads that share each batch with this one, started on first use; none for one thread. */
  private async gradientWorkers(): Promise<GradientWorkers | undefined> {
    if (this.threads === 1) return undefined;
    this.workers ??= GradientWorkers.start(this.threads - 1, { backend: tf.getBackend() as 'wasm' | 'cpu', model: this.config.model });
    return this.workers;
  }

  /**
   * One optimisation step (see {@link trainSteps}).
   * @returns the step's loss, gradient norm and learning rate.
   * @throws {NonFiniteLossError} (before any update) when the loss or gradient norm is not finite.
   */
  async trainStep(): Promise<StepResult> {
    return (await this.trainSteps(1))[0]!;
  }

  /**
   * Optimisation steps, each with the loss `mean_i(w_i · mean((v_θ(x_t, t) − (x1 − x0))²))`, w_i
   * the `train.lossWeight` of clip i's time (1 for `none`), a clipped AdamW update, and the EMA.
   * On cpu and wasm each step's loss is read and checked before its update. On webgpu the update
   * is guarded on the GPU (skipped where the loss or norm is not finite, and every update after
   * it), so the steps are issued one after another and their losses read once at the end (webgpu
   * cannot read GPU data synchronously in Node). Await them before starting more steps.
   * @param count - how many steps, 1 to {@link STEPS_PER_READ} (the training loop takes {@link stepsPerRead}).
   * @returns each step's loss, gradient norm and learning rate.
   * @throws {NonFiniteLossError} when a step's loss or gradient norm is not finite: that step and
   *   the ones after it did not change the weights, and the steps completed stop before it.
   * @throws {RangeError} for a count out of range.
   */
  async trainSteps(count: number): Promise<StepResult[]> {
    if (!Number.isInteger(count) || count < 1 || count > STEPS_PER_READ) throw new RangeError(`train 1 to ${STEPS_PER_READ} steps at a time, not ${count}`);
    if (tf.getBackend() === 'webgpu') return this.gpuSteps(count);
    const results: StepResult[] = [];
    for (let i = 0; i < count; i++) results.push(await this.cpuStep());
    return results;
  }

  private async cpuStep(): Promise<StepResult> {
    const { train } = this.config;
    const batch = this.nextBatch();
    // with worker threads, the next batch is drawn while this thread waits for their shards
    const gradients = await batchGradients(this.model, batch, await this.gradientWorkers(), () => this.drawAhead());
    const stats = lossAndNorm(gradients);
    const learningRate = learningRateAt(this.completed, train.learningRate, train.warmupSteps, train.steps);
    let loss: number;
    let gradNorm: number;
    try {
      [loss, gradNorm] = Array.from((await stats.data()) as Float32Array) as [number, number];
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) throw new NonFiniteLossError(this.completed + 1, loss, gradNorm);
      this.optimizer.apply(this.byName(gradients.grads), learningRate, clipScale(gradNorm, train.gradClip), { params: this.ema.params, decay: train.emaDecay });
    } finally {
      tf.dispose([stats, gradients.loss, ...gradients.grads]);
    }
    this.completed += 1;
    return { step: this.completed, loss, gradNorm, learningRate };
  }

  /** Steps on webgpu: each replayed from a recording where one holds (else op by op), their stats read once. */
  private async gpuSteps(count: number): Promise<StepResult[]> {
    const { train } = this.config;
    const ema = { params: this.ema.params, decay: train.emaDecay };
    const learningRates: number[] = [];
    for (let slot = 0; slot < count; slot++) {
      const batch = await this.workerBatch();
      const learningRate = learningRateAt(this.completed + slot, train.learningRate, train.warmupSteps, train.steps);
      learningRates.push(learningRate);
      const update = ([stats, ...grads]: tf.Tensor[], replaying: boolean) =>
        this.optimizer.applyOnGpu(
          this.byName(grads),
          learningRate,
          // the last step's commands copy the losses for the read
          { stats: stats!, slot, maxNorm: train.gradClip, ...(slot === count - 1 ? { readAfter: count } : {}) },
          ema,
          replaying,
        );
      if (this.captureUnavailable() !== undefined) {
        const gradients = shardGradients(this.model, batch, 1);
        const stats = lossAndNorm(gradients);
        update([stats, ...gradients.grads], false);
        tf.dispose([stats, gradients.loss, ...gradients.grads]);
      } else {
        this.recordedGradients.run(shardInputs(this.model, batch), update).release();
      }
    }
    const stats = await this.optimizer.readGpuStats(count);
    const results: StepResult[] = [];
    for (const [slot, learningRate] of learningRates.entries()) {
      const [loss, gradNorm] = [stats[2 * slot]!, stats[2 * slot + 1]!];
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        this.completed += slot;
        this.optimizer.undoSkipped(count - slot);
        throw new NonFiniteLossError(this.completed + 1, loss, gradNorm);
      }
      results.push({ step: this.completed + slot + 1, loss, gradNorm, learningRate });
    }
    this.completed += count;
    return results;
  }

  private byName(grads: readonly tf.Tensor[]): Record<string, tf.Tensor> {
    return Object.fromEntries([...this.model.params.keys()].map((name, i) => [name, grads[i]!]));
  }

  /**
   * How steps run on this backend: whether they replay a recorded step, and if not, why.
   * @returns a line for the run's report.
   */
  get captureStatus(): string {
    const why = this.captureUnavailable();
    return why === undefined ? this.recordedGradients.status : `off (${why})`;
  }

  /** Why steps are not recorded here, or undefined when they are. */
  private captureUnavailable(): string | undefined {
    if (this.config.train.capture === 'off') return 'train.capture is off';
    if (tf.getBackend() !== 'webgpu') return `only webgpu replays recorded steps, this is ${tf.getBackend()}`;
    return undefined;
  }

  /**
   * Writes a checkpoint of the whole state.
   * @param dir - the run's checkpoint folder.
   * @returns its path.
   */
  saveCheckpoint(dir: string): Promise<string> {
    const { updates, m, v } = this.optimizer.state();
    return saveCheckpoint(
      dir,
      {
        step: this.completed,
        optimizerUpdates: updates,
        rngState: this.drawnAhead?.rngState ?? this.rng.state(),
        config: this.config,
        groups: { params: this.model.params, ema: this.ema.params, 'adam.m': m, 'adam.v': v },
      },
      this.config.train.keepCheckpoints,
    );
  }

  /**
   * Restores the whole state from a loaded checkpoint (disposes its tensors).
   * @param checkpoint - from `loadCheckpoint`.
   * @throws {Error} when the checkpoint's tensors do not fit this model.
   */
  restore(checkpoint: CheckpointData): void {
    const { tensors } = checkpoint;
    try {
      assignParams(this.model.params, tensors.params, 'params');
      assignParams(this.ema.params, tensors.ema, 'ema');
      this.optimizer.restore({ updates: checkpoint.optimizerUpdates, m: tensors['adam.m'], v: tensors['adam.v'] });
    } finally {
      // a group that failed to fit leaves the later ones unread
      for (const group of Object.values(tensors)) tf.dispose([...group.values()]);
    }
    this.completed = checkpoint.step;
    this.rng = restoreRng(checkpoint.rngState);
    this.drawnAhead = undefined;
    // it drew ahead from the old state
    this.batches?.terminate();
    this.batches = undefined;
  }

  /** Frees every variable and stops the worker threads, if any. */
  dispose(): void {
    this.recordedGradients.dispose();
    disposeDit(this.model);
    disposeDit(this.ema);
    this.optimizer.dispose();
    this.workers?.then((workers) => workers.terminate()).catch(() => undefined);
    this.batches?.terminate();
    this.batches = undefined;
    this.workers = undefined;
  }
}
