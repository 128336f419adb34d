import * as tf from '@tensorflow/tfjs-core';

/*
 * The packed layout's promise: applying 3D RoPE is one contiguous 1D RoPE kernel. For every
 * element of x `[batch, tokens, heads, headDim]`,
 *   out[c] = x[c]·cos[s, c] + direction·x[partner(c)]·sinSigned[s, c],
 * partner(c) = c ± D/2 (packed) or c ^ 1 (interleaved), with the tables `[tokens, headDim]` the
 * composed version uploads (the rotation's sign folded into sinSigned), or `[tokens, heads, headDim]`
 * when every head has its own (a ladder spanning heads, LTX-Video's). Its gradient is the same
 * kernel with direction −1. It rounds as the composed ops do (one product each, then their sum),
 * so cpu and wasm give the composed version's bits.
 *
 * Registered for the cpu, wasm and webgpu backends on first use (importing the package registers
 * nothing), by name: no backend package is imported here. Elsewhere `applyRope` keeps the
 * composed ops.
 */

/** The tfjs kernel's name. */
export const ROPE_KERNEL = 'FlowditRotaryEmbedding';

/** What the kernel needs of the webgpu backend (tfjs-backend-webgpu's `WebGPUBackend`). */
interface WebGpuBackendLike {
  runWebGPUProgram(
    program: object,
    inputs: tf.TensorInfo[],
    outputDtype: 'float32',
    uniforms: { type: 'int32' | 'float32'; data: number[] }[],
  ): tf.TensorInfo;
}

/** What the kernel needs of the wasm backend (tfjs-backend-wasm's `BackendWasm`). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array;
}

/** What the kernel needs of the cpu backend (tfjs-backend-cpu's `MathBackendCPU`). */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

interface RopeAttrs {
  /** Channel distance between the two members of a pair: D/2 packed, 1 interleaved. */
  pairWidth: number;
  /** 1 rotates by the table's angles, −1 by their negatives (the gradient). */
  direction: number;
  /** Heads with a table row of their own: 1 (shared by all heads) or the heads of x. */
  tableHeads: number;
}

function rotateValues(x: Float32Array, cos: Float32Array, sin: Float32Array, out: Float32Array, shape: number[], attrs: RopeAttrs): void {
  const [, tokens, heads, headDim] = shape as [number, number, number, number];
  const { pairWidth, direction, tableHeads } = attrs;
  const f = Math.fround;
  // a table row serves rowsPerTableRow consecutive rows of x (its heads, unless each has its own)
  const rowsPerTableRow = heads / tableHeads;
  const tableRows = tokens * tableHeads;
  // channel offsets of the two members of every pair within a row
  const pairs = headDim / 2;
  const firsts = new Int32Array(pairs);
  for (let j = 0; j < pairs; j++) firsts[j] = pairWidth === 1 ? 2 * j : j;
  const rows = x.length / headDim;
  for (let row = 0; row < rows; row++) {
    const base = row * headDim;
    const table = (Math.floor(row / rowsPerTableRow) % tableRows) * headDim;
    for (let j = 0; j < pairs; j++) {
      const a = base + firsts[j]!;
      const b = a + pairWidth;
      const ta = table + firsts[j]!;
      const tb = ta + pairWidth;
      const xa = x[a]!;
      const xb = x[b]!;
      out[a] = f(f(xa * cos[ta]!) + f(xb * (direction * sin[ta]!)));
      out[b] = f(f(xb * cos[tb]!) + f(xa * (direction * sin[tb]!)));
    }
  }
}

function inputsOf(inputs: tf.NamedTensorInfoMap): [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo] {
  return [inputs.x!, inputs.cos!, inputs.sin!];
}

function cpuKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const cpu = backend as unknown as CpuBackendLike;
  const tensors = inputsOf(inputs);
  const [x, cos, sin] = tensors.map((tensor) => cpu.data.get(tensor.dataId).values) as [Float32Array, Float32Array, Float32Array];
  const out = new Float32Array(x.length);
  rotateValues(x, cos, sin, out, tensors[0].shape, attrs as unknown as RopeAttrs);
  return cpu.makeTensorInfo(tensors[0].shape, 'float32', out);
}

function wasmKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const wasm = backend as unknown as WasmBackendLike;
  const tensors = inputsOf(inputs);
  // allocate first: a new allocation may grow the heap and detach views taken before it
  const output = wasm.makeOutput(tensors[0].shape, 'float32');
  const [x, cos, sin] = tensors.map((tensor) => wasm.typedArrayFromHeap(tensor)) as [Float32Array, Float32Array, Float32Array];
  rotateValues(x, cos, sin, wasm.typedArrayFromHeap(output), tensors[0].shape, attrs as unknown as RopeAttrs);
  return output;
}

const WORKGROUP = 64;

function webgpuKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const [x, cos, sin] = inputsOf(inputs);
  const [, tokens, heads, headDim] = x.shape as [number, number, number, number];
  const { pairWidth, direction, tableHeads } = attrs as unknown as RopeAttrs;
  const size = x.shape.reduce((a, b) => a * b, 1);
  const firstOfPair = pairWidth === 1 ? 'c % 2 == 0' : 'c < uniforms.pairWidth';
  const program = {
    outputShape: [size],
    shaderKey: `flowdit_rope_${pairWidth === 1 ? 'interleaved' : 'packed'}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    variableNames: ['X', 'Cos', 'Sin'],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: 'headDim : i32, rowsPerToken : i32, tokens : i32, pairWidth : i32, direction : f32,',
    getUserCode: () => `
      fn main(i : i32) {
        if (i < uniforms.size) {
          let c = i % uniforms.headDim;
          let row = i / uniforms.headDim;
          let t = ((row / uniforms.rowsPerToken) % uniforms.tokens) * uniforms.headDim + c;
          var partner = i - uniforms.pairWidth;
          if (${firstOfPair}) {
            partner = i + uniforms.pairWidth;
          }
          result[i] = X[i] * Cos[t] + X[partner] * (uniforms.direction * Sin[t]);
        }
      }
    `,
  };
  const flat = (tensor: tf.TensorInfo) => ({ ...tensor, shape: [tensor.shape.reduce((a, b) => a * b, 1)] });
  const output = (backend as unknown as WebGpuBackendLike).runWebGPUProgram(program, [flat(x), flat(cos), flat(sin)], 'float32', [
    { type: 'int32', data: [headDim] },
    { type: 'int32', data: [heads / tableHeads] },
    { type: 'int32', data: [tokens * tableHeads] },
    { type: 'int32', data: [pairWidth] },
    { type: 'float32', data: [direction] },
  ]);
  return { ...output, shape: x.shape };
}

const KERNELS = { cpu: cpuKernel, wasm: wasmKernel, webgpu: webgpuKernel } as const;

let registered = false;

/**
 * Whether the fused kernel runs on the current backend; registers it on first use.
 * @returns true on cpu, wasm and webgpu.
 */
export function fusedRopeAvailable(): boolean {
  if (!registered) {
    for (const [backendName, kernelFunc] of Object.entries(KERNELS)) {
      if (tf.getKernel(ROPE_KERNEL, backendName) === undefined) {
        tf.registerKernel({ kernelName: ROPE_KERNEL, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
      }
    }
    registered = true;
  }
  return tf.getKernel(ROPE_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * The rotation as one kernel: `x·cos + direction·partner(x)·sinSigned`.
 * @param x - `[batch, tokens, heads, headDim]` float32.
 * @param cos - `[tokens, tableHeads, headDim]` (or any shape of that size).
 * @param sinSigned - the same, the rotation's sign folded in.
 * @param pairWidth - D/2 for the packed layout, 1 for the interleaved one.
 * @param direction - 1, or −1 for the inverse rotation (the gradient).
 * @param tableHeads - 1 when all heads share a row, else the heads of x.
 * @returns a new tensor of x's shape.
 */
export function fusedRotation(x: tf.Tensor4D, cos: tf.Tensor, sinSigned: tf.Tensor, pairWidth: number, direction: 1 | -1, tableHeads = 1): tf.Tensor4D {
  return tf.engine().runKernel(ROPE_KERNEL, { x, cos, sin: sinSigned }, { pairWidth, direction, tableHeads }) as tf.Tensor4D;
}
