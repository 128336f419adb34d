import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, runInvocations } from './elementwise.js';
import { simdAttention, simdAttentionGrad } from './simd-wasm.js';

/*
 * Self-attention softmax(q·kᵀ·scale)·v of every head in one kernel each way, on q, k and v as the
 * model makes them, `[batch, tokens, heads, headDim]`: no head transposes, no score tensor.
 *
 * Forward, per query row: an online softmax over the keys (running maximum, sum and weighted sum
 * of values, rescaled as the maximum grows), as flash attention does. Backward, from the row
 * statistics L = max + log Σ exp (recomputed from q and k) and D = dO·O: P = exp(s − L),
 * dV = Σ P·dO, dS = P·(dO·V − D), dQ = scale·Σ dS·K, dK = scale·Σ dS·Q.
 *
 * webgpu: one program per query or key row; forward one dispatch, backward four (statistics, dQ,
 * dK, dV), each within the smallest storage-buffer limit WebGPU allows. cpu: the same loops in JS,
 * accumulating in float64. wasm: a SIMD module of our own (assembly/attention.ts, driven by
 * simd-wasm.ts): each (batch, head) block's scores kept whole rather than online, its products
 * the register-blocked ones of assembly/matmul.ts. A JS loop there was slower than the composed
 * ops (wasm's batched product is a scalar kernel); the module is several times faster than them.
 */

/** The tfjs kernels' names. */
export const ATTENTION_KERNEL = 'FlowditAttention';
export const ATTENTION_GRAD_KERNEL = 'FlowditAttentionGrad';

interface Dims {
  batch: number;
  tokens: number;
  heads: number;
  headDim: number;
}

function dimsOf(q: tf.TensorInfo): Dims {
  const [batch, tokens, heads, headDim] = q.shape as [number, number, number, number];
  return { batch, tokens, heads, headDim };
}

/** Offset of row (b, i, h) of a `[batch, tokens, heads, headDim]` tensor. */
function rowOffset(d: Dims, b: number, i: number, h: number): number {
  return ((b * d.tokens + i) * d.heads + h) * d.headDim;
}

function dot(a: Float32Array, aAt: number, b: Float32Array, bAt: number, length: number): number {
  let sum = 0;
  for (let c = 0; c < length; c++) sum += a[aAt + c]! * b[bAt + c]!;
  return sum;
}

/** L (log-sum-exp of the scaled scores) of every query row, in row order (b, i, h). */
function logSumExps(q: Float32Array, k: Float32Array, d: Dims, scale: number): Float64Array {
  const out = new Float64Array(d.batch * d.tokens * d.heads);
  const scores = new Float64Array(d.tokens);
  for (let b = 0; b < d.batch; b++) {
    for (let i = 0; i < d.tokens; i++) {
      for (let h = 0; h < d.heads; h++) {
        const qAt = rowOffset(d, b, i, h);
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < d.tokens; j++) {
          scores[j] = scale * dot(q, qAt, k, rowOffset(d, b, j, h), d.headDim);
          if (scores[j]! > max) max = scores[j]!;
        }
        let sum = 0;
        for (let j = 0; j < d.tokens; j++) sum += Math.exp(scores[j]! - max);
        out[qAt / d.headDim] = max + Math.log(sum);
      }
    }
  }
  return out;
}

function cpuForward(q: Float32Array, k: Float32Array, v: Float32Array, d: Dims, scale: number): Float32Array {
  const out = new Float32Array(q.length);
  const lse = logSumExps(q, k, d, scale);
  const acc = new Float64Array(d.headDim);
  for (let b = 0; b < d.batch; b++) {
    for (let i = 0; i < d.tokens; i++) {
      for (let h = 0; h < d.heads; h++) {
        const qAt = rowOffset(d, b, i, h);
        const l = lse[qAt / d.headDim]!;
        acc.fill(0);
        for (let j = 0; j < d.tokens; j++) {
          const kAt = rowOffset(d, b, j, h);
          const p = Math.exp(scale * dot(q, qAt, k, kAt, d.headDim) - l);
          for (let c = 0; c < d.headDim; c++) acc[c]! += p * v[kAt + c]!;
        }
        for (let c = 0; c < d.headDim; c++) out[qAt + c] = acc[c]!;
      }
    }
  }
  return out;
}

