import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, type ModulatedDims, modulatedDims, runInvocations, type TypedUniform } from './elementwise.js';
import { simdAdaLayerNorm, simdAdaLayerNormGrad } from './simd-wasm.js';

/*
 * adaLN: a layer norm without affine over the last axis, modulated per clip,
 *   y = x̂·(1 + scale[b]) + shift[b],  x̂ = (x − μ)·r,  r = 1/√(σ² + ε),
 * for x `[batch, tokens, width]` (or its rows, `[batch·tokens, width]`) and shift, scale
 * `[batch, width]`, in one kernel each way. The
 * composed version (moments, rsqrt, the modulation's broadcasts) was some thirty kernels a call
 * with its gradient, and its means' gradients uploaded a tensor of ones every step.
 *
 * Backward, with g = dy·(1 + scale): dx = r·(g − mean(g) − x̂·mean(g·x̂)), dshift = Σ_tokens dy,
 * dscale = Σ_tokens dy·x̂. cpu: JS loops in float64 over the backend's buffers; wasm: float32 in
 * f32x4 in our SIMD module (assembly/ada-layer-norm.ts; the JS loops took 13 of a small step's
 * 150 ms). webgpu:
 * forward one program per row; backward the row statistics, then dx per row and dshift, dscale
 * per (clip, channel).
 */

export const ADA_LAYER_NORM_KERNEL = 'FlowditAdaLayerNorm';
export const ADA_LAYER_NORM_GRAD_KERNEL = 'FlowditAdaLayerNormGrad';

/** μ and r = 1/√(σ² + ε) of every row of x. */
function rowStats(x: Float32Array, d: ModulatedDims, epsilon: number): Float64Array {
  const rows = d.batch * d.tokens;
  const stats = new Float64Array(2 * rows);
  for (let row = 0; row < rows; row++) {
    const at = row * d.width;
    let sum = 0;
    for (let c = 0; c < d.width; c++) sum += x[at + c]!;
    const mean = sum / d.width;
    let squares = 0;
    for (let c = 0; c < d.width; c++) squares += (x[at + c]! - mean) ** 2;
    stats[2 * row] = mean;
    stats[2 * row + 1] = 1 / Math.sqrt(squares / d.width + epsilon);
  }
  return stats;
}

function forwardValues(x: Float32Array, shift: Float32Array, scale: Float32Array, y: Float32Array, d: ModulatedDims, epsilon: number): void {
  const stats = rowStats(x, d, epsilon);
  for (let row = 0; row < d.batch * d.tokens; row++) {
    const at = row * d.width;
    const clip = Math.floor(row / d.tokens) * d.width;
    const mean = stats[2 * row]!;
    const r = stats[2 * row + 1]!;
    for (let c = 0; c < d.width; c++) y[at + c] = (x[at + c]! - mean) * r * (1 + scale[clip + c]!) + shift[clip + c]!;
  }
}

function backwardValues(
  x: Float32Array,
  scale: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  dShift: Float32Array,
  dScale: Float32Array,
  d: ModulatedDims,
  epsilon: number,
): void {
  const stats = rowStats(x, d, epsilon);
  const sumShift = new Float64Array(d.batch * d.width);
  const sumScale = new Float64Array(d.batch * d.width);
  for (let row = 0; row < d.batch * d.tokens; row++) {
    const at = row * d.width;
    const clip = Math.floor(row / d.tokens) * d.width;
    const mean = stats[2 * row]!;
    const r = stats[2 * row + 1]!;
    let meanG = 0;
    let meanGX = 0;
    for (let c = 0; c < d.width; c++) {
      const normalized = (x[at + c]! - mean) * r;
      const g = dy[at + c]! * (1 + scale[clip + c]!);
      meanG += g;
      meanGX += g * normalized;
      sumShift[clip + c]! += dy[at + c]!;
      sumScale[clip + c]! += dy[at + c]! * normalized;
    }
    meanG /= d.width;
    meanGX /= d.width;
    for (let c = 0; c < d.width; c++) {
      const normalized = (x[at + c]! - mean) * r;
      const g = dy[at + c]! * (1 + scale[clip + c]!);
      dx[at + c] = r * (g - meanG - normalized * meanGX);
    }
  }
  dShift.set(sumShift);
  dScale.set(sumScale);
}

