import type * as tf from '@tensorflow/tfjs-core';
import type { AdamWStep } from './adamw.js';
import type { ModulatedDims } from './elementwise.js';
import { wasmViews } from './elementwise.js';
import { SIMD_WASM_BASE64 } from './simd-wasm.generated.js';

/*
 * The wasm backend's SIMD kernels: a module of our own (assembly/), with its own memory, as
 * tfjs's heap is not ours to lay scratch out in. Each call copies the inputs in, one after
 * another from base() at 16-byte boundaries, and the outputs back out; the copies are memcpys,
 * small beside the work.
 */

// Node has the WebAssembly API; TypeScript declares it only in the DOM library, which the app leaves out.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface SimdExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  base(): number;
  attentionBytesNeeded(batch: number, tokens: number, heads: number, headDim: number, tensors: number): number;
  attentionForward(batch: number, tokens: number, heads: number, headDim: number, scale: number): void;
  attentionBackward(batch: number, tokens: number, heads: number, headDim: number, scale: number): void;
  activationBytesNeeded(size: number, tensors: number): number;
  geluForward(size: number): void;
  geluBackward(size: number): void;
  adaLayerNormBytesNeeded(batch: number, tokens: number, width: number): number;
  adaLayerNormForward(batch: number, tokens: number, width: number, epsilon: number): void;
  adaLayerNormBackward(batch: number, tokens: number, width: number, epsilon: number): void;
  adamwBytesNeeded(size: number): number;
  adamwUpdate(size: number, ...numbers: number[]): void;
  columnSumBytesNeeded(rows: number, cols: number): number;
  columnSum(rows: number, cols: number): void;
  gatedResidualBytesNeeded(batch: number, tokens: number, width: number): number;
  gatedResidualForward(batch: number, tokens: number, width: number): void;
  gatedResidualBackward(batch: number, tokens: number, width: number): void;
  matmulBytesNeeded(m: number, k: number, n: number): number;
  matmul(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): void;
}

let instance: SimdExports | undefined;

/** The module, instantiated on first use (synchronously, so that the kernels stay synchronous). */
function simdModule(): SimdExports {
  // atob rather than Node's Buffer: the page of apps/playground runs this module in a browser.
  instance ??= new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(atob(SIMD_WASM_BASE64), (c) => c.charCodeAt(0)))).exports as unknown as SimdExports;
  return instance;
}

/**
 * Copies `inputs` into the module, runs `call`, and copies the outputs that follow them out.
 * @param inputs - the input values, laid out one after another, each from a 16-byte boundary.
 * @param outputs - where the results go; they follow the inputs in the same way.
 * @param bytesNeeded - bytes from base() the call uses (tensors and scratch).
 * @param call - the module's function.
 */
function runInModule(inputs: readonly Float32Array[], outputs: readonly Float32Array[], bytesNeeded: number, call: () => void): void {
  const module = simdModule();
  const start = module.base();
  const { memory } = module;
  if (memory.buffer.byteLength < start + bytesNeeded) memory.grow(Math.ceil((start + bytesNeeded - memory.buffer.byteLength) / 65536));
  const heap = new Float32Array(memory.buffer, start);
  let at = 0;
  for (const view of inputs) {
    heap.set(view, at);
    at += Math.ceil(view.length / 4) * 4;
  }
  call();
  for (const view of outputs) {
    view.set(heap.subarray(at, at + view.length));
    at += Math.ceil(view.length / 4) * 4;
  }
}

function runAttention(kind: 'attentionForward' | 'attentionBackward', backend: unknown, inputs: tf.TensorInfo[], outputCount: number, scale: number): tf.TensorInfo[] {
  const shape = inputs[0]!.shape;
  const [batch, tokens, heads, headDim] = shape as [number, number, number, number];
  const { outputs, inputViews, outputViews } = wasmViews(backend, inputs, Array.from({ length: outputCount }, () => shape));
  if (batch * tokens * heads * headDim === 0) return outputs;
  const module = simdModule();
  const bytes = module.attentionBytesNeeded(batch, tokens, heads, headDim, inputs.length + outputCount);
  runInModule(inputViews, outputViews, bytes, () => module[kind](batch, tokens, heads, headDim, scale));
  return outputs;
}

export function wasmForwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { q, k, v } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo>;
  return runAttention('attentionForward', backend, [q, k, v], 1, (attrs as { scale: number }).scale)[0]!;
}

export function wasmBackwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { q, k, v, o, dO } = inputs as Record<'q' | 'k' | 'v' | 'o' | 'dO', tf.TensorInfo>;
  return runAttention('attentionBackward', backend, [q, k, v, o, dO], 3, (attrs as { scale: number }).scale);
}

/**
 * y = GELU(x) (tanh approximation) in f32x4.
 * @param x - the values.
 * @param y - where GELU(x) goes, as long.
 */
export function simdGelu(x: Float32Array, y: Float32Array): void {
  if (x.length === 0) return;
  const module = simdModule();
  runInModule([x], [y], module.activationBytesNeeded(x.length, 2), () => module.geluForward(x.length));
}

