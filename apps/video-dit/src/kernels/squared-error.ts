import * as tf from '@tensorflow/tfjs-core';
import { cpuValues, runInvocations, wasmViews } from './elementwise.js';
import { runWorkgroupSum } from './sum-of-squares.js';

/*
 * The training loss `scale·Σ (prediction − target)²` in one kernel, its gradient to the
 * prediction `2·scale·(prediction − target)·dy` in one more. Composed, tfjs's mean and square
 * took some twelve kernels, and their gradients made a tensor of ones of the batch's size and two
 * scalars on the CPU at every step, which webgpu uploaded. cpu and wasm: JS loops, float64 sum;
 * webgpu: one workgroup's sum forward, one elementwise program backward.
 */

export const SQUARED_ERROR_KERNEL = 'FlowditSquaredError';
export const SQUARED_ERROR_GRAD_KERNEL = 'FlowditSquaredErrorGrad';

type Attrs = { scale: number };
type CpuBackend = { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };

function squaredError(prediction: Float32Array, target: Float32Array, scale: number): number {
  let sum = 0;
  for (let i = 0; i < prediction.length; i++) {
    const error = prediction[i]! - target[i]!;
    sum += error * error;
  }
  return scale * sum;
}

function gradient(prediction: Float32Array, target: Float32Array, dy: number, scale: number, out: Float32Array): void {
  const factor = 2 * scale * dy;
  for (let i = 0; i < prediction.length; i++) out[i] = factor * (prediction[i]! - target[i]!);
}

const kernels = {
  cpu: {
    forward: ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) => {
      const loss = squaredError(cpuValues(backend, inputs.prediction!), cpuValues(backend, inputs.target!), (attrs as Attrs).scale);
      return (backend as CpuBackend).makeTensorInfo([], 'float32', Float32Array.of(loss));
    },
    backward: ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) => {
      const prediction = cpuValues(backend, inputs.prediction!);
      const out = new Float32Array(prediction.length);
      gradient(prediction, cpuValues(backend, inputs.target!), cpuValues(backend, inputs.dy!)[0]!, (attrs as Attrs).scale, out);
      return (backend as CpuBackend).makeTensorInfo(inputs.prediction!.shape, 'float32', out);
    },
  },
  wasm: {
    forward: ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) => {
      const { outputs, inputViews, outputViews } = wasmViews(backend, [inputs.prediction!, inputs.target!], [[]]);
      outputViews[0]![0] = squaredError(inputViews[0]!, inputViews[1]!, (attrs as Attrs).scale);
      return outputs[0]!;
    },
    backward: ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) => {
      const { outputs, inputViews, outputViews } = wasmViews(backend, [inputs.prediction!, inputs.target!, inputs.dy!], [inputs.prediction!.shape]);
      gradient(inputViews[0]!, inputViews[1]!, inputViews[2]![0]!, (attrs as Attrs).scale, outputViews[0]!);
      return outputs[0]!;
    },
  },
  webgpu: {
    forward: ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) => {
      const { prediction, target } = inputs as Record<'prediction' | 'target', tf.TensorInfo>;
      const size = prediction.shape.reduce((a, b) => a * b, 1);
      // the scale is a WGSL literal: it is the same number every step
      const term = `${(attrs as Attrs).scale.toExponential()} * (X0[i] - X1[i]) * (X0[i] - X1[i])`;
      const sum = runWorkgroupSum(backend, `squared_error_${(attrs as Attrs).scale}`, [prediction, target], [{ size, term }]);
      return { ...sum, shape: [] };
    },
    backward: ({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]) => {
      const { prediction, target, dy } = inputs as Record<'prediction' | 'target' | 'dy', tf.TensorInfo>;
      const size = prediction.shape.reduce((a, b) => a * b, 1);
      const out = runInvocations(
        backend,
        'squared_error_grad',
        { P: prediction, T: target, DY: dy },
        size,
        size,
        'result[index] = uniforms.twiceScale * DY[0] * (P[index] - T[index]);',
        [{ name: 'twiceScale', type: 'f32', value: 2 * (attrs as Attrs).scale }],
      );
      return { ...out, shape: prediction.shape };
    },
  },
};

for (const [backendName, { forward, backward }] of Object.entries(kernels)) {
  tf.registerKernel({ kernelName: SQUARED_ERROR_KERNEL, backendName, kernelFunc: forward as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: SQUARED_ERROR_GRAD_KERNEL, backendName, kernelFunc: backward as unknown as tf.KernelFunc });
}

/**
 * Whether the fused squared error runs on the current backend.
 * @returns true on cpu, wasm and webgpu.
 */
export function fusedSquaredErrorAvailable(): boolean {
  return tf.getKernel(SQUARED_ERROR_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * `scale·Σ (prediction − target)²`, one kernel each way, differentiable in the prediction (the
 * target is a constant of the step: no gradient flows to it).
 * @param prediction - any float32 tensor.
 * @param target - the same shape.
 * @param scale - the sum's factor (1/size for a mean).
 * @returns a scalar.
 */
export function fusedSquaredError(prediction: tf.Tensor, target: tf.Tensor, scale: number): tf.Scalar {
  const loss = tf.customGrad((p, save) => {
    (save as tf.GradSaveFunc)([p as tf.Tensor, target]);
    return {
      value: tf.engine().runKernel(SQUARED_ERROR_KERNEL, { prediction: p as tf.Tensor, target }, { scale }) as tf.Scalar,
      gradFunc: (dy, [savedPrediction, savedTarget]) =>
        tf.engine().runKernel(SQUARED_ERROR_GRAD_KERNEL, { prediction: savedPrediction!, target: savedTarget!, dy: dy as tf.Tensor }, { scale }) as tf.Tensor,
    };
  });
  return loss(prediction) as tf.Scalar;
}
