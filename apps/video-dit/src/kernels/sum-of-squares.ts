import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, wasmViews } from './elementwise.js';

/*
 * Σ x² of a tensor in one kernel (the composed version squares into a new tensor, then sums it).
 * cpu and wasm accumulate in float64, as tfjs's cpu Sum does; webgpu sums in one workgroup, each
 * invocation a strided share and then a tree in workgroup memory: the tensors it serves (one
 * weight's gradient) are small enough that one workgroup keeps up.
 */

/** The tfjs kernel's name. */
export const SUM_OF_SQUARES_KERNEL = 'FlowditSumOfSquares';

const WORKGROUP = 256;

function sumOfSquares(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.fround(values[i]! * values[i]!);
  return sum;
}

function cpuKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const sum = sumOfSquares(cpuValues(backend, inputs.x!));
  return (backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo }).makeTensorInfo([], 'float32', Float32Array.of(sum));
}

function wasmKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { outputs, inputViews, outputViews } = wasmViews(backend, [inputs.x!], [[]]);
  outputViews[0]![0] = sumOfSquares(inputViews[0]!);
  return outputs[0]!;
}

function webgpuKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const x = inputs.x!;
  const size = x.shape.reduce((a, b) => a * b, 1);
  const program: WebGPUProgram = {
    outputShape: [1],
    shaderKey: 'flowdit_sum_of_squares',
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    variableNames: ['X'],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: 'count : i32,',
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${WORKGROUP}>;
      fn main(index : i32) {
        let lane = i32(localIndex);
        var sum = 0.0;
        for (var i = lane; i < uniforms.count; i = i + ${WORKGROUP}) {
          sum = sum + X[i] * X[i];
        }
        partial[lane] = sum;
        workgroupBarrier();
        for (var stride = ${WORKGROUP / 2}; stride > 0; stride = stride / 2) {
          if (lane < stride) {
            partial[lane] = partial[lane] + partial[lane + stride];
          }
          workgroupBarrier();
        }
        if (lane == 0) {
          result[0] = partial[0];
        }
      }
    `,
  };
  const output = (backend as unknown as WebGPUBackend).runWebGPUProgram(program, [{ ...x, shape: [size] }], 'float32', [
    { type: 'int32', data: [size] },
  ]);
  return { ...output, shape: [] };
}

for (const [backendName, kernelFunc] of [
  ['cpu', cpuKernel],
  ['wasm', wasmKernel],
  ['webgpu', webgpuKernel],
] as const) {
  tf.registerKernel({ kernelName: SUM_OF_SQUARES_KERNEL, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/**
 * `Σ x²` over every element, in one kernel.
 * @param x - a float32 tensor.
 * @returns a scalar (the caller owns it).
 */
export function sumOfSquaresOf(x: tf.Tensor): tf.Scalar {
  return tf.engine().runKernel(SUM_OF_SQUARES_KERNEL, { x }) as tf.Scalar;
}
