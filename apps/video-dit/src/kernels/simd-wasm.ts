import type * as tf from '@tensorflow/tfjs-core';
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
 * @param inputs - the input values, each `size` floats.
 * @param outputs - where the results go, each `size` floats.
 * @param bytesNeeded - bytes from base() the call uses (tensors and scratch).
 * @param call - the module's function.
 */
function runInModule(inputs: readonly Float32Array[], outputs: readonly Float32Array[], bytesNeeded: number, call: () => void): void {
  const module = simdModule();
  const start = module.base();
  const { memory } = module;
  if (memory.buffer.byteLength < start + bytesNeeded) memory.grow(Math.ceil((start + bytesNeeded - memory.buffer.byteLength) / 65536));
  const size = inputs[0]!.length;
  const stride = Math.ceil(size / 4) * 4;
  const heap = new Float32Array(memory.buffer, start);
  for (const [t, view] of inputs.entries()) heap.set(view, t * stride);
  call();
  for (const [t, view] of outputs.entries()) view.set(heap.subarray((inputs.length + t) * stride, (inputs.length + t) * stride + size));
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
