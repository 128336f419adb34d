import * as tf from '@tensorflow/tfjs-core';
import { adamwUpdate, sumOfSquaresOf, WebGpuAdamW } from '../kernels/index.js';
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
  /** The in-place update on webgpu, made at its first update there. */
  private webgpu: WebGpuAdamW | undefined;

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
   * One update of every weight and its moving average, in one fused kernel (on webgpu written in
   * place, the variables keeping their buffers):
   * `g ← s·g`, `p ← p − lr·(m̂ / (√v̂ + ε) + λ·p)` (λ on matrices only), `ema ← d·ema + (1 − d)·p`.
   * @param grads - gradients by weight name, before clipping.
   * @param learningRate - this step's learning rate.
   * @param gradScale - the clipping factor (see {@link clipScale}).
   * @param ema - the moving average of the weights and its target decay (warmed up by {@link emaDecayAt}).
   * @throws {Error} when a weight has no gradient.
   */
  apply(grads: Record<string, tf.Tensor>, learningRate: number, gradScale: number, ema: { params: ModelParams; decay: number }): void {
    this.count += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const shared = { gradScale, beta1, beta2, epsilon, learningRate, emaDecay: emaDecayAt(ema.decay, this.count) };
    const corrections = { correction1: 1 - beta1 ** this.count, correction2: 1 - beta2 ** this.count };
    const names = [...this.params.keys()];
    const weights = names.map((name) => {
      const p = this.params.get(name)!;
      const g = grads[name];
      if (g === undefined) throw new Error(`no gradient for weight '${name}'`);
      return { p, g, m: this.m.get(name)!, v: this.v.get(name)!, ema: ema.params.get(name)!, decayed: p.rank >= 2 };
    });
    const step = { ...shared, ...corrections, weightDecay };
    if (tf.getBackend() === 'webgpu') {
      this.webgpu ??= new WebGpuAdamW();
      this.webgpu.update(weights, step);
      return;
    }
    tf.tidy(() => {
      adamwUpdate(weights, step).forEach((next, w) => {
        const name = names[w]!;
        this.params.get(name)!.assign(next.p);
        this.m.get(name)!.assign(next.m);
        this.v.get(name)!.assign(next.v);
        ema.params.get(name)!.assign(next.ema);
      });
    });
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.webgpu?.dispose();
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
 * The global L2 norm of gradients, `√(Σ g²)` over all of them.
 * @param grads - the gradients.
 * @returns a scalar (the caller owns it).
 */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(sumOfSquaresOf(grads)) as tf.Scalar);
}

/**
 * The factor that scales gradients of global norm `norm` to at most `maxNorm`, in float32 as the
 * GPU would compute it.
 * @param norm - the gradients' global norm (a float32 value read back).
 * @param maxNorm - the bound.
 * @returns 1 under the bound, `maxNorm / norm` over it.
 */
export function clipScale(norm: number, maxNorm: number): number {
  const bound = Math.fround(maxNorm);
  return Math.fround(bound / Math.max(norm, bound));
}

/**
 * The EMA's decay for an update, warmed up as `min(decay, (1 + n)/(10 + n))` so that short runs
 * are not dominated by the initial weights.
 * @param decay - the target decay.
 * @param updates - updates applied so far, this one included.
 * @returns the decay.
 */
export function emaDecayAt(decay: number, updates: number): number {
  return Math.min(decay, (1 + updates) / (10 + updates));
}
