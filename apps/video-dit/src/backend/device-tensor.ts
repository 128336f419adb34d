import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';

/*
 * tfjs-webgpu uploads a tensor made from JS values through a staging buffer it creates for that
 * upload alone: one new GPU buffer per batch tensor per step. Written by queue.writeBuffer into a
 * buffer from tfjs's own pool instead, the step's batch creates none. The pool hands out only
 * buffers that no unsubmitted command still reads (tfjs returns them at submit), and the queue
 * orders the write after the work already submitted.
 */

/**
 * A float32 tensor of these values on the current backend: on webgpu written straight into a
 * pooled GPU buffer; elsewhere as `tf.tensor` makes it.
 * @param values - row-major values.
 * @param shape - the tensor's shape (its size is `values.length`).
 * @returns a new tensor the caller owns.
 * @throws {RangeError} when the shape does not hold `values.length` elements.
 */
export function deviceTensor(values: Float32Array, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== values.length) throw new RangeError(`shape [${shape.join(', ')}] holds ${size} values, got ${values.length}`);
  if (tf.getBackend() !== 'webgpu' || size === 0) return tf.tensor(values, shape, 'float32');
  const backend = tf.backend() as WebGPUBackend;
  const info = backend.makeTensorInfo(shape, 'float32');
  backend.uploadToGPU(info.dataId);
  const { resource } = backend.tensorMap.get(info.dataId) as { resource: GPUBuffer };
  backend.queue.writeBuffer(resource, 0, values.buffer, values.byteOffset, values.byteLength);
  return tf.engine().makeTensorFromTensorInfo(info);
}