function cpuBackward(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  o: Float32Array,
  dO: Float32Array,
  d: Dims,
  scale: number,
): [Float32Array, Float32Array, Float32Array] {
  const dQ = new Float32Array(q.length);
  const dK = new Float64Array(q.length);
  const dV = new Float64Array(q.length);
  const lse = logSumExps(q, k, d, scale);
  const acc = new Float64Array(d.headDim);
  for (let b = 0; b < d.batch; b++) {
    for (let i = 0; i < d.tokens; i++) {
      for (let h = 0; h < d.heads; h++) {
        const qAt = rowOffset(d, b, i, h);
        const l = lse[qAt / d.headDim]!;
        const delta = dot(dO, qAt, o, qAt, d.headDim);
        acc.fill(0);
        for (let j = 0; j < d.tokens; j++) {
          const kAt = rowOffset(d, b, j, h);
          const p = Math.exp(scale * dot(q, qAt, k, kAt, d.headDim) - l);
          const dS = p * (dot(dO, qAt, v, kAt, d.headDim) - delta);
          for (let c = 0; c < d.headDim; c++) {
            acc[c]! += dS * k[kAt + c]!;
            dK[kAt + c]! += scale * dS * q[qAt + c]!;
            dV[kAt + c]! += p * dO[qAt + c]!;
          }
        }
        for (let c = 0; c < d.headDim; c++) dQ[qAt + c] = scale * acc[c]!;
      }
    }
  }
  return [dQ, Float32Array.from(dK), Float32Array.from(dV)];
}

type CpuBackend = { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };

function cpuForwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { q, k, v } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo>;
  const out = cpuForward(cpuValues(backend, q), cpuValues(backend, k), cpuValues(backend, v), dimsOf(q), (attrs as { scale: number }).scale);
  return (backend as CpuBackend).makeTensorInfo(q.shape, 'float32', out);
}

function cpuBackwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { q, k, v, o, dO } = inputs as Record<'q' | 'k' | 'v' | 'o' | 'dO', tf.TensorInfo>;
  const values = [q, k, v, o, dO].map((tensor) => cpuValues(backend, tensor)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const grads = cpuBackward(...values, dimsOf(q), (attrs as { scale: number }).scale);
  return grads.map((grad) => (backend as CpuBackend).makeTensorInfo(q.shape, 'float32', grad));
}

/** WGSL shared by the programs: the row's coordinates and the offset of another row of its head. */
const ROW_HELPERS = `
  fn headOf(r : i32) -> i32 { return r % uniforms.heads; }
  fn batchOf(r : i32) -> i32 { return r / (uniforms.tokens * uniforms.heads); }
  fn rowAt(b : i32, j : i32, h : i32) -> i32 { return ((b * uniforms.tokens + j) * uniforms.heads + h) * DH; }
`;

/** L = max + log Σ exp of the scaled scores of query row r, by an online pass over the keys. */
const LOG_SUM_EXP = `
  fn logSumExp(r : i32) -> f32 {
    let b = batchOf(r);
    let h = headOf(r);
    var m = -3.402823e38;
    var l = 0.0;
    for (var j = 0; j < uniforms.tokens; j++) {
      let kAt = rowAt(b, j, h);
      var s = 0.0;
      for (var c = 0; c < DH; c++) { s = s + Q[r * DH + c] * K[kAt + c]; }
      s = s * uniforms.scale;
      let mNew = max(m, s);
      l = l * exp(m - mNew) + exp(s - mNew);
      m = mNew;
    }
    return m + log(l);
  }
`;

