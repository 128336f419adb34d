import * as tf from '@tensorflow/tfjs-core';
import type { PassWork } from '../backend/index.js';
import { type AdamWStep, adamwUpdate, type InPlaceWeight, type StepStats, sumOfSquaresOf, WebGpuAdamW } from '../kernels/index.js';
import { assignParams, type ModelParams } from '../model/index.js';

/** AdamW hyper-parameters (Loshchilov & Hutter: weight decay decoupled from the gradient). */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decay per unit learning rate, applied to matrices only (not biases). */
  weightDecay: number;
}

/**
 * Steps a webgpu run issues between two reads of their losses and norms: the updates are guarded
 * on the GPU, so the steps need not wait for a read before the next one starts.
 */
export const STEPS_PER_READ = 10;

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
  /** The weights' names, in the parameter map's order. */
  private readonly names: string[];
  private count = 0;
  /** The in-place update on webgpu, made at its first update there. */
  private webgpu: WebGpuAdamW | undefined;
  /** The last update's weights on webgpu: the same list while the gradients are the same tensors (a replayed step's), so that its bindings are kept. */
  private gpuWeights: { ema: ModelParams; weights: InPlaceWeight[] } | undefined;

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
    this.names = [...params.keys()];
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
   * One update of every weight and its moving average, in one fused kernel, on cpu and wasm:
   * `g ← s·g`, `p ← p − lr·(m̂ / (√v̂ + ε) + λ·p)` (λ on matrices only), `ema ← d·ema + (1 − d)·p`.
   * @param grads - gradients by weight name, before clipping.
   * @param learningRate - this step's learning rate.
   * @param gradScale - the clipping factor (see {@link clipScale}).
   * @param ema - the moving average of the weights and its target decay (warmed up by {@link emaDecayAt}).
   * @throws {Error} when a weight has no gradient, or on webgpu (see {@link applyOnGpu}).
   */
  apply(grads: Record<string, tf.Tensor>, learningRate: number, gradScale: number, ema: { params: ModelParams; decay: number }): void {
    if (tf.getBackend() === 'webgpu') throw new Error('on webgpu the update is guarded on the GPU: applyOnGpu');
    const weights = this.weights(grads, ema.params);
    const step = { ...this.nextStep(learningRate, ema.decay), gradScale };
    tf.tidy(() => {
      adamwUpdate(weights, step).forEach((next, w) => {
        const name = this.names[w]!;
        this.params.get(name)!.assign(next.p);
        this.m.get(name)!.assign(next.m);
        this.v.get(name)!.assign(next.v);
        ema.params.get(name)!.assign(next.ema);
      });
    });
  }

  /**
   * The same update on webgpu, written in place (the variables keep their buffers), clipped by
   * the step's gradient norm and guarded by it and the loss on the GPU: where either is not
   * finite, neither this update nor any after it changes anything, until {@link undoSkipped}.
   * The loss and norm are kept for {@link readGpuStats}.
   * @param grads - gradients by weight name, before clipping.
   * @param learningRate - this step's learning rate.
   * @param kept - the step's `[loss, norm]` on the GPU, the history slot to keep them in, and the norm's bound.
   * @param ema - the moving average of the weights and its target decay.
   * @param forReplay - true: returned for a replayed step to encode with its own dispatches (prepare
   *   it before the replay); false: encoded with tfjs's commands and submitted now.
   * @returns the update's work for the replay, when `forReplay`.
   * @throws {Error} when a weight has no gradient.
   */
  applyOnGpu(
    grads: Record<string, tf.Tensor>,
    learningRate: number,
    kept: StepStats & { maxNorm: number },
    ema: { params: ModelParams; decay: number },
    forReplay: boolean,
  ): PassWork | undefined {
    this.webgpu ??= new WebGpuAdamW(STEPS_PER_READ);
    const last = this.gpuWeights;
    const same = last?.ema === ema.params && last.weights.every((weight, w) => grads[this.names[w]!] === weight.g);
    if (!same) this.gpuWeights = { ema: ema.params, weights: this.weights(grads, ema.params) };
    const { weights } = this.gpuWeights!;
    const step = { ...this.nextStep(learningRate, ema.decay), maxNorm: kept.maxNorm };
    if (forReplay) return this.webgpu.passWork(weights, step, kept);
    this.webgpu.update(weights, step, kept);
    return undefined;
  }

  /**
   * The loss and gradient norm the webgpu updates kept, from slot 0 on.
   * @param count - how many slots to read.
   * @returns `[loss, norm]` of each slot in turn.
   * @throws {Error} when no update ran on webgpu.
   */
  readGpuStats(count: number): Promise<Float32Array> {
    if (this.webgpu === undefined) throw new Error('no update ran on webgpu');
    return this.webgpu.readStats(count);
  }

  /**
   * Takes back the count of the last updates, which the GPU guard skipped, and opens it again.
   * @param updates - how many.
   */
  undoSkipped(updates: number): void {
    this.count -= updates;
    this.webgpu?.reopen();
  }

  /** The next update's numbers, counting it. */
  private nextStep(learningRate: number, emaDecay: number): Omit<AdamWStep, 'gradScale'> {
    this.count += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    return {
      beta1,
      beta2,
      epsilon,
      weightDecay,
      learningRate,
      emaDecay: emaDecayAt(emaDecay, this.count),
      correction1: 1 - beta1 ** this.count,
      correction2: 1 - beta2 ** this.count,
    };
  }

  private weights(grads: Record<string, tf.Tensor>, ema: ModelParams): InPlaceWeight[] {
    return [...this.params].map(([name, p]) => {
      const g = grads[name];
      if (g === undefined) throw new Error(`no gradient for weight '${name}'`);
      return { p, g, m: this.m.get(name)!, v: this.v.get(name)!, ema: ema.get(name)!, decayed: p.rank >= 2 };
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
