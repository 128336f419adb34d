import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Dit, ModelConfig } from '../model/index.js';
import { type BatchShard, flattenTensors, type ShardGradients, type ShareOfBatch, shardGradients, splitBatch, unflatten } from './gradients.js';

/** What a gradient worker is started with. */
export interface WorkerSetup {
  backend: 'wasm' | 'cpu';
  model: ModelConfig;
}

/** A shard to compute, with the weights to compute it at. */
export interface WorkerRequest {
  id: number;
  params: Float32Array;
  shard: BatchShard;
  share: number;
}

/** A gradient worker's answer. */
export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'gradients'; id: number; loss: number; grads: Float32Array }
  | { kind: 'error'; id: number; message: string };

/** The loss and flat gradients of one shard, from a worker. */
export interface ShardResult {
  loss: number;
  grads: Float32Array;
}

/**
 * A built worker script of this package's dist/train, found from its source or its bundle.
 * @param name - the script's file name there.
 * @returns its path.
 * @throws {Error} when it is not built.
 */
export function workerScript(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'video-dit') break;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the video-dit package folder above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  const script = join(dir, 'dist', 'train', name);
  if (!existsSync(script)) throw new Error(`the worker script is not built (${script} is missing): run pnpm build`);
  return script;
}

interface Pending {
  resolve: (result: ShardResult) => void;
  reject: (error: Error) => void;
}

/**
 * Worker threads that compute the gradients of batch shards on CPU backends, each with its own
 * backend instance (tfjs's wasm backend has no threads in Node, so this is how a second core
 * helps). The caller keeps the weights and the optimizer; each request carries the weights.
 */
export class GradientWorkers {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (message: WorkerReply) => this.settle(message));
      worker.on('error', (error) => this.fail(new Error(`a gradient worker crashed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (this.pending.size > 0) this.fail(new Error(`a gradient worker exited (code ${code}) with work pending`));
      });
      // An idle worker must not keep the process alive; compute() holds them while it waits.
      worker.unref();
    }
  }

  /**
   * Starts `count` workers on a CPU backend and waits until each has its backend and weights.
   * @param count - number of worker threads (≥ 1).
   * @param setup - the backend and model config.
   * @returns the running workers.
   * @throws Error when the worker script is not built or a worker cannot start its backend.
   */
  static async start(count: number, setup: WorkerSetup): Promise<GradientWorkers> {
    const script = workerScript('gradient-worker.js');
    const workers = Array.from({ length: count }, () => new Worker(script, { workerData: setup }));
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('message', (message: WorkerReply) =>
                message.kind === 'ready' ? resolve() : reject(new Error(`a gradient worker failed: ${message.kind === 'error' ? message.message : message.kind}`)),
              );
              worker.once('error', (error) => reject(new Error(`a gradient worker failed to start: ${error.message}`)));
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new GradientWorkers(workers);
  }

  /** Number of worker threads. */
  get count(): number {
    return this.workers.length;
  }

  /**
   * Sends shard k to worker k and collects their losses and flat gradients.
   * @param params - the current weights, flat (see `flattenTensors`).
   * @param shards - one shard per worker, each with its share of the batch.
   * @returns the results in shard order.
   * @throws Error when a worker fails or has crashed earlier.
   */
  compute(params: Float32Array, shards: ShareOfBatch[]): Promise<ShardResult[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (shards.length !== this.workers.length) {
      return Promise.reject(new RangeError(`${shards.length} shards for ${this.workers.length} gradient workers`));
    }
    for (const worker of this.workers) worker.ref();
    const results = Promise.all(
      shards.map(({ shard, share }, k) => {
        const id = this.nextId++;
        const request: WorkerRequest = { id, params, shard, share };
        return new Promise<ShardResult>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          this.workers[k]!.postMessage(request);
        });
      }),
    );
    return results.finally(() => {
      for (const worker of this.workers) worker.unref();
    });
  }

  /** Stops every worker. */
  async terminate(): Promise<void> {
    this.fail(new Error('the gradient workers were stopped'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private settle(message: WorkerReply): void {
    if (message.kind === 'ready') return;
    const waiting = this.pending.get(message.id);
    if (waiting === undefined) return;
    this.pending.delete(message.id);
    if (message.kind === 'gradients') waiting.resolve({ loss: message.loss, grads: message.grads });
    else waiting.reject(new Error(`a gradient worker failed: ${message.message}`));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
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

/**
 * The loss and gradients of a whole batch, shared by this thread and the workers, if any: the
 * batch is cut into one shard per thread, this thread computes the first while the workers
 * compute the others at the same weights, and the results are added in shard order
 * (deterministic for a given thread count).
 * @param model - the model at its current weights.
 * @param batch - the whole batch.
 * @param workers - the worker threads (none: this thread computes the whole batch).
 * @param whileWaiting - work for this thread once its shard is done and the workers' are not
 *   (called only when there are workers).
 * @returns the batch's loss and one gradient per weight (tensors the caller owns).
 * @throws {Error} when a worker fails; no tensor is left behind.
 */
export async function batchGradients(model: Dit, batch: BatchShard, workers?: GradientWorkers, whileWaiting?: () => void): Promise<ShardGradients> {
  const [own, ...others] = splitBatch(batch, 1 + (workers?.count ?? 0)) as [ShareOfBatch, ...ShareOfBatch[]];
  let remote: Promise<ShardResult[]> | undefined;
  if (workers !== undefined && others.length > 0) {
    remote = workers.compute(await flattenTensors([...model.params.values()]), others);
    // Awaited below, after this thread's own shard; a failure must not go unhandled meanwhile.
    remote.catch(() => undefined);
  }
  const local = shardGradients(model, own.shard, own.share);
  if (remote === undefined) return local;
  let results: ShardResult[];
  try {
    whileWaiting?.();
    results = await remote;
  } catch (error) {
    tf.dispose([local.loss, ...local.grads]);
    throw error;
  }
  const total = tf.tidy(() => {
    const remoteGrads = unflatten(sumInOrder(results.map((r) => r.grads)), model.params);
    return {
      loss: tf.add(local.loss, results.reduce((sum, r) => sum + r.loss, 0)) as tf.Scalar,
      grads: local.grads.map((g, i) => tf.add(g, remoteGrads[i]!)),
    };
  });
  tf.dispose([local.loss, ...local.grads]);
  return total;
}