function runRows(backend: unknown, key: string, d: Dims, inputs: tf.TensorInfo[], names: string[], body: string, outputSize: number, scale: number): tf.TensorInfo {
  const prelude = `
    const DH = ${d.headDim};
    ${ROW_HELPERS}
    ${names.includes('K') && names.includes('Q') ? LOG_SUM_EXP : ''}
  `;
  return runInvocations(
    backend,
    `attention_${key}_${d.headDim}`,
    Object.fromEntries(names.map((name, i) => [name, inputs[i]!])),
    d.batch * d.tokens * d.heads,
    outputSize,
    `let r = index;\n${body}`,
    [
      { name: 'tokens', type: 'i32', value: d.tokens },
      { name: 'heads', type: 'i32', value: d.heads },
      { name: 'scale', type: 'f32', value: scale },
    ],
    prelude,
  );
}

function webgpuForwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { q, k, v } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo>;
  const d = dimsOf(q);
  const out = runRows(
    backend,
    'forward',
    d,
    [q, k, v],
    ['Q', 'K', 'V'],
    `
      let b = batchOf(r);
      let h = headOf(r);
      var acc : array<f32, DH>;
      var m = -3.402823e38;
      var l = 0.0;
      for (var j = 0; j < uniforms.tokens; j++) {
        let kAt = rowAt(b, j, h);
        var s = 0.0;
        for (var c = 0; c < DH; c++) { s = s + Q[r * DH + c] * K[kAt + c]; }
        s = s * uniforms.scale;
        let mNew = max(m, s);
        let correction = exp(m - mNew);
        let p = exp(s - mNew);
        l = l * correction + p;
        for (var c = 0; c < DH; c++) { acc[c] = acc[c] * correction + p * V[kAt + c]; }
        m = mNew;
      }
      for (var c = 0; c < DH; c++) { result[r * DH + c] = acc[c] / l; }
    `,
    q.shape.reduce((a, b) => a * b, 1),
    (attrs as { scale: number }).scale,
  );
  return { ...out, shape: q.shape };
}

function webgpuBackwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { q, k, v, o, dO } = inputs as Record<'q' | 'k' | 'v' | 'o' | 'dO', tf.TensorInfo>;
  const d = dimsOf(q);
  const { scale } = attrs as { scale: number };
  const size = q.shape.reduce((a, b) => a * b, 1);
  const rows = size / d.headDim;
  // per query row: L, and D = dO·O
  const stats = runRows(
    backend,
    'stats',
    d,
    [q, k, o, dO],
    ['Q', 'K', 'O', 'DO'],
    `
      var delta = 0.0;
      for (var c = 0; c < DH; c++) { delta = delta + DO[r * DH + c] * O[r * DH + c]; }
      result[2 * r] = logSumExp(r);
      result[2 * r + 1] = delta;
    `,
    2 * rows,
    scale,
  );
  /** Σ over the other side's rows of `weight`·`other`, the row's own values read from `own` arrays. */
  const accumulate = (key: string, names: string[], weight: string, other: string, factor: string) =>
    runRows(
      backend,
      key,
      d,
      names.map((name) => ({ Q: q, K: k, V: v, DO: dO, S: stats })[name]!),
      names,
      `
        let b = batchOf(r);
        let h = headOf(r);
        var acc : array<f32, DH>;
        for (var j = 0; j < uniforms.tokens; j++) {
          let at = rowAt(b, j, h);
          let statsAt = 2 * (at / DH);
          ${weight}
          for (var c = 0; c < DH; c++) { acc[c] = acc[c] + w * ${other}[at + c]; }
        }
        for (var c = 0; c < DH; c++) { result[r * DH + c] = ${factor} * acc[c]; }
      `,
      size,
      scale,
    );
  // the row r is a query: j runs over keys; the row r is a key: j runs over queries
  const score = (query: string, key: string) => `
    var s = 0.0;
    for (var c = 0; c < DH; c++) { s = s + Q[${query} + c] * K[${key} + c]; }
  `;
  const valueDot = (query: string, key: string) => `
    var dp = 0.0;
    for (var c = 0; c < DH; c++) { dp = dp + DO[${query} + c] * V[${key} + c]; }
  `;
  const dQ = accumulate(
    'dq',
    ['Q', 'K', 'V', 'DO', 'S'],
    `${score('r * DH', 'at')}${valueDot('r * DH', 'at')}
     let p = exp(uniforms.scale * s - S[2 * r]);
     let w = p * (dp - S[2 * r + 1]);`,
    'K',
    'uniforms.scale',
  );
  const dK = accumulate(
    'dk',
    ['Q', 'K', 'V', 'DO', 'S'],
    `${score('at', 'r * DH')}${valueDot('at', 'r * DH')}
     let p = exp(uniforms.scale * s - S[statsAt]);
     let w = p * (dp - S[statsAt + 1]);`,
    'Q',
    'uniforms.scale',
  );
  const dV = accumulate(
    'dv',
    ['Q', 'K', 'DO', 'S'],
    `${score('at', 'r * DH')}
     let w = exp(uniforms.scale * s - S[statsAt]);`,
    'DO',
    '1.0',
  );
  (backend as WebGPUBackend).disposeData(stats.dataId);
  return [dQ, dK, dV].map((grad) => ({ ...grad, shape: q.shape }));
}

