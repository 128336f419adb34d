import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, runElementwise, type Uniform, wasmViews } from './elementwise.js';

/*
 * One AdamW update of one weight with its EMA, in one tfjs kernel: the clipped gradient, both
 * moments, the bias-corrected step with decoupled weight decay, the new weight and its moving
 * average. The composed version took a dozen kernels per weight and a CPU→GPU upload for every
 * JS number it multiplied by; here every number is an attribute (a uniform on webgpu).
 *
 * cpu and wasm run one JS loop over the backend's own buffers, rounding after every operation
 * exactly as the float32 kernels it replaces do; webgpu runs four elementwise programs (one per
 * output), each within the smallest storage-buffer limit WebGPU allows.
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
  /** `λ` of `p ← p − lr·(step + λ·p)`; 0 for weights that are not decayed. */
  weightDecay: number;
  learningRate: number;
  /** `1 − β1^t` and `1 − β2^t` for update t. */
  correction1: number;
  correction2: number;
  /** The EMA's decay for this update. */
  emaDecay: number;
}

type Attrs = AdamWStep & tf.NamedAttrMap;

const f = Math.fround;

/** The same float32 arithmetic as the composed tfjs ops, in the same order. */
function updateInPlace(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, e: Float32Array, out: Float32Array[], s: AdamWStep): void {
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

function inputsOf(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  const { p, g, m, v, e } = inputs;
  return [p!, g!, m!, v!, e!];
}

function cpuKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const tensors = inputsOf(inputs);
  const [p, g, m, v, e] = tensors.map((tensor) => cpuValues(backend, tensor)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const out = [0, 1, 2, 3].map(() => new Float32Array(p.length));
  updateInPlace(p, g, m, v, e, out, attrs as unknown as Attrs);
  const shape = tensors[0]!.shape;
  return out.map((values) => (backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo }).makeTensorInfo(shape, 'float32', values));
}

function wasmKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const tensors = inputsOf(inputs);
  const shape = tensors[0]!.shape;
  const { outputs, inputViews, outputViews } = wasmViews(backend, tensors, [shape, shape, shape, shape]);
  const [p, g, m, v, e] = inputViews as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  updateInPlace(p, g, m, v, e, outputViews, attrs as unknown as Attrs);
  return outputs;
}

function webgpuKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const [p, g, m, v, e] = inputsOf(inputs) as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const s = attrs as unknown as Attrs;
  const shape = p.shape;
  const u = (name: string, value: number): Uniform => ({ name, value });
  const grad = 'G[i] * uniforms.gradScale';
  const m1 = runElementwise(
    backend,
    'adamw_m',
    { M: m, G: g },
    `M[i] * uniforms.beta1 + (${grad}) * uniforms.oneMinusBeta1`,
    [u('gradScale', s.gradScale), u('beta1', s.beta1), u('oneMinusBeta1', 1 - s.beta1)],
    shape,
  );
  const v1 = runElementwise(
    backend,
    'adamw_v',
    { V: v, G: g },
    `V[i] * uniforms.beta2 + (${grad}) * (${grad}) * uniforms.oneMinusBeta2`,
    [u('gradScale', s.gradScale), u('beta2', s.beta2), u('oneMinusBeta2', 1 - s.beta2)],
    shape,
  );
  const p1 = runElementwise(
    backend,
    'adamw_p',
    { P: p, M: m1, V: v1 },
    'P[i] - ((M[i] / uniforms.correction1) / (sqrt(V[i] / uniforms.correction2) + uniforms.epsilon) + P[i] * uniforms.weightDecay) * uniforms.learningRate',
    [
      u('correction1', s.correction1),
      u('correction2', s.correction2),
      u('epsilon', s.epsilon),
      u('weightDecay', s.weightDecay),
      u('learningRate', s.learningRate),
    ],
    shape,
  );
  const e1 = runElementwise(
    backend,
    'ema',
    { E: e, P: p1 },
    'E[i] * uniforms.decay + P[i] * uniforms.oneMinusDecay',
    [u('decay', s.emaDecay), u('oneMinusDecay', 1 - s.emaDecay)],
    shape,
  );
  return [p1, m1, v1, e1];
}

for (const [backendName, kernelFunc] of [
  ['cpu', cpuKernel],
  ['wasm', wasmKernel],
  ['webgpu', webgpuKernel],
] as const) {
  tf.registerKernel({ kernelName: ADAMW_KERNEL, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/** The new weight, moments and EMA of one AdamW update. */
export interface AdamWResult {
  p: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  ema: tf.Tensor;
}

/**
 * One AdamW update of a weight and its EMA, in one kernel: `g ← s·g`, `m ← β1·m + (1 − β1)·g`,
 * `v ← β2·v + (1 − β2)·g²`, `p ← p − lr·(m/c1 / (√(v/c2) + ε) + λ·p)`, `ema ← d·ema + (1 − d)·p`.
 * @param p - the weight.
 * @param g - its gradient, before clipping.
 * @param m - its first moment.
 * @param v - its second moment.
 * @param ema - its moving average.
 * @param step - this update's numbers.
 * @returns new tensors (the caller owns them).
 */
export function adamwUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, ema: tf.Tensor, step: AdamWStep): AdamWResult {
  const [p1, m1, v1, e1] = tf.engine().runKernel(ADAMW_KERNEL, { p, g, m, v, e: ema }, step as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { p: p1!, m: m1!, v: v1!, ema: e1! };
}
