import * as tf from '@tensorflow/tfjs-core';
import { simdMatMul } from './simd-wasm.js';

/*
 * 2-D products on the wasm backend in our SIMD module (assembly/matmul.ts), transposes included.
 * tfjs's wasm backend runs XNNPACK only for products without transposes, and packs the right
 * operand into a new XNNPACK operator whenever that operand is a new tensor (every gradient,
 * every weight after an update); a transposed product falls to a scalar loop, so each gradient
 * took a Transpose kernel first. Ours packs per call too, transposing on the way, and measured
 * faster at every shape of a small step (the app's README has the figures). It sums over k in
 * the order XNNPACK does, so products come out the same to the bit.
 * cpu and webgpu keep tfjs's own products: there, a transposed product costs nothing extra.
 */

export const MATMUL_KERNEL = 'FlowditMatMul';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

function wasmKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { a, b, bias } = inputs as Record<'a' | 'b', tf.TensorInfo> & { bias?: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
  const [m, k] = (transposeA ? [...a.shape].reverse() : a.shape) as [number, number];
  const [kb, n] = (transposeB ? [...b.shape].reverse() : b.shape) as [number, number];
  if (a.shape.length !== 2 || b.shape.length !== 2 || k !== kb) {
    throw new Error(`${MATMUL_KERNEL}: cannot multiply ${a.shape} by ${b.shape} (transposeA ${transposeA}, transposeB ${transposeB})`);
  }
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== n)) throw new Error(`${MATMUL_KERNEL}: a bias of shape ${bias.shape} for ${n} columns`);
  return simdMatMul(backend, a, b, bias, m, k, n, transposeA, transposeB);
}

tf.registerKernel({ kernelName: MATMUL_KERNEL, backendName: 'wasm', kernelFunc: wasmKernel as unknown as tf.KernelFunc });

/**
 * `op(a)·op(b)` of 2-D tensors, op a transpose or not: our SIMD kernel on wasm, tfjs's matMul
 * elsewhere. Not differentiable by itself: the model's dense layer gives it its gradient.
 * @param a - `[m, k]`, or `[k, m]` when transposeA.
 * @param b - `[k, n]`, or `[n, k]` when transposeB.
 * @returns `[m, n]`.
 */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB);
  return tf.engine().runKernel(MATMUL_KERNEL, { a, b }, { transposeA, transposeB } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * `a·b + bias` of 2-D tensors in one kernel: on wasm ours, the bias added as a separate add would
 * round it; elsewhere tfjs's fused product (on webgpu one dispatch instead of two). Not
 * differentiable by itself.
 * @param a - `[m, k]`.
 * @param b - `[k, n]`.
 * @param bias - `[n]`.
 * @returns `[m, n]`.
 */
export function matMul2dBias(a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') {
    // the kernel itself: tf.fused.matMul would add Reshape kernels around it to make the inputs 3-D
    return tf.engine().runKernel('_FusedMatMul', { a, b, bias }, { transposeA: false, transposeB: false, activation: 'linear' }) as tf.Tensor2D;
  }
  return tf.engine().runKernel(MATMUL_KERNEL, { a, b, bias }, { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}
