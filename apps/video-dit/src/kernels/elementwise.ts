import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type * as tf from '@tensorflow/tfjs-core';

/*
 * What the app's kernels share: float32 views of a tensor's data on the cpu and wasm backends
 * (their own buffers, read and written in place by plain JS loops), a flat elementwise WebGPU
 * program whose per-step numbers are uniforms, so that nothing is uploaded for them, and WebGPU
 * programs of one invocation per row.
 */

/** The sizes of a tensor of rows modulated per clip: `batch` clips of `tokens` rows of `width`. */
export interface ModulatedDims {
  batch: number;
  tokens: number;
  width: number;
}

/**
 * The sizes of `x`, rows of clips in order (`[batch, tokens, width]` or `[batch·tokens, width]`),
 * modulated by `[batch, width]`.
 * @param x - the rows.
 * @param modulation - one row per clip.
 * @returns batch and width from the modulation, the tokens of a clip from x's size.
 */
export function modulatedDims(x: tf.TensorInfo, modulation: tf.TensorInfo): ModulatedDims {
  const [batch, width] = modulation.shape as [number, number];
  return { batch, width, tokens: x.shape.reduce((a, b) => a * b, 1) / (batch * width) };
}

/** A float32 view of a tensor's data on the cpu backend (its own array, not a copy). */
export function cpuValues(backend: unknown, tensor: tf.TensorInfo): Float32Array {
  return (backend as unknown as { data: { get(id: tf.DataId): { values: Float32Array } } }).data.get(tensor.dataId).values;
}

/**
 * New float32 outputs on the wasm backend.
 * @param backend - the wasm backend.
 * @param shapes - their shapes.
 * @returns the outputs.
 */
export function wasmOutputs(backend: unknown, shapes: readonly number[][]): tf.TensorInfo[] {
  return shapes.map((shape) => (backend as unknown as BackendWasm).makeOutput(shape, 'float32'));
}

/**
 * New float32 outputs on the wasm backend and float32 views of every tensor's data in its heap.
 * The views are taken after all outputs are allocated: an allocation may grow the heap, which
 * detaches earlier views.
 * @param backend - the wasm backend.
 * @param inputs - tensors to read.
 * @param outputShapes - the shapes of the outputs to allocate.
 * @returns the outputs and the views of the inputs and of the outputs.
 */
export function wasmViews(
  backend: unknown,
  inputs: readonly tf.TensorInfo[],
  outputShapes: readonly number[][],
): { outputs: tf.TensorInfo[]; inputViews: Float32Array[]; outputViews: Float32Array[] } {
  const wasm = backend as unknown as BackendWasm;
  const outputs = wasmOutputs(backend, outputShapes);
  const view = (tensor: tf.TensorInfo) => wasm.typedArrayFromHeap(tensor) as Float32Array;
  return { outputs, inputViews: inputs.map(view), outputViews: outputs.map(view) };
}

/** One scalar a WebGPU program takes as a uniform: its WGSL name and this run's value. */
export interface Uniform {
  name: string;
  value: number;
}

/**
 * Runs `out[i] = expression` over every index of the output on webgpu. Inputs are bound by name
 * (the WGSL arrays `A`, `B`, … or the names given) and read at `i`; each uniform is a WGSL `f32`
 * named like it, written with the program's other uniforms.
 * @param backend - the webgpu backend.
 * @param key - names the shader (with the expression's form, not its numbers).
 * @param inputs - tensors of the output's size, by WGSL name.
 * @param expression - a WGSL f32 expression of `NAME[i]` and `uniforms.NAME`.
 * @param uniforms - this run's scalars.
 * @param shape - the output's shape.
 * @returns the output.
 */