type Attrs = { epsilon: number };
type CpuBackend = { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };

function cpuForward({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, shift, scale } = inputs as Record<'x' | 'shift' | 'scale', tf.TensorInfo>;
  const y = new Float32Array(cpuValues(backend, x).length);
  forwardValues(cpuValues(backend, x), cpuValues(backend, shift), cpuValues(backend, scale), y, modulatedDims(x, shift), (attrs as Attrs).epsilon);
  return (backend as CpuBackend).makeTensorInfo(x.shape, 'float32', y);
}

function cpuBackward({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { x, scale, dy } = inputs as Record<'x' | 'scale' | 'dy', tf.TensorInfo>;
  const xs = cpuValues(backend, x);
  const dx = new Float32Array(xs.length);
  const dShift = new Float32Array(scale.shape.reduce((a, b) => a * b, 1));
  const dScale = new Float32Array(dShift.length);
  backwardValues(xs, cpuValues(backend, scale), cpuValues(backend, dy), dx, dShift, dScale, modulatedDims(x, scale), (attrs as Attrs).epsilon);
  const make = (shape: number[], values: Float32Array) => (backend as CpuBackend).makeTensorInfo(shape, 'float32', values);
  return [make(x.shape, dx), make(scale.shape, dShift), make(scale.shape, dScale)];
}

function wasmForward({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, shift, scale } = inputs as Record<'x' | 'shift' | 'scale', tf.TensorInfo>;
  return simdAdaLayerNorm(backend, x, shift, scale, modulatedDims(x, shift), (attrs as Attrs).epsilon);
}

function wasmBackward({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { x, scale, dy } = inputs as Record<'x' | 'scale' | 'dy', tf.TensorInfo>;
  return simdAdaLayerNormGrad(backend, x, scale, dy, modulatedDims(x, scale), (attrs as Attrs).epsilon);
}

/** The uniforms of every program: the shape and ε. */
function layerNormUniforms(d: ModulatedDims, epsilon: number): TypedUniform[] {
  return [
    { name: 'tokens', type: 'i32', value: d.tokens },
    { name: 'width', type: 'i32', value: d.width },
    { name: 'epsilon', type: 'f32', value: epsilon },
  ];
}

/** WGSL: μ and r of the row `index` of X. */
const ROW_STATS = `
  let at = index * uniforms.width;
  var sum = 0.0;
  for (var c = 0; c < uniforms.width; c++) { sum = sum + X[at + c]; }
  let mean = sum / f32(uniforms.width);
  var squares = 0.0;
  for (var c = 0; c < uniforms.width; c++) { let centred = X[at + c] - mean; squares = squares + centred * centred; }
  let r = inverseSqrt(squares / f32(uniforms.width) + uniforms.epsilon);
  let clip = (index / uniforms.tokens) * uniforms.width;
`;

function webgpuForward({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { x, shift, scale } = inputs as Record<'x' | 'shift' | 'scale', tf.TensorInfo>;
  const d = modulatedDims(x, shift);
  const y = runInvocations(
    backend,
    'ada_layer_norm_forward',
    { X: x, Shift: shift, Scale: scale },
    d.batch * d.tokens,
    d.batch * d.tokens * d.width,
    `${ROW_STATS}
      for (var c = 0; c < uniforms.width; c++) {
        result[at + c] = (X[at + c] - mean) * r * (1.0 + Scale[clip + c]) + Shift[clip + c];
      }`,
    layerNormUniforms(d, (attrs as Attrs).epsilon),
  );
  return { ...y, shape: x.shape };
}

function webgpuBackward({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { x, scale, dy } = inputs as Record<'x' | 'scale' | 'dy', tf.TensorInfo>;
  const d = modulatedDims(x, scale);
  const { epsilon } = attrs as Attrs;
  const rows = d.batch * d.tokens;
  const uniforms = layerNormUniforms(d, epsilon);
  const stats = runInvocations(backend, 'ada_layer_norm_stats', { X: x }, rows, 2 * rows, `${ROW_STATS} result[2 * index] = mean; result[2 * index + 1] = r;`, uniforms);
  const dx = runInvocations(
    backend,
    'ada_layer_norm_dx',
    { X: x, Scale: scale, DY: dy, Stats: stats },
    rows,
    rows * d.width,
    `
      let at = index * uniforms.width;
      let clip = (index / uniforms.tokens) * uniforms.width;
      let mean = Stats[2 * index];
      let r = Stats[2 * index + 1];
      var meanG = 0.0;
      var meanGX = 0.0;
      for (var c = 0; c < uniforms.width; c++) {
        let g = DY[at + c] * (1.0 + Scale[clip + c]);
        meanG = meanG + g;
        meanGX = meanGX + g * (X[at + c] - mean) * r;
      }
      meanG = meanG / f32(uniforms.width);
      meanGX = meanGX / f32(uniforms.width);
      for (var c = 0; c < uniforms.width; c++) {
        let g = DY[at + c] * (1.0 + Scale[clip + c]);
        result[at + c] = r * (g - meanG - (X[at + c] - mean) * r * meanGX);
      }`,
    uniforms,
  );
  /** Σ over the clip's tokens of dy·(term), per (clip, channel); WebGPU drops bindings a shader leaves unread, so each names its own. */
  const perChannel = (key: string, term: string, used: Record<string, tf.TensorInfo>) =>
    runInvocations(
      backend,
      `ada_layer_norm_${key}`,
      used,
      d.batch * d.width,
      d.batch * d.width,
      `
        let b = index / uniforms.width;
        let c = index % uniforms.width;
        var sum = 0.0;
        for (var s = 0; s < uniforms.tokens; s++) {
          let row = b * uniforms.tokens + s;
          let at = row * uniforms.width + c;
          sum = sum + DY[at] * ${term};
        }
        result[index] = sum;`,
      uniforms,
    );
  const dShift = perChannel('dshift', '1.0', { DY: dy });
  const dScale = perChannel('dscale', '(X[at] - Stats[2 * row]) * Stats[2 * row + 1]', { X: x, DY: dy, Stats: stats });
  (backend as WebGPUBackend).disposeData(stats.dataId);
  return [
    { ...dx, shape: x.shape },
    { ...dShift, shape: scale.shape },
    { ...dScale, shape: scale.shape },
  ];
}

for (const [backendName, forward, backward] of [
  ['cpu', cpuForward, cpuBackward],
  ['wasm', wasmForward, wasmBackward],
  ['webgpu', webgpuForward, webgpuBackward],
] as const) {
  tf.registerKernel({ kernelName: ADA_LAYER_NORM_KERNEL, backendName, kernelFunc: forward as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: ADA_LAYER_NORM_GRAD_KERNEL, backendName, kernelFunc: backward as unknown as tf.KernelFunc });
}

/**
 * Whether the fused adaLN runs on the current backend.
 * @returns true on cpu, wasm and webgpu.
 */
export function fusedAdaLayerNormAvailable(): boolean {
  return tf.getKernel(ADA_LAYER_NORM_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * `layerNorm(x)·(1 + scale) + shift` over the last axis, the modulation per clip, one kernel each way.
 * @param x - the rows of the clips in order, `[batch, tokens, width]` or `[batch·tokens, width]`.
 * @param shift - `[batch, width]`.
 * @param scale - `[batch, width]`.
 * @param epsilon - added to the variance.
 * @returns x's shape.
 */
export function fusedAdaLayerNorm<T extends tf.Tensor2D | tf.Tensor3D>(x: T, shift: tf.Tensor2D, scale: tf.Tensor2D, epsilon: number): T {
  const normalize = tf.customGrad((xIn, shiftIn, scaleIn, save) => {
    (save as tf.GradSaveFunc)([xIn as tf.Tensor, scaleIn as tf.Tensor]);
    return {
      value: tf.engine().runKernel(ADA_LAYER_NORM_KERNEL, { x: xIn as tf.Tensor, shift: shiftIn as tf.Tensor, scale: scaleIn as tf.Tensor }, { epsilon }) as tf.Tensor,
      gradFunc: (dy, saved) => {
        const [sx, sScale] = saved as [tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(ADA_LAYER_NORM_GRAD_KERNEL, { x: sx, scale: sScale, dy: dy as tf.Tensor }, { epsilon }) as tf.Tensor[];
      },
    };
  });
  return normalize(x, shift, scale) as T;
}
