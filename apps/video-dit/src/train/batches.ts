import { Worker } from 'node:worker_threads';
import { type Rng, sampleTimesteps } from '@flowdit/timestep-shift';
import { type Config, dataConfig, trainingDistribution, trainingLossWeight, trainingShift } from '../config/index.js';
import { clipBatch, standardNormals } from '../data/index.js';
import { patchifyValues } from '../model/index.js';
import type { BatchShard } from './gradients.js';
import { workerScript } from './parallel.js';

/**
 * What draws a run's batches, all from its rng: clip indices from the training split (as tubelet
 * tokens), noise (drawn in token layout: its values are independent, so the layout is free) and
 * timesteps, then their loss weights where `train.lossWeight` gives them.
 * @param config - the run's resolved configuration.
 * @returns a function that draws the next batch from the generator it is given.
 */
export function batchDrawer(config: Config): (rng: Rng) => BatchShard {
  const { batchSize } = config.train;
  const data = dataConfig(config);
  const distribution = trainingDistribution(config.timesteps, trainingShift(config));
  const lossWeight = trainingLossWeight(config.train);
  return (rng) => {
    const indices = Array.from({ length: batchSize }, () => Math.floor(rng.uniform() * config.data.trainClips));
    const tokens = patchifyValues(clipBatch(data, indices), batchSize, config.model);
    const noise = standardNormals(rng, tokens.length);
    const t = Float32Array.from(sampleTimesteps(distribution, batchSize, rng, { stratified: config.timesteps.stratified }));
    if (lossWeight === undefined) return { tokens, noise, t };
    return { tokens, noise, t, lossWeight: t.map(lossWeight) };
  };
}

/** What a batch worker is started with. */
export interface BatchWorkerSetup {
  config: Config;
  /** The generator's state the first batch is drawn from. */
  rngState: Uint32Array;
  /** Batches drawn ahead and not yet taken, at most. */
  ahead: number;
  /** One Int32: the batches taken so far, raised by the main thread. */
  taken: SharedArrayBuffer;
}

/** A drawn batch and the generator's state after it: the state a checkpoint taken after its step keeps. */
export interface DrawnBatch {
  batch: BatchShard;
  rngState: Uint32Array;
}

/** A batch worker's message: a batch with the generator's state after it, or why it stopped. */
export type BatchWorkerReply = ({ kind: 'batch' } & DrawnBatch) | { kind: 'error'; message: string };

/**
 * A worker thread that draws a run's next batches while this thread issues steps: the same
 * batches, in the same order, as drawing them here from the same state. Start a new one to
 * continue from another state (a restored checkpoint).
 */
export class BatchWorker {
  private readonly drawn: DrawnBatch[] = [];
  private waiting: { resolve: (drawn: DrawnBatch) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    /** The batches taken so far, which the worker waits on. */
    private readonly taken: Int32Array,
  ) {
    worker.on('message', (reply: BatchWorkerReply) => {
      if (reply.kind === 'error') this.fail(new Error(`the batch worker failed: ${reply.message}`));
      else this.deliver({ batch: reply.batch, rngState: reply.rngState });
    });
    worker.on('error', (error) => this.fail(new Error(`the batch worker crashed: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`the batch worker exited (code ${code})`)));
    // an idle worker must not keep the process alive; next() holds it while it waits
    worker.unref();
  }

  /**
   * Starts a worker that draws batches from a generator state.
   * @param config - the run's resolved configuration.
   * @param rngState - the state the first batch is drawn from.
   * @param ahead - how many batches it draws before the first is taken.
   * @returns the worker, drawing.
   */
  static start(config: Config, rngState: Uint32Array, ahead = 3): BatchWorker {
    const taken = new SharedArrayBuffer(4);
    const setup: BatchWorkerSetup = { config, rngState, ahead, taken };
    return new BatchWorker(new Worker(workerScript('batch-worker.js'), { workerData: setup }), new Int32Array(taken));
  }

  /**
   * The next batch, in order.
   * @returns it, with the generator's state after it.
   * @throws {Error} when the worker failed or was stopped.
   */
  next(): Promise<DrawnBatch> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const drawn = this.drawn.shift();
    if (drawn !== undefined) {
      this.take();
      return Promise.resolve(drawn);
    }
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** Stops the worker. */
  terminate(): void {
    this.fail(new Error('the batch worker was stopped'));
    void this.worker.terminate();
  }

  private deliver(drawn: DrawnBatch): void {
    const waiting = this.waiting;
    if (waiting === undefined) {
      this.drawn.push(drawn);
      return;
    }
    this.waiting = undefined;
    this.worker.unref();
    this.take();
    waiting.resolve(drawn);
  }

  /** Lets the worker draw one more. */
  private take(): void {
    Atomics.add(this.taken, 0, 1);
    Atomics.notify(this.taken, 0);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.failure);
  }
}
