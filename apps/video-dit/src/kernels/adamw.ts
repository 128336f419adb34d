import * as tf from '@tensorflow/tfjs-core';
import { cpuValues } from './elementwise.js';
import { simdAdamW } from './simd-wasm.js';

/*
 * One AdamW update of every weight with its EMA, in one tfjs kernel: the clipped gradient, both
 * moments, the bias-corrected step with decoupled weight decay, the new weight and its moving
 * average. The composed version took a dozen kernels per weight and a CPU→GPU upload for every
 * JS number it multiplied by; here every number is an attribute (a uniform on webgpu).
 *
 * cpu runs one JS loop over the backend's own buffers, rounding after every operation exactly as
 * the float32 kernels it replaces do; wasm the same operations in f32x4 in our SIMD module
 * (assembly/adamw.ts), the same to the bit. webgpu updates the variables in place instead
 * (adamw-in-place.ts): a tfjs program has one output, and four programs a weight were a third of
 * a step's dispatches.
 */

/** The tfjs kernel's name. */
export const ADAMW_KERNEL = 'FlowditAdamW';

/** The numbers of one update, all float32-rounded by the kernel. */
export interface AdamWStep {
  /** The clipping factor applied to the gradient (1 when its global norm is under the bound). */
  gradScale: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** `λ` of `p ← p − lr·(step + λ·p)`, for the weights that are decayed. */
  weightDecay: number;
  learningRate: number;
  /** `1 − β1^t` and `1 − β2^t` for update t. */
  correction1: number;
  correction2: number;
  /** The EMA's decay for this update. */
  emaDecay: number;
}

/** The step's numbers, and 1 or 0 per weight: whether it is decayed. */
type Attrs = AdamWStep & { decayed: number[] } & tf.NamedAttrMap;

const f = Math.fround;

/** The same float32 arithmetic as the composed tfjs ops, in the same order. */
function updateValues(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, e: Float32Array, out: Float32Array[], s: AdamWStep): void {
  const [pOut, mOut, vOut, eOut] = out as [Float32Array, Float32Array, Float32Array, Float32Array];
  const scale = f(s.gradScale);
  const beta1 = f(s.beta1);
  const oneMinusBeta1 = f(1 - s.beta1);
  const beta2 = f(s.beta2);
  const oneMinusBeta2 = f(1 - s.beta2);
  const correction1 = f(s.correction1);
  const correction2 = f(s.correction2);
  const epsilon = f(s.epsilon);
  const weightDecay = f(s.weightDecay);
  const learningRate = f(s.learningRate);
  const decay = f(s.emaDecay);
  const oneMinusDecay = f(1 - s.emaDecay);
  for (let i = 0; i < p.length; i++) {
    const grad = f(g[i]! * scale);
    const m1 = f(f(m[i]! * beta1) + f(grad * oneMinusBeta1));
    const v1 = f(f(v[i]! * beta2) + f(f(grad * grad) * oneMinusBeta2));
    let step = f(f(m1 / correction1) / f(f(Math.sqrt(f(v1 / correction2))) + epsilon));
    if (weightDecay !== 0) step = f(step + f(p[i]! * weightDecay));
    const p1 = f(p[i]! - f(step * learningRate));
    pOut[i] = p1;
    mOut[i] = m1;
    vOut[i] = v1;
    eOut[i] = f(f(e[i]! * decay) + f(p1 * oneMinusDecay));
  }
}

const ROLES = ['p', 'g', 'm', 'v', 'e'] as const;

/** The inputs of weight w: its value, gradient, moments and EMA, named `p0`, `g0`, … */
function weightInputs(inputs: tf.NamedTensorInfoMap, w: number): tf.TensorInfo[] {
  return ROLES.map((role) => inputs[`${role}${w}`]!);
}

/** The step of weight w: its weight decay is the step's if it is decayed, else 0. */
function stepOf(attrs: Attrs, w: number): AdamWStep {
  return { ...attrs, weightDecay: attrs.decayed[w] === 1 ? attrs.weightDecay : 0 };
}

function cpuKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const s = attrs as unknown as Attrs;
  const cpu = backend as unknown as { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
  return s.decayed.flatMap((_, w) => {
    const tensors = weightInputs(inputs, w);
    const [p, g, m, v, e] = tensors.map((tensor) => cpuValues(backend, tensor)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const out = [0, 1, 2, 3].map(() => new Float32Array(p.length));
    updateValues(p, g, m, v, e, out, stepOf(s, w));
    return out.map((values) => cpu.makeTensorInfo(tensors[0]!.shape, 'float32', values));
  });
}

function wasmKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const s = attrs as unknown as Attrs;
  return s.decayed.flatMap((_, w) => simdAdamW(backend, weightInputs(inputs, w), stepOf(s, w)));
}

for (const [backendName, kernelFunc] of [
  ['cpu', cpuKernel],
  ['wasm', wasmKernel],
] as const) {
  tf.registerKernel({ kernelName: ADAMW_KERNEL, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** One weight's tensors for an AdamW update: its value, gradient, moments and EMA. */
export interface AdamWWeight {
  p: tf.Tensor;
  g: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  ema: tf.Tensor;
  /** Whether the weight decay applies (matrices, not biases). */
  decayed: boolean;
}

/** The new weight, moments and EMA of one AdamW update. */
export interface AdamWResult {
  p: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  ema: tf.Tensor;
}

/**
 * One AdamW update of every weight and its EMA, in one kernel: `g ← s·g`, `m ← β1·m + (1 − β1)·g`,
 * `v ← β2·v + (1 − β2)·g²`, `p ← p − lr·(m/c1 / (√(v/c2) + ε) + λ·p)`, `ema ← d·ema + (1 − d)·p`,
 * with λ for the decayed weights and 0 for the others.
 * @param weights - the weights with their gradients (before clipping), moments and EMA.
 * @param step - this update's numbers.
 * @returns new tensors per weight, in order (the caller owns them).
 */
export function adamwUpdate(weights: readonly AdamWWeight[], step: AdamWStep): AdamWResult[] {
  const inputs: tf.NamedTensorMap = Object.fromEntries(
    weights.flatMap(({ p, g, m, v, ema }, w) => Object.entries({ p, g, m, v, e: ema }).map(([role, tensor]) => [`${role}${w}`, tensor])),
  );
  const attrs = { ...step, decayed: weights.map((weight) => (weight.decayed ? 1 : 0)) };
  const outputs = tf.engine().runKernel(ADAMW_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return weights.map((_, w) => {
    const [p, m, v, ema] = outputs.slice(4 * w, 4 * (w + 1)) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    return { p, m, v, ema };
  });
}