/**
 * dx = dy·GELU′(x) in f32x4.
 * @param x - the values GELU was applied to.
 * @param dy - the gradient of its output.
 * @param dx - where the gradient of x goes, as long.
 */
export function simdGeluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  if (x.length === 0) return;
  const module = simdModule();
  runInModule([x, dy], [dx], module.activationBytesNeeded(x.length, 3), () => module.geluBackward(x.length));
}

/**
 * c = op(a)·op(b) in f32x4, op a transpose or not.
 * @param a - `[m, k]`, or `[k, m]` when transposeA.
 * @param b - `[k, n]`, or `[n, k]` when transposeB.
 * @param c - where the `[m, n]` product goes.
 * @param m - rows of c.
 * @param k - the shared dimension.
 * @param n - columns of c.
 */
export function simdMatMul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): void {
  if (c.length === 0) return;
  const module = simdModule();
  runInModule([a, b], [c], module.matmulBytesNeeded(m, k, n), () => module.matmul(m, k, n, transposeA, transposeB));
}

/**
 * One AdamW update of a weight in f32x4, each operation in the order of adamw.ts's JS loop.
 * @param inputs - p, g, m, v and ema, as long as each other.
 * @param outputs - where the new p, m, v and ema go.
 * @param s - the update's numbers (weightDecay 0 for a weight that is not decayed).
 */
export function simdAdamW(inputs: readonly Float32Array[], outputs: readonly Float32Array[], s: AdamWStep): void {
  const size = inputs[0]!.length;
  if (size === 0) return;
  const module = simdModule();
  runInModule(inputs, outputs, module.adamwBytesNeeded(size), () =>
    module.adamwUpdate(
      size,
      s.gradScale,
      s.beta1,
      1 - s.beta1,
      s.beta2,
      1 - s.beta2,
      s.correction1,
      s.correction2,
      s.epsilon,
      s.weightDecay,
      s.learningRate,
      s.emaDecay,
      1 - s.emaDecay,
    ),
  );
}

/**
 * The sums of x's columns, in float64 over the rows in order, as float32.
 * @param x - `[rows, cols]`.
 * @param cols - columns of x.
 * @param out - where the cols sums go.
 */
export function simdColumnSum(x: Float32Array, cols: number, out: Float32Array): void {
  if (cols === 0) return;
  const module = simdModule();
  const rows = x.length / cols;
  runInModule([x], [out], module.columnSumBytesNeeded(rows, cols), () => module.columnSum(rows, cols));
}

/**
 * adaLN forward in float32, f32x4 along each row.
 * @param inputs - x (`batch·tokens` rows of `width`), shift and scale (`batch` rows each).
 * @param y - where the result goes, as long as x.
 * @param d - the sizes.
 * @param epsilon - added to the variance.
 */
export function simdAdaLayerNorm(inputs: readonly Float32Array[], y: Float32Array, d: ModulatedDims, epsilon: number): void {
  if (y.length === 0) return;
  const module = simdModule();
  runInModule(inputs, [y], module.adaLayerNormBytesNeeded(d.batch, d.tokens, d.width), () => module.adaLayerNormForward(d.batch, d.tokens, d.width, epsilon));
}

/**
 * adaLN backward in float32, f32x4 along each row.
 * @param inputs - x, scale and dy.
 * @param outputs - where dx, dshift and dscale go.
 * @param d - the sizes.
 * @param epsilon - added to the variance.
 */
export function simdAdaLayerNormGrad(inputs: readonly Float32Array[], outputs: readonly Float32Array[], d: ModulatedDims, epsilon: number): void {
  if (inputs[0]!.length === 0) return;
  const module = simdModule();
  runInModule(inputs, outputs, module.adaLayerNormBytesNeeded(d.batch, d.tokens, d.width), () => module.adaLayerNormBackward(d.batch, d.tokens, d.width, epsilon));
}

/**
 * The gated residual x + gate·f in float32, f32x4 along each row.
 * @param inputs - x, gate (`batch` rows) and f.
 * @param y - where the result goes, as long as x.
 * @param d - the sizes.
 */
export function simdGatedResidual(inputs: readonly Float32Array[], y: Float32Array, d: ModulatedDims): void {
  if (y.length === 0) return;
  const module = simdModule();
  runInModule(inputs, [y], module.gatedResidualBytesNeeded(d.batch, d.tokens, d.width), () => module.gatedResidualForward(d.batch, d.tokens, d.width));
}

/**
 * The gated residual's gradient in float32, f32x4 along each row.
 * @param inputs - gate, f and dy.
 * @param outputs - where dgate and df go.
 * @param d - the sizes.
 */
export function simdGatedResidualGrad(inputs: readonly Float32Array[], outputs: readonly Float32Array[], d: ModulatedDims): void {
  if (inputs[1]!.length === 0) return;
  const module = simdModule();
  runInModule(inputs, outputs, module.gatedResidualBytesNeeded(d.batch, d.tokens, d.width), () => module.gatedResidualBackward(d.batch, d.tokens, d.width));
}
