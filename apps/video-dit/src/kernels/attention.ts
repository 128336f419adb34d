import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, runFlatProgram, runInvocations, type TypedUniform } from './elementwise.js';
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
 * webgpu: forward one dispatch, backward four (statistics, dQ, dK, dV), each within the smallest
 * storage-buffer limit WebGPU allows; from 256 tokens on, tiled through workgroup memory. cpu: the same loops in JS,
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

/*
 * webgpu. Each program runs one row of one side (a query row, or a key row in dK and dV) through
 * every row of the other side of its (batch, head), in order: the same arithmetic either way it is
 * laid out. Below TILED_FROM tokens, one invocation a row reads the other side's rows from the
 * tensors. From TILED_FROM tokens on (`base`'s 1,024), as flash attention does, a workgroup takes
 * 64 rows of one (batch, head) and walks the other side in tiles that its invocations load into
 * workgroup memory together, so each row of the other side is read from the tensor once a
 * workgroup instead of once a row. On lavapipe, whose "GPU" reads through the CPU's caches, the
 * two took the same time at `base`'s shape, and tiling was 1.5× slower at `small`'s 64 tokens
 * (its barriers cost there): hence the threshold. No GPU was at hand to measure either.
 */

/** Token counts from which the programs tile the other side through workgroup memory. */
const TILED_FROM = 256;
/** Rows of one side a tiled workgroup takes. */
const TILED_ROWS = 64;
/** Workgroup memory WebGPU guarantees (maxComputeWorkgroupStorageSize). */
const WORKGROUP_BYTES = 16384;

/**
 * One program: for row r of its side (`b`, `h` its batch and head), `init`, then `step` for every
 * row of the other side in order, then `finish`. In `step`, `other(X, c)` is column c of array X's
 * row on the other side, and `otherS(k)` that row's statistic k (L, then D).
 */
interface RowPass {
  key: string;
  /** The arrays read, by the names the WGSL uses; the other side's are tiled. */
  inputs: Record<string, tf.TensorInfo>;
  other: string[];
  /** Whether `step` reads the other side's statistics S. */
  otherStats: boolean;
  init: string;
  step: string;
  finish: string;
  outputSize: number;
}

const ROW_HELPERS = `
  fn rowAt(b : i32, j : i32, h : i32) -> i32 { return ((b * uniforms.tokens + j) * uniforms.heads + h) * DH; }
`;

/** `step` with the other side's reads as `read(array, column)` and `readStats(k)` write them. */
function otherReads(step: string, read: (array: string, column: string) => string, readStats: (k: string) => string): string {
  return step.replace(/other\((\w+), ([^)]+)\)/g, (_, array: string, column: string) => read(array, column)).replace(/otherS\((\d)\)/g, (_, k: string) => readStats(k));
}

function uniformsOf(d: Dims, scale: number): TypedUniform[] {
  return [
    { name: 'tokens', type: 'i32', value: d.tokens },
    { name: 'heads', type: 'i32', value: d.heads },
    { name: 'scale', type: 'f32', value: scale },
  ];
}

/** One invocation a row, the other side read from the tensors. */
function runByRow(backend: unknown, d: Dims, pass: RowPass, scale: number): tf.TensorInfo {
  const step = otherReads(
    pass.step,
    (array, column) => `${array}[at + ${column}]`,
    (k) => `S[statsAt + ${k}]`,
  );
  return runInvocations(
    backend,
    `attention_${pass.key}_${d.headDim}`,
    pass.inputs,
    d.batch * d.tokens * d.heads,
    pass.outputSize,
    `
      let r = index;
      let b = r / (uniforms.tokens * uniforms.heads);
      let h = r % uniforms.heads;
      ${pass.init}
      for (var j = 0; j < uniforms.tokens; j++) {
        let at = rowAt(b, j, h);
        let statsAt = 2 * (at / DH);
        ${step}
      }
      ${pass.finish}
    `,
    uniformsOf(d, scale),
    `const DH = ${d.headDim};\n${ROW_HELPERS}`,
  );
}