tf.registerKernel({ kernelName: ATTENTION_KERNEL, backendName: 'cpu', kernelFunc: cpuForwardKernel as unknown as tf.KernelFunc });
tf.registerKernel({ kernelName: ATTENTION_GRAD_KERNEL, backendName: 'cpu', kernelFunc: cpuBackwardKernel as unknown as tf.KernelFunc });
function wasmForwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { q, k, v } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo>;
  return simdAttention(backend, q, k, v, (attrs as { scale: number }).scale);
}

function wasmBackwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { q, k, v, o, dO } = inputs as Record<'q' | 'k' | 'v' | 'o' | 'dO', tf.TensorInfo>;
  return simdAttentionGrad(backend, [q, k, v, o, dO], (attrs as { scale: number }).scale);
}

tf.registerKernel({ kernelName: ATTENTION_KERNEL, backendName: 'wasm', kernelFunc: wasmForwardKernel as unknown as tf.KernelFunc });
tf.registerKernel({ kernelName: ATTENTION_GRAD_KERNEL, backendName: 'wasm', kernelFunc: wasmBackwardKernel as unknown as tf.KernelFunc });
tf.registerKernel({ kernelName: ATTENTION_KERNEL, backendName: 'webgpu', kernelFunc: webgpuForwardKernel as unknown as tf.KernelFunc });
tf.registerKernel({ kernelName: ATTENTION_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: webgpuBackwardKernel as unknown as tf.KernelFunc });

/**
 * Whether the fused attention runs on the current backend.
 * @returns true on cpu, wasm and webgpu.
 */
export function fusedAttentionAvailable(): boolean {
  return tf.getKernel(ATTENTION_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * softmax(q·kᵀ·scale)·v over the tokens of every head, one kernel forward and one backward.
 * @param q - `[batch, tokens, heads, headDim]`.
 * @param k - the same shape.
 * @param v - the same shape.
 * @param scale - the scores' factor, usually 1/√headDim.
 * @returns `[batch, tokens, heads, headDim]`.
 */
export function fusedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, scale: number): tf.Tensor4D {
  const attend = tf.customGrad((qIn, kIn, vIn, save) => {
    const o = tf.engine().runKernel(ATTENTION_KERNEL, { q: qIn as tf.Tensor, k: kIn as tf.Tensor, v: vIn as tf.Tensor }, { scale }) as tf.Tensor;
    (save as tf.GradSaveFunc)([qIn as tf.Tensor, kIn as tf.Tensor, vIn as tf.Tensor, o]);
    return {
      value: o,
      gradFunc: (dy, saved) => {
        const [sq, sk, sv, so] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(ATTENTION_GRAD_KERNEL, { q: sq, k: sk, v: sv, o: so, dO: dy as tf.Tensor }, { scale }) as tf.Tensor[];
      },
    };
  });
  return attend(q, k, v) as tf.Tensor4D;
}
