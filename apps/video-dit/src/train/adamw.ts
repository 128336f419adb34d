import * as tf from '@tensorflow/tfjs-core';
import { assignParams, type ModelParams } from '../model/index.js';

/** AdamW hyper-parameters (Loshchilov & Hutter: weight decay decoupled from the gradient). */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decay per unit learning rate, applied to matrices only (not biases). */
  weightDecay: number;
}

/** What a checkpoint keeps of an {@link AdamW}: its update count and its moments by weight name. */
export interface AdamWState {
  /** Updates applied so far (the bias-correction step count). */
  updates: number;
  /** First moments. */
  m: ReadonlyMap<string, tf.Tensor>;
  /** Second moments. */
  v: ReadonlyMap<string, tf.Tensor>;
}

/**
 * AdamW over a parameter map. Its moments are plain variables keyed like the parameters, so a
 * checkpoint can save and restore them exactly.
 */
export class AdamW {
  private readonly m: ModelParams = new Map();
  private readonly v: ModelParams = new Map();
  private readonly options: AdamWOptions;
  private count = 0;

  /**
   * @param params - the weights this optimizer updates.
   * @param options - its four hyper-parameters.
   */
  constructor(
    private readonly params: ModelParams,
    options: AdamWOptions,
  ) {
    const { beta1, beta2, epsilon, weightDecay } = options;
    this.options = { beta1, beta2, epsilon, weightDecay };
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Updates applied so far (the bias-correction step count). */
  get updates(): number {
    return this.count;
  }

  /**
   * The optimizer's state, for a checkpoint.
   * @returns the update count and the live moment variables (not copies: read them, do not dispose them).
   */
  state(): AdamWState {
    return { updates: this.count, m: this.m, v: this.v };
  }

  /**
   * Continues from a saved state.
   * @param state - the update count and moments by weight name; the moment tensors are disposed.
   * @throws {Error} when a moment is missing or its shape differs from its weight's.
   */
  restore(state: AdamWState): void {
    assignParams(this.m, state.m, 'adam.m');
    assignParams(this.v, state.v, 'adam.v');
    this.count = state.updates;
  }

  /**
   * One update: `p ← p − lr·(m̂ / (√v̂ + ε) + λ·p)`.
   * @param grads - gradients by parameter name (already clipped).
   * @param learningRate - this step's learning rate.
   */
  apply(grads: Record<string, tf.Tensor>, learningRate: number): void {
    this.count += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const correction1 = 1 - beta1 ** this.count;
    const correction2 = 1 - beta2 ** this.count;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (g === undefined) throw new Error(`no gradient for weight '${name}'`);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        let step: tf.Tensor = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), epsilon));
        if (weightDecay > 0 && p.rank >= 2) step = tf.add(step, tf.mul(p, weightDecay));
        p.assign(tf.sub(p, tf.mul(step, learningRate)));
      }
    });
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/**
 * Learning rate at a step: linear warm-up to `peak`, then a cosine decay to 10% of it at `total`.
 * @param step - 0-based step.
 * @param peak - peak learning rate.
 * @param warmup - warm-up steps.
 * @param total - total steps of the run.
 * @returns the learning rate.
 */
export function learningRateAt(step: number, peak: number, warmup: number, total: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return peak * (0.1 + 0.45 * (1 + Math.cos(Math.PI * progress)));
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`.
 * @param grads - gradients by name.
 * @param maxNorm - the bound.
 * @returns the clipped gradients (new tensors) and the norm before clipping (a scalar tensor).
 */
export function clipByGlobalNorm(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
): { clipped: Record<string, tf.Tensor>; norm: tf.Scalar } {
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(tf.addN(squares)) as tf.Scalar;
    const scale = tf.div(maxNorm, tf.maximum(norm, maxNorm));
    const clipped: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, scale);
    return { clipped, norm };
  });
}

/**
 * EMA update `ema ← d·ema + (1 − d)·p` with the warm-up `d = min(decay, (1 + n)/(10 + n))`, so
 * that short runs are not dominated by the initial weights.
 * @param ema - the averaged weights (updated in place).
 * @param params - the current weights.
 * @param decay - the target decay.
 * @param updates - updates applied so far.
 */
export function updateEma(ema: ModelParams, params: ModelParams, decay: number, updates: number): void {
  const d = Math.min(decay, (1 + updates) / (10 + updates));
  tf.tidy(() => {
    for (const [name, e] of ema) e.assign(tf.add(tf.mul(e, d), tf.mul(params.get(name)!, 1 - d)));
  });
}
