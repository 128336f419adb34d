import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, type ModulatedDims, modulatedDims, runInvocations, type TypedUniform } from './elementwise.js';
import { simdGatedResidual, simdGatedResidualGrad } from './simd-wasm.js';

/*
 * adaLN-Zero's gated residual, y = x + gate[b]·f, for x and f `[batch, tokens, width]` (or their
 * rows) and the gate `[batch, width]` broadcast over the tokens, in one kernel each way: dx = dy,
 * df = dy·gate, dgate = Σ_tokens dy·f. cpu: JS loops (float64 sums); wasm: float32 in f32x4 in our
 * SIMD module (assembly/gated-residual.ts); webgpu: one program forward, two backward (df per
 * element, dgate per clip and channel).
 */

export const GATED_RESIDUAL_KERNEL = 'FlowditGatedResidual';
export const GATED_RESIDUAL_GRAD_KERNEL = 'FlowditGatedResidualGrad';

function forwardValues(x: Float32Array, gate: Float32Array, f: Float32Array, y: Float32Array, d: ModulatedDims): void {
  for (let row = 0; row < d.batch * d.tokens; row++) {
    const at = row * d.width;
    const clip = Math.floor(row / d.tokens) * d.width;
    for (let c = 0; c < d.width; c++) y[at + c] = x[at + c]! + gate[clip + c]! * f[at + c]!;
  }
}

function backwardValues(gate: Float32Array, f: Float32Array, dy: Float32Array, dGate: Float32Array, dF: Float32Array, d: ModulatedDims): void {
  const sums = new Float64Array(d.batch * d.width);
  for (let row = 0; row < d.batch * d.tokens; row++) {
    const at = row * d.width;
    const clip = Math.floor(row / d.tokens) * d.width;
    for (let c = 0; c < d.width; c++) {
      dF[at + c] = dy[at + c]! * gate[clip + c]!;
      sums[clip + c]! += dy[at + c]! * f[at + c]!;
    }
  }
  dGate.set(sums);
}

type CpuBackend = { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
type Named = Record<'x' | 'gate' | 'f' | 'dy', tf.TensorInfo>;

function cpuForward({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, gate, f } = inputs as Named;
  const y = new Float32Array(cpuValues(backend, x).length);
  forwardValues(cpuValues(backend, x), cpuValues(backend, gate), cpuValues(backend, f), y, modulatedDims(x, gate));
  return (backend as CpuBackend).makeTensorInfo(x.shape, 'float32', y);
}

function cpuBackward({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { gate, f, dy } = inputs as Named;
  const dF = new Float32Array(cpuValues(backend, f).length);
  const dGate = new Float32Array(cpuValues(backend, gate).length);
  backwardValues(cpuValues(backend, gate), cpuValues(backend, f), cpuValues(backend, dy), dGate, dF, modulatedDims(f, gate));
  const make = (shape: number[], values: Float32Array) => (backend as CpuBackend).makeTensorInfo(shape, 'float32', values);
  return [make(gate.shape, dGate), make(f.shape, dF)];
}

function wasmForward({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, gate, f } = inputs as Named;
  return simdGatedResidual(backend, x, gate, f, modulatedDims(x, gate));
}

function wasmBackward({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { gate, f, dy } = inputs as Named;
  return simdGatedResidualGrad(backend, gate, f, dy, modulatedDims(f, gate));
}

/** The uniforms of every program: the tensors' shape. */
function shapeUniforms(d: ModulatedDims): TypedUniform[] {
  return [
    { name: 'tokens', type: 'i32', value: d.tokens },
    { name: 'width', type: 'i32', value: d.width },
  ];
}

/** WGSL: the gate's offset for the element `index` of a `[batch, tokens, width]` tensor. */
const GATE_AT = 'let gateAt = (index / (uniforms.tokens * uniforms.width)) * uniforms.width + index % uniforms.width;';

function webgpuForward({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, gate, f } = inputs as Named;
  const d = modulatedDims(x, gate);
  const size = d.batch * d.tokens * d.width;
  const y = runInvocations(backend, 'gated_residual_forward', { X: x, Gate: gate, F: f }, size, size, `${GATE_AT} result[index] = X[index] + Gate[gateAt] * F[index];`, shapeUniforms(d));
  return { ...y, shape: x.shape };
}

function webgpuBackward({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { gate, f, dy } = inputs as Named;
  const d = modulatedDims(f, gate);
  const size = d.batch * d.tokens * d.width;
  const dF = runInvocations(backend, 'gated_residual_df', { DY: dy, Gate: gate }, size, size, `${GATE_AT} result[index] = DY[index] * Gate[gateAt];`, shapeUniforms(d));
  const dGate = runInvocations(
    backend,
    'gated_residual_dgate',
    { DY: dy, F: f },
    d.batch * d.width,
    d.batch * d.width,
    `
      let b = index / uniforms.width;
      let c = index % uniforms.width;
      var sum = 0.0;
      for (var s = 0; s < uniforms.tokens; s++) {
        let at = (b * uniforms.tokens + s) * uniforms.width + c;
        sum = sum + DY[at] * F[at];
      }
      result[index] = sum;`,
    shapeUniforms(d),
  );
  return [
    { ...dGate, shape: gate.shape },
    { ...dF, shape: f.shape },
  ];
}

for (const [backendName, forward, backward] of [
  ['cpu', cpuForward, cpuBackward],
  ['wasm', wasmForward, wasmBackward],
  ['webgpu', webgpuForward, webgpuBackward],
] as const) {
  tf.registerKernel({ kernelName: GATED_RESIDUAL_KERNEL, backendName, kernelFunc: forward as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: GATED_RESIDUAL_GRAD_KERNEL, backendName, kernelFunc: backward as unknown as tf.KernelFunc });
}

/**
 * Whether the fused gated residual runs on the current backend.
 * @returns true on cpu, wasm and webgpu.
 */
export function fusedGatedResidualAvailable(): boolean {
  return tf.getKernel(GATED_RESIDUAL_KERNEL, tf.getBackend()) !== undefined;
}

const fused = tf.customGrad((x, gate, f, save) => {
  (save as tf.GradSaveFunc)([gate as tf.Tensor, f as tf.Tensor]);
  return {
    value: tf.engine().runKernel(GATED_RESIDUAL_KERNEL, { x: x as tf.Tensor, gate: gate as tf.Tensor, f: f as tf.Tensor }) as tf.Tensor,
    gradFunc: (dy, saved) => {
      const [sGate, sF] = saved as [tf.Tensor, tf.Tensor];
      const [dGate, dF] = tf.engine().runKernel(GATED_RESIDUAL_GRAD_KERNEL, { gate: sGate, f: sF, dy: dy as tf.Tensor }) as [tf.Tensor, tf.Tensor];
      return [dy as tf.Tensor, dGate, dF];
    },
  };
});

/**
 * `x + gate·f` with the `[batch, width]` gate broadcast over the tokens, one kernel each way.
 * @param x - the residual stream, the rows of the clips in order: `[batch, tokens, width]` or
 *   `[batch·tokens, width]`.
 * @param gate - `[batch, width]`.
 * @param f - the branch's output, x's shape.
 * @returns x's shape.
 */
export function fusedGatedResidual<T extends tf.Tensor2D | tf.Tensor3D>(x: T, gate: tf.Tensor2D, f: T): T {
  return fused(x, gate, f) as T;
}
