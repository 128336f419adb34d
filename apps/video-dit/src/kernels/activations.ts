import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, runElementwise, wasmViews } from './elementwise.js';
import { simdGelu, simdGeluGrad } from './simd-wasm.js';

/*
 * The model's activations, one elementwise kernel each way (composed, GELU was eight kernels
 * forward and about twenty with its gradient; SiLU's sigmoid gradient made a scalar 1 on the CPU
 * at every step, which webgpu uploaded):
 *   GELU, tanh approximation: x·σ(2u), u = √(2/π)·(x + 0.044715·x³) (the same as 0.5·x·(1 + tanh u)),
 *     derivative σ(2u) + x·σ(2u)·(1 − σ(2u))·2u';
 *   SiLU: x·σ(x), derivative σ(x)·(1 + x·(1 − σ(x))).
 * cpu: JS loops in float64; wasm: GELU in f32x4 in our SIMD module (assembly/activations.ts;
 * the JS loop's Math.exp per element made GELU a quarter of a small step), SiLU, on a few rows
 * per clip only, in the JS loop; webgpu: one elementwise program each way.
 */

export const GELU_KERNEL = 'FlowditGelu';
export const SILU_KERNEL = 'FlowditSilu';

const C1 = 2 * Math.sqrt(2 / Math.PI);
const C2 = 0.044715;

interface Activation {
  kernel: string;
  /** y = f(x) over every element, in JS. */
  forward(x: Float32Array, y: Float32Array): void;
  /** dx = dy·f'(x) over every element, in JS. */
  backward(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** The same two in SIMD wasm on the wasm backend's tensors, where there are. */
  simd?: {
    forward(backend: unknown, x: tf.TensorInfo): tf.TensorInfo;
    backward(backend: unknown, x: tf.TensorInfo, dy: tf.TensorInfo): tf.TensorInfo;
  };
  /** f(X[i]) and f'(X[i]) as WGSL f32 expressions. */
  wgslValue: string;
  wgslSlope: string;
}

const WGSL_GELU_SIGMOID = `(1.0 / (1.0 + exp(-${C1} * (X[i] + ${C2} * X[i] * X[i] * X[i]))))`;
const WGSL_SIGMOID = '(1.0 / (1.0 + exp(-X[i])))';

// Each activation writes its own loops: one loop calling f per element, shared by both, made the
// call polymorphic and measured 3× slower (11.3 against 3.6 ms over 262,144 values).
const ACTIVATIONS: readonly Activation[] = [
  {
    kernel: GELU_KERNEL,
    forward: (x, y) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v / (1 + Math.exp(-C1 * (v + C2 * v * v * v)));
      }
    },
    backward: (x, dy, dx) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const s = 1 / (1 + Math.exp(-C1 * (v + C2 * v * v * v)));
        dx[i] = dy[i]! * (s + v * s * (1 - s) * C1 * (1 + 3 * C2 * v * v));
      }
    },
    simd: { forward: simdGelu, backward: simdGeluGrad },
    wgslValue: `X[i] * ${WGSL_GELU_SIGMOID}`,
    wgslSlope: `${WGSL_GELU_SIGMOID} + X[i] * ${WGSL_GELU_SIGMOID} * (1.0 - ${WGSL_GELU_SIGMOID}) * ${C1} * (1.0 + ${3 * C2} * X[i] * X[i])`,
  },
  {
    kernel: SILU_KERNEL,
    forward: (x, y) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v / (1 + Math.exp(-v));
      }
    },
    backward: (x, dy, dx) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const s = 1 / (1 + Math.exp(-v));
        dx[i] = dy[i]! * s * (1 + v * (1 - s));
      }
    },
    wgslValue: `X[i] * ${WGSL_SIGMOID}`,
    wgslSlope: `${WGSL_SIGMOID} * (1.0 + X[i] * (1.0 - ${WGSL_SIGMOID}))`,
  },
];

