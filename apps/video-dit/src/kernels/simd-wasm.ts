import type * as tf from '@tensorflow/tfjs-core';
import type { AdamWStep } from './adamw.js';
import { type ModulatedDims, wasmOutputs } from './elementwise.js';
import { SIMD_WASM_BASE64, SIMD_WASM_SHARED_BASE64 } from './simd-wasm.generated.js';

/*
 * The wasm backend's SIMD kernels: a module of our own (assembly/) that imports the backend's own
 * memory, so that it reads the tensors and writes its results where tfjs keeps them; its scratch
 * comes from the backend's malloc. (Copying tensors into a memory of the module's own and the
 * results back out cost about 11 ms of a 130 ms small step in a CPU profile.) tfjs's threaded
 * build has a shared memory, which takes the module built for one.
 */

// Node has the WebAssembly API; TypeScript declares it only in the DOM library, which the app leaves out.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

interface WasmMemory {
  buffer: ArrayBufferLike;
}

interface SimdExports {
  adaLayerNormForward(x: number, shift: number, scale: number, y: number, batch: number, tokens: number, width: number, epsilon: number): void;
  adaLayerNormBackward(x: number, scale: number, dy: number, dx: number, dShift: number, dScale: number, batch: number, tokens: number, width: number, epsilon: number): void;
  adamwUpdate(...addressesSizeAndNumbers: number[]): void;
  attentionScratchBytes(tokens: number, headDim: number): number;
  attentionForward(q: number, k: number, v: number, o: number, scratch: number, batch: number, tokens: number, heads: number, headDim: number, scale: number): void;
  attentionBackward(...addressesAndShape: number[]): void;
  columnSum(x: number, out: number, rows: number, cols: number): void;
  gatedResidualForward(x: number, gate: number, f: number, y: number, batch: number, tokens: number, width: number): void;
  gatedResidualBackward(gate: number, f: number, dy: number, dGate: number, dF: number, batch: number, tokens: number, width: number): void;
  geluForward(x: number, y: number, size: number): void;
  geluBackward(x: number, dy: number, dx: number, size: number): void;
  matmulScratchBytes(m: number, k: number, n: number, transposeA: boolean): number;
  matmul(a: number, b: number, c: number, scratch: number, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean, bias: number): void;
}

/** What the kernels use of tfjs's wasm backend beyond its public type. */
interface WasmInternals {
  wasm: { asm: { memory: WasmMemory }; _malloc(bytes: number): number; _free(at: number): void };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
}

const compiled: { plain?: object; shared?: object } = {};
/** One instance per backend memory (a worker thread's backend has its own). */
const instances = new WeakMap<WasmMemory, SimdExports>();

function moduleFor(shared: boolean): object {
  const kind = shared ? 'shared' : 'plain';
  // atob rather than Node's Buffer: the page of apps/playground runs this module in a browser.
  compiled[kind] ??= new WebAssembly.Module(Uint8Array.from(atob(shared ? SIMD_WASM_SHARED_BASE64 : SIMD_WASM_BASE64), (c) => c.charCodeAt(0)));
  return compiled[kind];
}

/** The module on this backend's memory, and where its tensors lie. */
function simdOn(backend: unknown): { module: SimdExports; at(tensor: tf.TensorInfo): number; internals: WasmInternals } {
  const internals = backend as WasmInternals;
  const { memory } = internals.wasm.asm;
  let module = instances.get(memory);
  if (module === undefined) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    module = new WebAssembly.Instance(moduleFor(shared), { env: { memory } }).exports as unknown as SimdExports;
    instances.set(memory, module);
  }
  return { module, internals, at: (tensor) => internals.dataIdMap.get(tensor.dataId).memoryOffset };
}

/** Runs `call` with `bytes` of scratch from the backend's heap (at least 16), freed afterwards. */
function withScratch(internals: WasmInternals, bytes: number, call: (scratch: number) => void): void {
  const scratch = internals.wasm._malloc(Math.max(16, bytes));
  try {
    call(scratch);
  } finally {
    internals.wasm._free(scratch);
  }
}

/**
 * Fused attention forward: o of q, k and v, `[batch, tokens, heads, headDim]` each.
 * @returns o.
 */
export function simdAttention(backend: unknown, q: tf.TensorInfo, k: tf.TensorInfo, v: tf.TensorInfo, scale: number): tf.TensorInfo {
  const [o] = wasmOutputs(backend, [q.shape]) as [tf.TensorInfo];
  const [batch, tokens, heads, headDim] = q.shape as [number, number, number, number];
  if (batch * tokens * heads * headDim === 0) return o;
  const { module, at, internals } = simdOn(backend);
  withScratch(internals, module.attentionScratchBytes(tokens, headDim), (scratch) =>
    module.attentionForward(at(q), at(k), at(v), at(o), scratch, batch, tokens, heads, headDim, scale),
  );
  return o;
}

/**
 * Fused attention backward.
 * @returns dQ, dK and dV.
 */
export function simdAttentionGrad(backend: unknown, [q, k, v, o, dO]: readonly tf.TensorInfo[], scale: number): tf.TensorInfo[] {
  const shape = q!.shape;
  const grads = wasmOutputs(backend, [shape, shape, shape]);
  const [batch, tokens, heads, headDim] = shape as [number, number, number, number];
  if (batch * tokens * heads * headDim === 0) return grads;
  const { module, at, internals } = simdOn(backend);
  withScratch(internals, module.attentionScratchBytes(tokens, headDim), (scratch) =>
    module.attentionBackward(...[q!, k!, v!, o!, dO!, ...grads].map(at), scratch, batch, tokens, heads, headDim, scale),
  );
  return grads;
}

