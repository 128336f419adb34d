import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

/*
 * Three kernels of tfjs-backend-wasm 4.22 do more work than their result needs:
 * - Identity copies the data. tfjs clones every tensor it saves for a gradient with it (a small
 *   step: 135 clones), and the cpu and webgpu backends' Identity shares the data and counts a
 *   reference. Shared here too, as wasm's Reshape already does: no wasm kernel writes into its
 *   inputs, so a shared buffer never changes under a tensor. Measured on the small preset, one
 *   thread: 214 and 209 ms a step against 226 and 219 ms with the copies, the same losses.
 * - SplitV slices each piece element by element: attention's q, k and v out of [16, 64, 12, 16]
 *   took 1.5 ms, [1024, 192] along its last axis 4.8 ms. Each piece is a contiguous run in every
 *   outer row, copied here run by run within the heap.
 * - Concat, the gradient of that split, copies by runs but makes a subarray view for each: 1.1 ms
 *   for attention's [16, 64, 4, 16] × 3. The same run copies as SplitV's here.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];

function sharedIdentity({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const x = inputs.x!;
  (backend as unknown as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** What the run copies use of the wasm backend: its heap as 32-bit words, and where a tensor lies in it. */
interface WasmHeap {
  wasm: { HEAP32: Int32Array };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
}

/** The word offset of a 4-byte tensor in the heap. */
function wordAt(backend: WasmHeap, tensor: tf.TensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId).memoryOffset / 4;
}

/**
 * Copies `count` runs of `run` words from `from` (runs `fromStride` apart) to `to` (`toStride`
 * apart) within the heap: copyWithin is a memmove, where a subarray and set per run allocate a
 * view each (3,072 runs of 64 floats: 0.17–0.26 against 0.49–1.12 ms).
 */
function copyRuns(heap: Int32Array, from: number, fromStride: number, to: number, toStride: number, run: number, count: number): void {
  for (let r = 0; r < count; r++) heap.copyWithin(to + r * toStride, from + r * fromStride, from + r * fromStride + run);
}

/** SplitV by contiguous runs, for float32 and int32; other dtypes go to tfjs's kernel. */
function splitByRuns(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x!;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return original.kernelFunc(args);
    const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const at = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, at);
    const outer = x.shape.slice(0, at).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(at + 1).reduce((a, b) => a * b, 1);
    const rowLength = x.shape[at]! * inner;
    const wasm = backend as unknown as BackendWasm;
    const outputs = sizes.map((size) => wasm.makeOutput(x.shape.map((d, i) => (i === at ? size : d)), x.dtype));
    // the heap's view after every allocation: one may grow the heap and detach an earlier view
    const heap = backend as unknown as WasmHeap;
    let offset = 0;
    for (const [k, size] of sizes.entries()) {
      const run = size * inner;
      copyRuns(heap.wasm.HEAP32, wordAt(heap, x) + offset, rowLength, wordAt(heap, outputs[k]!), run, run, outer);
      offset += run;
    }
    return outputs;
  };
}

/** Concat by contiguous runs, for float32 and int32 with two or more non-empty inputs; anything else goes to tfjs's kernel. */
function concatByRuns(original: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { backend, attrs } = args;
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    const nonEmpty = inputs.filter((t) => t.shape.every((d) => d > 0));
    const dtype = inputs[0]?.dtype;
    if (nonEmpty.length < 2 || (dtype !== 'float32' && dtype !== 'int32') || inputs.some((t) => t.dtype !== dtype)) return original.kernelFunc(args);
    const at = tf.util.parseAxisParam((attrs as unknown as { axis: number }).axis, inputs[0]!.shape)[0]!;
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, at);
    const outShape = tf.backend_util.computeOutShape(shapes, at);
    const wasm = backend as unknown as BackendWasm;
    const out = wasm.makeOutput(outShape, dtype);
    const outer = outShape.slice(0, at).reduce((a, b) => a * b, 1);
    const rowLength = outShape.slice(at).reduce((a, b) => a * b, 1);
    const heap = backend as unknown as WasmHeap;
    let offset = 0;
    for (const input of nonEmpty) {
      const run = input.shape.slice(at).reduce((a, b) => a * b, 1);
      copyRuns(heap.wasm.HEAP32, wordAt(heap, input), run, wordAt(heap, out) + offset, rowLength, run, outer);
      offset += run;
    }
    return out;
  };
}

const patched = new Set<tf.KernelFunc>();

function replaceKernel(name: string, replacement: (original: tf.KernelConfig) => tf.KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (original === undefined) throw new Error(`tfjs-backend-wasm registered no ${name} kernel`);
  if (patched.has(original.kernelFunc)) return;
  const kernelFunc = replacement(original);
  patched.add(kernelFunc);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}

/** Replaces wasm's copying Identity, its element-by-element SplitV and its view-making Concat (once; later calls do nothing). */
export function patchWasmKernels(): void {
  replaceKernel('Identity', () => sharedIdentity as unknown as tf.KernelFunc);
  replaceKernel('SplitV', splitByRuns);
  replaceKernel('Concat', concatByRuns);
}
