// The sampler alone, without files: browser-safe, so that apps/playground samples in a page with this same code.
import { createRng, hunyuanVideoSchedule, stochasticEulerCoefficients } from '@flowdit/timestep-shift';
import { linearStepTensor } from '@flowdit/timestep-shift/tfjs';
import type * as tf from '@tensorflow/tfjs-core';
import { deviceTensor, ReplayedWork } from '../backend/browser.js';
import { standardNormals } from '../data/index.js';
import { type Dit, ditForwardTokens, patchDim, tokenCount, unpatchifyValues } from '../model/index.js';

/** Options of {@link sampleClips}. */
export interface SampleOptions {
  /** Number of clips. */
  count: number;
  /** Euler steps. */
  steps: number;
  /** Inference shift (t convention: > 1 spends more steps near noise). */
  shift: number;
  /** Seed of the starting noise. */
  seed: number;
  /** Clips per forward pass (default 16). */
  batchSize?: number;
  /**
   * Fraction η ∈ [0, 1) of the noise estimate replaced by fresh noise at each step (default 0:
   * plain Euler). With η > 0 each step moves to `t'·x̂1 + (1 − t')·(√(1 − η²)·x̂0 + η·ε)`, which
   * lets later steps correct earlier mistakes.
   */
  stochasticity?: number;
  /**
   * Called after every step with the batch as it stands (a page draws the frames as they form);
   * sampling waits for it. The numbers sampled do not depend on whether it is given.
   */
  onStep?: (step: SampleStep) => void | Promise<void>;
}

/** What {@link SampleOptions.onStep} is given after each Euler step. */
export interface SampleStep {
  /** Steps done, 1 to `steps`. */
  step: number;
  /** The time reached, t convention (t = 0 noise, t = 1 data). */
  t: number;
  /** Index of the batch's first clip among all clips. */
  firstClip: number;
  /** Clips in the batch. */
  batch: number;
  /** The batch's x_t as `batch` clips `[T, H, W, C]` back to back, row-major. */
  clips: Float32Array;
}

/**
 * The inference times: the shifted schedule `σ = shift·s / (1 + (shift − 1)·s)` on a uniform grid
 * `s` from 1 to 0 (HunyuanVideo's), in the t convention: N + 1 values from t = 0 (noise) to t = 1.
 * @param steps - Euler steps N.
 * @param shift - the shift.
 * @returns N + 1 increasing times.
 */
export function samplingTimes(steps: number, shift: number): Float64Array {
  return hunyuanVideoSchedule(steps, { shift, convention: 't' }).times;
}

/**
 * Generates clips by integrating `dx/dt = v_θ(x, t)` with Euler steps from noise (t = 0) to
 * data (t = 1) along the shifted schedule.
 * @param model - the model to sample with (the EMA copy of a run's).
 * @param options - count, steps, shift, seed, stochasticity (validated: see {@link sampleOptionsFor}).
 * @returns `count` clips, each `[T, H, W, C]` float32 in about [−1, 1].
 */
export async function sampleClips(model: Dit, options: SampleOptions): Promise<Float32Array[]> {
  const { config } = model;
  const { count, steps, shift, seed } = options;
  const eta = options.stochasticity ?? 0;
  const times = samplingTimes(steps, shift);
  const clipSize = config.frames * config.height * config.width * config.channels;
  const rng = createRng(seed);
  const batchSize = options.batchSize ?? 16;
  // On webgpu each kind of step replays one recorded forward pass and update; every number that
  // changes from step to step is an input, x (on the GPU) and the step's coefficients among them.
  const eulerStep = new ReplayedWork(([x, t, c]) => {
    const v = ditForwardTokens(model, x as tf.Tensor3D, t as tf.Tensor1D);
    return [linearStepTensor(x!, v, c!)];
  });
  const renoisedStep = new ReplayedWork(([x, t, fresh, c]) => {
    const v = ditForwardTokens(model, x as tf.Tensor3D, t as tf.Tensor1D);
    return [linearStepTensor(x!, v, c!, fresh)];
  });
  const clips: Float32Array[] = [];
  try {
    for (let start = 0; start < count; start += batchSize) {
      const b = Math.min(batchSize, count - start);
      // The whole integration runs on tokens (noise is independent per value, so its layout is free); unpatchify once at the end.
      const shape = [b, tokenCount(config), patchDim(config)];
      const noise = standardNormals(rng, b * clipSize);
      let x = deviceTensor(noise, shape);
      let release = () => x.dispose();
      for (let i = 0; i < steps; i++) {
        const t0 = times[i]!;
        const t1 = times[i + 1]!;
        const t = { values: new Float32Array(b).fill(t0), shape: [b] };
        // the package's stochastic Euler step (plain Euler at η = 0, and on the last step)
        const renoised = eta > 0 && i < steps - 1;
        const c = stochasticEulerCoefficients(t0, t1, { eta: renoised ? eta : 0 });
        const run = renoised
          ? renoisedStep.run([
              { tensor: x },
              t,
              { values: standardNormals(rng, noise.length), shape },
              { values: Float32Array.of(c.x, c.velocity, c.noise), shape: [3] },
            ])
          : eulerStep.run([{ tensor: x }, t, { values: Float32Array.of(c.x, c.velocity), shape: [2] }]);
        release();
        x = run.outputs[0]!;
        release = run.release;
        if (options.onStep !== undefined) {
          const clipsNow = unpatchifyValues((await x.data()) as Float32Array, b, config);
          await options.onStep({ step: i + 1, t: t1, firstClip: start, batch: b, clips: clipsNow });
        }
      }
      let values: Float32Array;
      try {
        // back to clips in JavaScript: the browser backends have no 8-axis transpose
        values = unpatchifyValues((await x.data()) as Float32Array, b, config);
      } finally {
        release();
      }
      for (let i = 0; i < b; i++) clips.push(values.slice(i * clipSize, (i + 1) * clipSize));
    }
  } finally {
    eulerStep.dispose();
    renoisedStep.dispose();
  }
  return clips;
}

