import type * as tf from '@tensorflow/tfjs-core';
import { ATTENTION_WASM_BASE64 } from './attention-wasm.generated.js';
import { wasmViews } from './elementwise.js';

/*
 * The wasm backend's fused attention: a SIMD module of our own (assembly/attention.ts) with its own
 * memory, as tfjs's heap is not ours to lay scratch out in. Each call copies the inputs in, one
 * after another, and the outputs back out; the copies are memcpys, small beside the products.
 */

// Node has the WebAssembly API; TypeScript declares it only in the DOM library, which the app leaves out.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface AttentionExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  base(): number;
  bytesNeeded(batch: number, tokens: number, heads: number, headDim: number, tensors: number): number;
  forward(batch: number, tokens: number, heads: number, headDim: number, scale: number): void;
  backward(batch: number, tokens: number, heads: number, headDim: number, scale: number): void;
}

let instance: AttentionExports | undefined;

/** The module, instantiated on first use (synchronously, so that the kernels stay synchronous). */
function attentionModule(): AttentionExports {
  // atob rather than Node's Buffer: the page of apps/playground runs this module in a browser.
  instance ??= new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(atob(ATTENTION_WASM_BASE64), (c) => c.charCodeAt(0)))).exports as unknown as AttentionExports;
  return instance;
}

function run(kind: 'forward' | 'backward', backend: unknown, inputs: tf.TensorInfo[], outputCount: number, scale: number): tf.TensorInfo[] {
  const shape = inputs[0]!.shape;
  const [batch, tokens, heads, headDim] = shape as [number, number, number, number];
  const { outputs, inputViews, outputViews } = wasmViews(backend, inputs, Array.from({ length: outputCount }, () => shape));
  const size = batch * tokens * heads * headDim;
  if (size === 0) return outputs;
  const module = attentionModule();
  const start = module.base();
  const end = start + module.bytesNeeded(batch, tokens, heads, headDim, inputs.length + outputCount);
  const { memory } = module;
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  // the module lays tensors out at 16-byte boundaries
  const stride = Math.ceil(size / 4) * 4;
  const heap = new Float32Array(memory.buffer, start);
  for (const [t, view] of inputViews.entries()) heap.set(view, t * stride);
  module[kind](batch, tokens, heads, headDim, scale);
  for (const [t, view] of outputViews.entries()) view.set(heap.subarray((inputs.length + t) * stride, (inputs.length + t) * stride + size));
  return outputs;
}

export function wasmForwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { q, k, v } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo>;
  return run('forward', backend, [q, k, v], 1, (attrs as { scale: number }).scale)[0]!;
}

export function wasmBackwardKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { q, k, v, o, dO } = inputs as Record<'q' | 'k' | 'v' | 'o' | 'dO', tf.TensorInfo>;
  return run('backward', backend, [q, k, v, o, dO], 3, (attrs as { scale: number }).scale);
}