type CpuBackend = { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
type KernelArgs = Parameters<tf.KernelFunc>[0];

function kernelsOf(f: Activation): Record<'cpu' | 'wasm' | 'webgpu', { forward(args: KernelArgs): tf.TensorInfo; backward(args: KernelArgs): tf.TensorInfo }> {
  const key = f.kernel.toLowerCase();
  return {
    cpu: {
      forward: ({ inputs, backend }) => {
        const x = cpuValues(backend, inputs.x!);
        const y = new Float32Array(x.length);
        f.forward(x, y);
        return (backend as CpuBackend).makeTensorInfo(inputs.x!.shape, 'float32', y);
      },
      backward: ({ inputs, backend }) => {
        const x = cpuValues(backend, inputs.x!);
        const dx = new Float32Array(x.length);
        f.backward(x, cpuValues(backend, inputs.dy!), dx);
        return (backend as CpuBackend).makeTensorInfo(inputs.x!.shape, 'float32', dx);
      },
    },
    wasm: {
      forward: ({ inputs, backend }) => {
        if (f.simd !== undefined) return f.simd.forward(backend, inputs.x!);
        const { outputs, inputViews, outputViews } = wasmViews(backend, [inputs.x!], [inputs.x!.shape]);
        f.forward(inputViews[0]!, outputViews[0]!);
        return outputs[0]!;
      },
      backward: ({ inputs, backend }) => {
        if (f.simd !== undefined) return f.simd.backward(backend, inputs.x!, inputs.dy!);
        const { outputs, inputViews, outputViews } = wasmViews(backend, [inputs.x!, inputs.dy!], [inputs.x!.shape]);
        f.backward(inputViews[0]!, inputViews[1]!, outputViews[0]!);
        return outputs[0]!;
      },
    },
    webgpu: {
      forward: ({ inputs, backend }) => runElementwise(backend, key, { X: inputs.x! }, f.wgslValue, [], inputs.x!.shape),
      backward: ({ inputs, backend }) => runElementwise(backend, `${key}_grad`, { X: inputs.x!, DY: inputs.dy! }, `DY[i] * (${f.wgslSlope})`, [], inputs.x!.shape),
    },
  };
}

for (const activation of ACTIVATIONS) {
  for (const [backendName, { forward, backward }] of Object.entries(kernelsOf(activation))) {
    tf.registerKernel({ kernelName: activation.kernel, backendName, kernelFunc: forward as unknown as tf.KernelFunc });
    tf.registerKernel({ kernelName: `${activation.kernel}Grad`, backendName, kernelFunc: backward as unknown as tf.KernelFunc });
  }
}

/**
 * Whether the fused activations run on the current backend.
 * @returns true on cpu, wasm and webgpu.
 */
export function fusedActivationsAvailable(): boolean {
  return tf.getKernel(GELU_KERNEL, tf.getBackend()) !== undefined;
}

function fusedActivation(kernel: string): <T extends tf.Tensor>(x: T) => T {
  const apply = tf.customGrad((x, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor]);
    return {
      value: tf.engine().runKernel(kernel, { x: x as tf.Tensor }) as tf.Tensor,
      gradFunc: (dy, [saved]) => tf.engine().runKernel(`${kernel}Grad`, { x: saved as tf.Tensor, dy: dy as tf.Tensor }) as tf.Tensor,
    };
  });
  return <T extends tf.Tensor>(x: T) => apply(x) as T;
}

/**
 * GELU (tanh approximation) of every element, one kernel each way.
 * @param x - any float32 tensor.
 * @returns the same shape.
 */
export const fusedGelu = fusedActivation(GELU_KERNEL);

/**
 * SiLU `x·σ(x)` of every element, one kernel each way.
 * @param x - any float32 tensor.
 * @returns the same shape.
 */
export const fusedSilu = fusedActivation(SILU_KERNEL);
