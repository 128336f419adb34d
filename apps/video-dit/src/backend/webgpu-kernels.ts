import * as tf from '@tensorflow/tfjs-core';

/*
 * Two kernels of tfjs-backend-webgpu 4.22 fail on inputs the other backends take:
 * - AddN binds every input as a storage buffer; past the device's maxStorageBuffersPerShaderStage
 *   its pipeline is invalid and it returns garbage (adapters may offer as few as 8, WebGPU's minimum).
 * - Transpose generates shaders up to rank 6 only ("GPU for rank 8 is not yet supported"), while
 *   tubelet patchify transposes [B, T', pt, H', ph, W', pw, C].
 * Both are wrapped here to call the original kernel on inputs it handles.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];

function run(kernel: tf.KernelConfig, args: KernelArgs): tf.TensorInfo {
  return kernel.kernelFunc(args) as tf.TensorInfo;
}

function replaceKernel(name: string, wrap: (original: tf.KernelConfig) => tf.KernelFunc): void {
  const original = tf.getKernel(name, 'webgpu');
  if (original === undefined) throw new Error(`tfjs-backend-webgpu registered no ${name} kernel`);
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ ...original, kernelFunc: wrap(original) });
}

/** AddN in groups of at most `maxInputs` tensors (one binding of the device's limit holds the output). */
function groupedAddN(original: tf.KernelConfig, maxInputs: number): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const sumOf = (group: tf.TensorInfo[]) => run(original, { inputs: group as unknown as tf.NamedTensorInfoMap, backend, attrs });
    let level = inputs as unknown as tf.TensorInfo[];
    const partialSums: tf.TensorInfo[] = [];
    while (level.length > maxInputs) {
      const next: tf.TensorInfo[] = [];
      for (let start = 0; start < level.length; start += maxInputs) {
        const group = level.slice(start, start + maxInputs);
        if (group.length === 1) {
          next.push(group[0]!);
        } else {
          const sum = sumOf(group);
          partialSums.push(sum);
          next.push(sum);
        }
      }
      level = next;
    }
    const total = sumOf(level);
    for (const partial of partialSums) (backend as tf.KernelBackend).disposeData(partial.dataId);
    return total;
  };
}

/**
 * A transpose with the runs of axes that stay neighbours merged: `perm` over `shape` becomes a
 * permutation of fewer, larger axes with the same result (e.g. [0,1,3,5,2,4,6,7] on 8 axes is
 * [0,2,4,1,3,5] on 6).
 * @param shape - the input's shape
 * @param perm - the permutation of its axes
 * @returns the merged input shape and the permutation on it
 */
export function collapseTranspose(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  // Runs of output positions whose input axes are consecutive, as [first input axis, last input axis].
  const runs: [number, number][] = [];
  for (const axis of perm) {
    const last = runs[runs.length - 1];
    if (last !== undefined && axis === last[1] + 1) last[1] = axis;
    else runs.push([axis, axis]);
  }
  const byInputOrder = runs.map((run, position) => ({ run, position })).sort((a, b) => a.run[0] - b.run[0]);
  const mergedShape = byInputOrder.map(({ run }) => shape.slice(run[0], run[1] + 1).reduce((a, b) => a * b, 1));
  const mergedAxisOf = new Map(byInputOrder.map(({ position }, mergedAxis) => [position, mergedAxis]));
  return { shape: mergedShape, perm: runs.map((_, position) => mergedAxisOf.get(position)!) };
}

const MAX_TRANSPOSE_RANK = 6;

function collapsingTranspose(original: tf.KernelConfig, reshape: tf.KernelConfig): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const perm = (attrs as { perm: number[] }).perm;
    // Only where the original cannot: its shaders for rank 1 do not compile either.
    if (x.shape.length <= MAX_TRANSPOSE_RANK) return run(original, { inputs, backend, attrs });
    const outShape = perm.map((axis) => x.shape[axis]!);
    const merged = collapseTranspose(x.shape, perm);
    if (merged.shape.length === 1) return run(reshape, { inputs: { x }, backend, attrs: { shape: outShape } });
    const flat = run(reshape, { inputs: { x }, backend, attrs: { shape: merged.shape } });
    const moved = run(original, { inputs: { x: flat }, backend, attrs: { perm: merged.perm } });
    const result = run(reshape, { inputs: { x: moved }, backend, attrs: { shape: outShape } });
    (backend as tf.KernelBackend).disposeData(flat.dataId);
    (backend as tf.KernelBackend).disposeData(moved.dataId);
    return result;
  };
}

let patched = false;

/**
 * Wraps tfjs-backend-webgpu's AddN and Transpose kernels (once per process).
 * @param maxStorageBuffers - the device's maxStorageBuffersPerShaderStage
 */
export function patchWebGpuKernels(maxStorageBuffers: number): void {
  if (patched) return;
  const reshape = tf.getKernel(tf.Reshape, 'webgpu');
  if (reshape === undefined) throw new Error('tfjs-backend-webgpu registered no Reshape kernel');
  replaceKernel(tf.AddN, (original) => groupedAddN(original, maxStorageBuffers - 1));
  replaceKernel(tf.Transpose, (original) => collapsingTranspose(original, reshape));
  patched = true;
}
