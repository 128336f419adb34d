import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, runInvocations } from './elementwise.js';
import { simdColumnSum } from './simd-wasm.js';

/*
 * The sums of a matrix's columns, a dense layer's bias gradient, in one kernel. tfjs's sum over
 * the first axis transposes first (a second dispatch on webgpu, a whole copy on wasm), and the
 * product of a row of ones with the matrix needs a reshape after it.
 * cpu: one pass over the rows in float64; wasm: the same sums eight columns at a time in f64x2
 * in our SIMD module (assembly/column-sum.ts), the same to the bit; webgpu: one invocation per
 * column.
 */

export const COLUMN_SUM_KERNEL = 'FlowditColumnSum';

function columnSums(x: Float32Array, cols: number, out: Float32Array): void {
  const sums = new Float64Array(cols);
  for (let at = 0; at < x.length; at += cols) {
    for (let c = 0; c < cols; c++) sums[c]! += x[at + c]!;
  }
  out.set(sums);
}

type CpuBackend = { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };

const kernels = {
  cpu: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) => {
    const cols = inputs.x!.shape[1]!;
    const out = new Float32Array(cols);
    columnSums(cpuValues(backend, inputs.x!), cols, out);
    return (backend as CpuBackend).makeTensorInfo([cols], 'float32', out);
  },
  wasm: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) => {
    return simdColumnSum(backend, inputs.x!);
  },
  webgpu: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) => {
    const [rows, cols] = inputs.x!.shape as [number, number];
    const out = runInvocations(
      backend,
      'column_sum',
      { X: inputs.x! },
      cols,
      cols,
      `
        var sum = 0.0;
        for (var r = 0; r < uniforms.rows; r++) { sum = sum + X[r * uniforms.invocations + index]; }
        result[index] = sum;
      `,
      [{ name: 'rows', type: 'i32', value: rows }],
    );
    return { ...out, shape: [cols] };
  },
};

for (const [backendName, kernelFunc] of Object.entries(kernels)) {
  tf.registerKernel({ kernelName: COLUMN_SUM_KERNEL, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/**
 * Whether the column sums run as one kernel on the current backend.
 * @returns true on cpu, wasm and webgpu.
 */
export function columnSumAvailable(): boolean {
  return tf.getKernel(COLUMN_SUM_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * The sum of every column, in one kernel. Not differentiable: it is itself a gradient.
 * @param x - `[rows, cols]`.
 * @returns `[cols]`.
 */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  return tf.engine().runKernel(COLUMN_SUM_KERNEL, { x }) as tf.Tensor1D;
}