/** Rows of the other side a tile holds: a power of two that fits workgroup memory, at most {@link TILED_ROWS}. */
function tileRows(d: Dims, pass: RowPass): number {
  const bytesPerRow = 4 * (pass.other.length * d.headDim + (pass.otherStats ? 2 : 0));
  let rows = TILED_ROWS;
  while (rows > 1 && rows * bytesPerRow > WORKGROUP_BYTES) rows /= 2;
  return rows;
}

/** A workgroup of {@link TILED_ROWS} rows of one (batch, head), the other side in tiles through workgroup memory. */
function runTiled(backend: unknown, d: Dims, pass: RowPass, scale: number): tf.TensorInfo {
  const tile = tileRows(d, pass);
  const declarations = [
    ...pass.other.map((array) => `var<workgroup> tile${array} : array<f32, ${tile * d.headDim}>;`),
    ...(pass.otherStats ? [`var<workgroup> tileS : array<f32, ${2 * tile}>;`] : []),
  ];
  const loads = [
    ...pass.other.map(
      (array) => `
        for (var e = i32(localIndex); e < count * DH; e += ${TILED_ROWS}) {
          tile${array}[e] = ${array}[rowAt(b, j0 + e / DH, h) + e % DH];
        }`,
    ),
    ...(pass.otherStats
      ? [
          `
        for (var e = i32(localIndex); e < 2 * count; e += ${TILED_ROWS}) {
          tileS[e] = S[2 * (rowAt(b, j0 + e / 2, h) / DH) + e % 2];
        }`,
        ]
      : []),
  ];
  const step = otherReads(
    pass.step,
    (array, column) => `tile${array}[jj * DH + ${column}]`,
    (k) => `tileS[2 * jj + ${k}]`,
  );
  return runFlatProgram(
    backend,
    {
      outputShape: [pass.outputSize],
      shaderKey: `flowdit_attention_tiled_${pass.key}_${d.headDim}_${tile}`,
      dispatchLayout: { x: [0] },
      dispatch: [Math.ceil(d.tokens / TILED_ROWS), d.heads, d.batch],
      workgroupSize: [TILED_ROWS, 1, 1],
      getUserCode: () => `
        const DH = ${d.headDim};
        ${ROW_HELPERS}
        ${declarations.join('\n')}
        fn main(index : i32) {
          let b = i32(workgroupId.z);
          let h = i32(workgroupId.y);
          let i = i32(workgroupId.x) * ${TILED_ROWS} + i32(localIndex);
          // a row past the end computes on the last row, so that every invocation reaches the barriers
          let r = (b * uniforms.tokens + min(i, uniforms.tokens - 1)) * uniforms.heads + h;
          ${pass.init}
          for (var j0 = 0; j0 < uniforms.tokens; j0 += ${tile}) {
            let count = min(${tile}, uniforms.tokens - j0);
            ${loads.join('\n')}
            workgroupBarrier();
            for (var jj = 0; jj < count; jj++) {
              ${step}
            }
            workgroupBarrier();
          }
          if (i < uniforms.tokens) {
            ${pass.finish}
          }
        }
      `,
    },
    pass.inputs,
    uniformsOf(d, scale),
  );
}

function runPass(backend: unknown, d: Dims, pass: RowPass, scale: number): tf.TensorInfo {
  return d.tokens >= TILED_FROM ? runTiled(backend, d, pass, scale) : runByRow(backend, d, pass, scale);
}

/** `s`, the scaled score of the row pair: the query row's Q and the key row's K, over the columns in order. */
const SCORE_OWN_QUERY = `
  var s = 0.0;
  for (var c = 0; c < DH; c++) { s = s + Q[r * DH + c] * other(K, c); }
`;
const SCORE_OWN_KEY = `
  var s = 0.0;
  for (var c = 0; c < DH; c++) { s = s + other(Q, c) * K[r * DH + c]; }
`;

function webgpuForwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { q, k, v } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo>;
  const d = dimsOf(q);
  // online softmax: running maximum m, sum l and weighted sum of values, rescaled as m grows
  const out = runPass(
    backend,
    d,
    {
      key: 'forward',
      inputs: { Q: q, K: k, V: v },
      other: ['K', 'V'],
      otherStats: false,
      init: `
        var acc : array<f32, DH>;
        var m = -3.402823e38;
        var l = 0.0;`,
      step: `${SCORE_OWN_QUERY}
        s = s * uniforms.scale;
        let mNew = max(m, s);
        let correction = exp(m - mNew);
        let p = exp(s - mNew);
        l = l * correction + p;
        for (var c = 0; c < DH; c++) { acc[c] = acc[c] * correction + p * other(V, c); }
        m = mNew;`,
      finish: 'for (var c = 0; c < DH; c++) { result[r * DH + c] = acc[c] / l; }',
      outputSize: q.shape.reduce((a, b) => a * b, 1),
    },
    (attrs as { scale: number }).scale,
  );
  return { ...out, shape: q.shape };
}

function webgpuBackwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { q, k, v, o, dO } = inputs as Record<'q' | 'k' | 'v' | 'o' | 'dO', tf.TensorInfo>;
  const d = dimsOf(q);
  const { scale } = attrs as { scale: number };
  const size = q.shape.reduce((a, b) => a * b, 1);
  // per query row: L = max + log Σ exp of its scaled scores (an online pass over the keys), and D = dO·O
  const stats = runPass(
    backend,
    d,
    {
      key: 'stats',
      inputs: { Q: q, K: k, O: o, DO: dO },
      other: ['K'],
      otherStats: false,
      init: `
        var m = -3.402823e38;
        var l = 0.0;`,
      step: `${SCORE_OWN_QUERY}
        s = s * uniforms.scale;
        let mNew = max(m, s);
        l = l * exp(m - mNew) + exp(s - mNew);
        m = mNew;`,
      finish: `
        var delta = 0.0;
        for (var c = 0; c < DH; c++) { delta = delta + DO[r * DH + c] * O[r * DH + c]; }
        result[2 * r] = m + log(l);
        result[2 * r + 1] = delta;`,
      outputSize: (2 * size) / d.headDim,
    },
    scale,
  );
  /** Σ over the other side's rows of w·`sum`, w worked out by `weight`, times `factor`. */
  const accumulate = (key: string, inputs: Record<string, tf.TensorInfo>, other: string[], weight: string, sum: string, factor: string) =>
    runPass(
      backend,
      d,
      {
        key,
        inputs,
        other,
        otherStats: other.includes('Q'),
        init: 'var acc : array<f32, DH>;',
        step: `${weight}
          for (var c = 0; c < DH; c++) { acc[c] = acc[c] + w * other(${sum}, c); }`,
        finish: `for (var c = 0; c < DH; c++) { result[r * DH + c] = ${factor} * acc[c]; }`,
        outputSize: size,
      },
      scale,
    );
  // dQ: the row is a query and runs over keys; dK and dV: the row is a key and runs over queries
  const dQ = accumulate(
    'dq',
    { Q: q, K: k, V: v, DO: dO, S: stats },
    ['K', 'V'],
    `${SCORE_OWN_QUERY}
     var dp = 0.0;
     for (var c = 0; c < DH; c++) { dp = dp + DO[r * DH + c] * other(V, c); }
     let p = exp(uniforms.scale * s - S[2 * r]);
     let w = p * (dp - S[2 * r + 1]);`,
    'K',
    'uniforms.scale',
  );
  const dK = accumulate(
    'dk',
    { Q: q, K: k, V: v, DO: dO, S: stats },
    ['Q', 'DO'],
    `${SCORE_OWN_KEY}
     var dp = 0.0;
     for (var c = 0; c < DH; c++) { dp = dp + other(DO, c) * V[r * DH + c]; }
     let p = exp(uniforms.scale * s - otherS(0));
     let w = p * (dp - otherS(1));`,
    'Q',
    'uniforms.scale',
  );
  const dV = accumulate(
    'dv',
    { Q: q, K: k, DO: dO, S: stats },
    ['Q', 'DO'],
    `${SCORE_OWN_KEY}
     let w = exp(uniforms.scale * s - otherS(0));`,
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