/** y = GELU(x) (tanh approximation) in f32x4. */
export function simdGelu(backend: unknown, x: tf.TensorInfo): tf.TensorInfo {
  const [y] = wasmOutputs(backend, [x.shape]) as [tf.TensorInfo];
  const { module, at } = simdOn(backend);
  module.geluForward(at(x), at(y), x.shape.reduce((a, b) => a * b, 1));
  return y;
}

/** dx = dy·GELU′(x) in f32x4. */
export function simdGeluGrad(backend: unknown, x: tf.TensorInfo, dy: tf.TensorInfo): tf.TensorInfo {
  const [dx] = wasmOutputs(backend, [x.shape]) as [tf.TensorInfo];
  const { module, at } = simdOn(backend);
  module.geluBackward(at(x), at(dy), at(dx), x.shape.reduce((a, b) => a * b, 1));
  return dx;
}

/**
 * c = op(a)·op(b) (+ bias) in f32x4, op a transpose or not; the bias added as a separate add would.
 * @param a - `[m, k]`, or `[k, m]` when transposeA.
 * @param b - `[k, n]`, or `[n, k]` when transposeB.
 * @param bias - `[n]`, added to every row, if given.
 * @returns c, `[m, n]`.
 */
export function simdMatMul(
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  bias: tf.TensorInfo | undefined,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo {
  const [c] = wasmOutputs(backend, [[m, n]]) as [tf.TensorInfo];
  if (m * n === 0) return c;
  const { module, at, internals } = simdOn(backend);
  const biasAt = bias === undefined ? 0 : at(bias);
  withScratch(internals, module.matmulScratchBytes(m, k, n, transposeA), (scratch) => module.matmul(at(a), at(b), at(c), scratch, m, k, n, transposeA, transposeB, biasAt));
  return c;
}

/**
 * One AdamW update of a weight in f32x4, each operation in the order of adamw.ts's JS loop.
 * @param inputs - p, g, m, v and ema.
 * @param s - the update's numbers (weightDecay 0 for a weight that is not decayed).
 * @returns the new p, m, v and ema.
 */
export function simdAdamW(backend: unknown, inputs: readonly tf.TensorInfo[], s: AdamWStep): tf.TensorInfo[] {
  const shape = inputs[0]!.shape;
  const outputs = wasmOutputs(backend, [shape, shape, shape, shape]);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === 0) return outputs;
  const { module, at, internals } = simdOn(backend);
  const numbers = [s.gradScale, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.correction1, s.correction2, s.epsilon, s.weightDecay, s.learningRate, s.emaDecay, 1 - s.emaDecay];
  withScratch(internals, 64, (scratch) => module.adamwUpdate(...[...inputs, ...outputs].map(at), scratch, size, ...numbers));
  return outputs;
}

/**
 * The sums of x's columns, in float64 over the rows in order, as float32.
 * @param x - `[rows, cols]`.
 * @returns `[cols]`.
 */
export function simdColumnSum(backend: unknown, x: tf.TensorInfo): tf.TensorInfo {
  const [rows, cols] = x.shape as [number, number];
  const [out] = wasmOutputs(backend, [[cols]]) as [tf.TensorInfo];
  const { module, at } = simdOn(backend);
  module.columnSum(at(x), at(out), rows, cols);
  return out;
}

/**
 * adaLN forward in float32, f32x4 along each row.
 * @returns y, shaped as x.
 */
export function simdAdaLayerNorm(backend: unknown, x: tf.TensorInfo, shift: tf.TensorInfo, scale: tf.TensorInfo, d: ModulatedDims, epsilon: number): tf.TensorInfo {
  const [y] = wasmOutputs(backend, [x.shape]) as [tf.TensorInfo];
  const { module, at } = simdOn(backend);
  module.adaLayerNormForward(at(x), at(shift), at(scale), at(y), d.batch, d.tokens, d.width, epsilon);
  return y;
}

/**
 * adaLN backward in float32, f32x4 along each row.
 * @returns dx, dshift and dscale.
 */
export function simdAdaLayerNormGrad(backend: unknown, x: tf.TensorInfo, scale: tf.TensorInfo, dy: tf.TensorInfo, d: ModulatedDims, epsilon: number): tf.TensorInfo[] {
  const outputs = wasmOutputs(backend, [x.shape, scale.shape, scale.shape]);
  const { module, at } = simdOn(backend);
  const [dx, dShift, dScale] = outputs.map(at) as [number, number, number];
  module.adaLayerNormBackward(at(x), at(scale), at(dy), dx, dShift, dScale, d.batch, d.tokens, d.width, epsilon);
  return outputs;
}

/**
 * The gated residual x + gate·f in float32, f32x4 along each row.
 * @returns y, shaped as x.
 */
export function simdGatedResidual(backend: unknown, x: tf.TensorInfo, gate: tf.TensorInfo, f: tf.TensorInfo, d: ModulatedDims): tf.TensorInfo {
  const [y] = wasmOutputs(backend, [x.shape]) as [tf.TensorInfo];
  const { module, at } = simdOn(backend);
  module.gatedResidualForward(at(x), at(gate), at(f), at(y), d.batch, d.tokens, d.width);
  return y;
}

/**
 * The gated residual's gradient in float32, f32x4 along each row.
 * @returns dgate and df.
 */
export function simdGatedResidualGrad(backend: unknown, gate: tf.TensorInfo, f: tf.TensorInfo, dy: tf.TensorInfo, d: ModulatedDims): tf.TensorInfo[] {
  const outputs = wasmOutputs(backend, [gate.shape, f.shape]);
  const { module, at } = simdOn(backend);
  const [dGate, dF] = outputs.map(at) as [number, number];
  module.gatedResidualBackward(at(gate), at(f), at(dy), dGate, dF, d.batch, d.tokens, d.width);
  return outputs;
}
