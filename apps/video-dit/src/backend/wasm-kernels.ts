import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

/*
 * Two kernels of tfjs-backend-wasm 4.22 do more work than their result needs:
 * - Identity copies the data. tfjs clones every tensor it saves for a gradient with it (a small
 *   step: 135 clones), and the cpu and webgpu backends' Identity shares the data and counts a
 *   reference. Shared here too, as wasm's Reshape already does: no wasm kernel writes into its
 *   inputs, so a shared buffer never changes under a tensor. Measured on the small preset, one
 *   thread: 214 and 209 ms a step against 226 and 219 ms with the copies, the same losses.
 * - SplitV slices each piece element by element: attention's q, k and v out of [16, 64, 12, 16]
 *   took 1.5 ms, [1024, 192] along its last axis 4.8 ms. Each piece is a contiguous run in every
 *   outer row, copied here run by run (a typed-array set is a memcpy).
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];

function sharedIdentity({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const x = inputs.x!;
  (backend as unknown as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
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
    // views after every allocation: one may grow the heap and detach earlier views
    const source = wasm.typedArrayFromHeap(x) as Float32Array | Int32Array;
    let offset = 0;
    for (const [k, size] of sizes.entries()) {
      const target = wasm.typedArrayFromHeap(outputs[k]!) as Float32Array | Int32Array;
      const run = size * inner;
      for (let row = 0; row < outer; row++) {
        const from = row * rowLength + offset;
        target.set(source.subarray(from, from + run), row * run);
      }
      offset += run;
    }
    return outputs;
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

/** Replaces wasm's copying Identity and its element-by-element SplitV (once; later calls do nothing). */
export function patchWasmKernels(): void {
  replaceKernel('Identity', () => sharedIdentity as unknown as tf.KernelFunc);
  replaceKernel('SplitV', splitByRuns);
}