export function runElementwise(
  backend: unknown,
  key: string,
  inputs: Readonly<Record<string, tf.TensorInfo>>,
  expression: string,
  uniforms: readonly Uniform[],
  shape: number[],
): tf.TensorInfo {
  const webgpu = backend as unknown as WebGPUBackend;
  const size = shape.reduce((a, b) => a * b, 1);
  const workgroupSize: [number, number, number] = [64, 1, 1];
  const program: WebGPUProgram = {
    outputShape: [size],
    shaderKey: `flowdit_${key}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(size / workgroupSize[0]), 1, 1],
    variableNames: Object.keys(inputs),
    workgroupSize,
    size: true,
    ...(uniforms.length === 0 ? {} : { uniforms: uniforms.map(({ name }) => `${name} : f32,`).join(' ') }),
    getUserCode: () => `
      fn main(i : i32) {
        if (i < uniforms.size) {
          result[i] = ${expression};
        }
      }
    `,
  };
  const flat = Object.values(inputs).map((tensor) => ({ ...tensor, shape: [size] }));
  const output = webgpu.runWebGPUProgram(
    program,
    flat,
    'float32',
    uniforms.map(({ value }) => ({ type: 'float32', data: [value] })),
  );
  return { ...output, shape };
}

/** A uniform of {@link runInvocations}: its WGSL name, type and this run's value. */
export interface TypedUniform {
  name: string;
  type: 'i32' | 'f32';
  value: number;
}

/**
 * Runs `body` once per invocation `index` (0 ≤ index < invocations) on webgpu, each writing what
 * it computes into `result` (a flat float32 output of `outputSize`). Inputs are bound by name as
 * flat arrays; WebGPU drops the bindings a shader leaves unread, so name only those it reads.
 * @param backend - the webgpu backend.
 * @param key - names the shader (with `prelude` and `body`'s form, not their numbers).
 * @param inputs - tensors by WGSL name.
 * @param invocations - how many times `body` runs.
 * @param outputSize - elements of the output.
 * @param body - WGSL statements of `index`.
 * @param uniforms - this run's numbers, `uniforms.NAME` in WGSL.
 * @param prelude - WGSL declarations before `main` (constants, helper functions).
 * @returns the flat output.
 */
export function runInvocations(
  backend: unknown,
  key: string,
  inputs: Readonly<Record<string, tf.TensorInfo>>,
  invocations: number,
  outputSize: number,
  body: string,
  uniforms: readonly TypedUniform[],
  prelude = '',
): tf.TensorInfo {
  const workgroupSize: [number, number, number] = [64, 1, 1];
  return runFlatProgram(
    backend,
    {
      outputShape: [outputSize],
      shaderKey: `flowdit_${key}`,
      dispatchLayout: { x: [0] },
      dispatch: [Math.ceil(invocations / workgroupSize[0]), 1, 1],
      workgroupSize,
      getUserCode: () => `
        ${prelude}
        fn main(index : i32) {
          if (index >= uniforms.invocations) { return; }
          ${body}
        }
      `,
    },
    inputs,
    [{ name: 'invocations', type: 'i32', value: invocations }, ...uniforms],
  );
}

/**
 * Runs a webgpu program of flat float32 arrays: the inputs bound by their WGSL names as flat
 * arrays, the uniforms declared in order and given this run's values.
 * @param backend - the webgpu backend.
 * @param program - the program, but its variable names and uniforms.
 * @param inputs - tensors by WGSL name.
 * @param uniforms - `uniforms.NAME` in WGSL.
 * @returns the flat output.
 */
export function runFlatProgram(
  backend: unknown,
  program: Omit<WebGPUProgram, 'variableNames' | 'uniforms'>,
  inputs: Readonly<Record<string, tf.TensorInfo>>,
  uniforms: readonly TypedUniform[],
): tf.TensorInfo {
  const declared: WebGPUProgram = {
    ...program,
    variableNames: Object.keys(inputs),
    uniforms: uniforms.map(({ name, type }) => `${name} : ${type},`).join(' '),
  };
  const flat = Object.values(inputs).map((tensor) => ({ ...tensor, shape: [tensor.shape.reduce((a, b) => a * b, 1)] }));
  return (backend as WebGPUBackend).runWebGPUProgram(
    declared,
    flat,
    'float32',
    uniforms.map(({ type, value }) => ({ type: type === 'i32' ? 'int32' : 'float32', data: [value] })),
  );
}
