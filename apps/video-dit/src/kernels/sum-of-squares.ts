import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, wasmViews } from './elementwise.js';

/*
 * Σ x² over every element of several tensors, in one kernel (the composed version squared each
 * into a new tensor, summed it, and added the sums). cpu and wasm accumulate in float64, as
 * tfjs's cpu Sum does. webgpu sums in one workgroup per program, each invocation a strided share
 * and then a tree in workgroup memory, over at most seven tensors a program (with its output,
 * WebGPU's smallest storage-buffer limit); more tensors take a tree of programs over the partial
 * sums. The tensors it serves (gradients of weights) are small enough that one workgroup keeps up.
 */

/** The tfjs kernel's name. */
export const SUM_OF_SQUARES_KERNEL = 'FlowditSumOfSquares';

const WORKGROUP = 256;
/** Inputs of one webgpu program: the output takes the eighth storage buffer. */
const MAX_INPUTS = 7;

function inputList(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Object.keys(inputs)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((name) => inputs[name]!);
}

function sumOfSquares(arrays: readonly Float32Array[]): number {
  let sum = 0;
  for (const values of arrays) for (let i = 0; i < values.length; i++) sum += Math.fround(values[i]! * values[i]!);
  return sum;
}

function cpuKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const sum = sumOfSquares(inputList(inputs).map((x) => cpuValues(backend, x)));
  return (backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo }).makeTensorInfo([], 'float32', Float32Array.of(sum));
}

function wasmKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { outputs, inputViews, outputViews } = wasmViews(backend, inputList(inputs), [[]]);
  outputViews[0]![0] = sumOfSquares(inputViews);
  return outputs[0]!;
}

/** One summed term of {@link runWorkgroupSum}: a WGSL f32 expression of `i`, for i < size. */
export interface SummedTerm {
  size: number;
  term: string;
}

/**
 * Σ of every term over its range in one webgpu program: a single workgroup, each invocation a
 * strided share and then a tree in workgroup memory. Inputs are the WGSL arrays `X0`, `X1`, ….
 * @param backend - the webgpu backend.
 * @param key - names the shader (with the terms' form).
 * @param xs - the inputs.
 * @param terms - what is summed.
 * @returns a `[1]` output.
 */
export function runWorkgroupSum(backend: unknown, key: string, xs: readonly tf.TensorInfo[], terms: readonly SummedTerm[]): tf.TensorInfo {
  const program: WebGPUProgram = {
    outputShape: [1],
    shaderKey: `flowdit_${key}`,
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    variableNames: xs.map((_, i) => `X${i}`),
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: terms.map((_, k) => `n${k} : i32,`).join(' '),
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${WORKGROUP}>;
      fn main(index : i32) {
        let lane = i32(localIndex);
        var sum = 0.0;
        ${terms.map(({ term }, k) => `for (var i = lane; i < uniforms.n${k}; i = i + ${WORKGROUP}) { sum = sum + ${term}; }`).join('\n        ')}
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
  return (backend as WebGPUBackend).runWebGPUProgram(
    program,
    xs.map((x) => ({ ...x, shape: [x.shape.reduce((a, b) => a * b, 1)] })),
    'float32',
    terms.map(({ size }) => ({ type: 'int32', data: [size] })),
  );
}

/** One program: Σ over its inputs of Σ x² (squared: the first level) or Σ x (the partial sums above it). */
function webgpuSum(backend: unknown, xs: tf.TensorInfo[], square: boolean): tf.TensorInfo {
  const terms = xs.map((x, k) => ({ size: x.shape.reduce((a, b) => a * b, 1), term: square ? `X${k}[i] * X${k}[i]` : `X${k}[i]` }));
  return runWorkgroupSum(backend, `sum_of_squares_${xs.length}_${square}`, xs, terms);
}

function webgpuKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  let level = inputList(inputs);
  let square = true;
  const partials: tf.TensorInfo[] = [];
  for (;;) {
    const next: tf.TensorInfo[] = [];
    for (let start = 0; start < level.length; start += MAX_INPUTS) next.push(webgpuSum(backend, level.slice(start, start + MAX_INPUTS), square));
    square = false;
    if (next.length === 1) {
      for (const partial of partials) (backend as WebGPUBackend).disposeData(partial.dataId);
      return { ...next[0]!, shape: [] };
    }
    partials.push(...next);
    level = next;
  }
}

for (const [backendName, kernelFunc] of [
  ['cpu', cpuKernel],
  ['wasm', wasmKernel],
  ['webgpu', webgpuKernel],
] as const) {
  tf.registerKernel({ kernelName: SUM_OF_SQUARES_KERNEL, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

/**
 * `Σ x²` over every element of every tensor, in one kernel.
 * @param xs - float32 tensors (at least one).
 * @returns a scalar (the caller owns it).
 */
export function sumOfSquaresOf(xs: readonly tf.Tensor[]): tf.Scalar {
  return tf.engine().runKernel(SUM_OF_SQUARES_KERNEL, Object.fromEntries(xs.map((x, i) => [`x${i}`, x]))) as tf.Scalar;
}
