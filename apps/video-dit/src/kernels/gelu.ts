import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, runElementwise, wasmViews } from './elementwise.js';

/*
 * GELU with the tanh approximation, `x·σ(2u)` with `u = √(2/π)·(x + 0.044715·x³)` (the same as
 * `0.5·x·(1 + tanh u)`), and its derivative `σ(2u) + x·σ(2u)·(1 − σ(2u))·2u'`, one elementwise
 * kernel each way (the composed version: eight kernels forward, about twenty with its gradient).
 * cpu and wasm: JS loops in float64; webgpu: one elementwise program each way.
 */

export const GELU_KERNEL = 'FlowditGelu';
export const GELU_GRAD_KERNEL = 'FlowditGeluGrad';

const C1 = 2 * Math.sqrt(2 / Math.PI);
const C2 = 0.044715;

function forward(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v / (1 + Math.exp(-C1 * (v + C2 * v * v * v)));
  }
}

function backward(x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const s = 1 / (1 + Math.exp(-C1 * (v + C2 * v * v * v)));
    dx[i] = dy[i]! * (s + v * s * (1 - s) * C1 * (1 + 3 * C2 * v * v));
  }
}

type CpuBackend = { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };

const WGSL_SIGMOID = `(1.0 / (1.0 + exp(-uniforms.c1 * (X[i] + uniforms.c2 * X[i] * X[i] * X[i]))))`;

const kernels = {
  cpu: {
    forward: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) => {
      const x = cpuValues(backend, inputs.x!);
      const y = new Float32Array(x.length);
      forward(x, y);
      return (backend as CpuBackend).makeTensorInfo(inputs.x!.shape, 'float32', y);
    },
    backward: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) => {
      const x = cpuValues(backend, inputs.x!);
      const dx = new Float32Array(x.length);
      backward(x, cpuValues(backend, inputs.dy!), dx);
      return (backend as CpuBackend).makeTensorInfo(inputs.x!.shape, 'float32', dx);
    },
  },
  wasm: {
    forward: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) => {
      const { outputs, inputViews, outputViews } = wasmViews(backend, [inputs.x!], [inputs.x!.shape]);
      forward(inputViews[0]!, outputViews[0]!);
      return outputs[0]!;
    },
    backward: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) => {
      const { outputs, inputViews, outputViews } = wasmViews(backend, [inputs.x!, inputs.dy!], [inputs.x!.shape]);
      backward(inputViews[0]!, inputViews[1]!, outputViews[0]!);
      return outputs[0]!;
    },
  },
  webgpu: {
    forward: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) =>
      runElementwise(backend, 'gelu', { X: inputs.x! }, `X[i] * ${WGSL_SIGMOID}`, [{ name: 'c1', value: C1 }, { name: 'c2', value: C2 }], inputs.x!.shape),
    backward: ({ inputs, backend }: Parameters<tf.KernelFunc>[0]) =>
      runElementwise(
        backend,
        'gelu_grad',
        { X: inputs.x!, DY: inputs.dy! },
        `DY[i] * (${WGSL_SIGMOID} + X[i] * ${WGSL_SIGMOID} * (1.0 - ${WGSL_SIGMOID}) * uniforms.c1 * (1.0 + 3.0 * uniforms.c2 * X[i] * X[i]))`,
        [{ name: 'c1', value: C1 }, { name: 'c2', value: C2 }],
        inputs.x!.shape,
      ),
  },
};

for (const [backendName, { forward: f, backward: b }] of Object.entries(kernels)) {
  tf.registerKernel({ kernelName: GELU_KERNEL, backendName, kernelFunc: f as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: GELU_GRAD_KERNEL, backendName, kernelFunc: b as unknown as tf.KernelFunc });
}

/**
 * Whether the fused GELU runs on the current backend.
 * @returns true on cpu, wasm and webgpu.
 */
export function fusedGeluAvailable(): boolean {
  return tf.getKernel(GELU_KERNEL, tf.getBackend()) !== undefined;
}

const fused = tf.customGrad((x, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor]);
  return {
    value: tf.engine().runKernel(GELU_KERNEL, { x: x as tf.Tensor }) as tf.Tensor,
    gradFunc: (dy, [saved]) => tf.engine().runKernel(GELU_GRAD_KERNEL, { x: saved as tf.Tensor, dy: dy as tf.Tensor }) as tf.Tensor,
  };
});

/**
 * GELU (tanh approximation) of every element, one kernel each way.
 * @param x - any float32 tensor.
 * @returns the same shape.
 */
export function fusedGelu<T extends tf.Tensor>(x: T): T {
  return fused(x) as T;
}
