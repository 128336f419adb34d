import { createRng } from '@flowdit/timestep-shift';
import { flowMatchingPair } from '@flowdit/timestep-shift/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { ReplayedWork } from '../backend/index.js';
import { clipBatch, datasetSplit, standardNormals, type VideoDataConfig } from '../data/index.js';
import { type Dit, ditForwardTokens, patchDim, patchifyValues, tokenCount } from '../model/index.js';

/** Mean flow-matching loss over the t interval `[from, to)` (t convention, 0 = noise). */
export interface BucketLoss {
  from: number;
  to: number;
  loss: number;
}

/** Validation loss overall and per timestep bucket. */
export interface ValidationResult {
  /** Mean over the buckets (each weighted equally: the loss under uniform t). */
  loss: number;
  buckets: BucketLoss[];
}

/** Options of {@link validationLoss}. */
export interface ValidationOptions {
  /** Held-out clips (from the validation split, never seen in training). */
  clips: number;
  /** Equal-width t buckets on [0, 1] (default 5). */
  buckets?: number;
  /** Seed of the fixed noise (default 0), so that successive evaluations compare like with like. */
  seed?: number;
  /** Clips per forward pass (default 16). */
  batchSize?: number;
}

/**
 * Flow-matching loss on held-out clips by timestep bucket. Every clip is evaluated once per
 * bucket, at evenly spread times inside it, with noise fixed by the seed: the numbers are
 * deterministic and differences between checkpoints are the model's.
 * @param model - the model to evaluate.
 * @param data - data config (the validation split is drawn from it).
 * @param options - clip count, buckets, seed.
 * @returns the overall loss and the loss per bucket, low t (noise) first.
 */
export async function validationLoss(model: Dit, data: VideoDataConfig, options: ValidationOptions): Promise<ValidationResult> {
  const bucketCount = options.buckets ?? 5;
  const indices = datasetSplit('validation', options.clips);
  // In token space, as in training: the loss is the same, without a patchify per batch.
  const tokens = patchifyValues(clipBatch(data, indices), indices.length, model.config);
  const rng = createRng(options.seed ?? 0);
  const noise = standardNormals(rng, tokens.length);
  const clipSize = tokens.length / indices.length;
  const batchSize = options.batchSize ?? 16;
  // On webgpu every batch of the same size replays one recorded forward pass.
  const batchLoss = new ReplayedWork(([x1, x0, t]) => {
    const { xt, velocity } = flowMatchingPair(x1!, x0!, t as tf.Tensor1D);
    const error = tf.sub(ditForwardTokens(model, xt as tf.Tensor3D, t as tf.Tensor1D), velocity);
    return [tf.sum(tf.mean(tf.reshape(tf.square(error), [x1!.shape[0]!, -1]), 1))];
  });
  const buckets: BucketLoss[] = [];
  try {
    for (let k = 0; k < bucketCount; k++) {
      const from = k / bucketCount;
      const to = (k + 1) / bucketCount;
      let total = 0;
      for (let start = 0; start < indices.length; start += batchSize) {
        const b = Math.min(batchSize, indices.length - start);
        const times = Float32Array.from({ length: b }, (_, i) => from + ((start + i + 0.5) / indices.length) * (to - from));
        const shape = [b, tokenCount(model.config), patchDim(model.config)];
        const clips = (values: Float32Array) => ({ values: values.subarray(start * clipSize, (start + b) * clipSize), shape });
        const { outputs, release } = batchLoss.run([clips(tokens), clips(noise), { values: times, shape: [b] }]);
        try {
          total += ((await outputs[0]!.data()) as Float32Array)[0]!;
        } finally {
          release();
        }
      }
      buckets.push({ from, to, loss: total / indices.length });
    }
  } finally {
    batchLoss.dispose();
  }
  return { loss: buckets.reduce((s, bucket) => s + bucket.loss, 0) / bucketCount, buckets };
}

/**
 * One line for a terminal: the mean validation loss and each bucket's.
 * @param result - from {@link validationLoss}.
 * @returns e.g. `validation loss 0.0900 by t bucket (0 = noise): [0.0,0.2) 0.1470  …`.
 */
export function describeValidation(result: ValidationResult): string {
  const buckets = result.buckets.map((b) => `[${b.from.toFixed(1)},${b.to.toFixed(1)}) ${b.loss.toFixed(4)}`).join('  ');
  return `validation loss ${result.loss.toFixed(4)} by t bucket (0 = noise): ${buckets}`;
}
