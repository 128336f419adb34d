import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { BackendUnavailableError, backendLabel, initBackend } from './index.js';
import { findTensorflowBinding } from './tensorflow.js';

const noAdapterGpu = () => ({ requestAdapter: async () => null }) as unknown as GPU;
const tensorflowGpuReady = findTensorflowBinding('@tensorflow/tfjs-node-gpu').state === 'present';
const tensorflowAnyReady = tensorflowGpuReady || findTensorflowBinding('@tensorflow/tfjs-node').state === 'present';

function logged(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

async function matmulOnCurrentBackend(): Promise<Float32Array> {
  const a = tf.tensor2d(Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]);
  const b = tf.tensor2d(Array.from({ length: 8 }, (_, i) => Math.cos(i)), [4, 2]);
  const product = tf.matMul(a, b);
  const values = (await product.data()) as Float32Array;
  tf.dispose([a, b, product]);
  return values;
}

describe('initBackend', () => {
  test('forced cpu runs on cpu and says so', async () => {
    const { lines, log } = logged();
    const info = await initBackend('cpu', { log });
    expect(info).toMatchObject({ name: 'cpu', reason: 'forced', isGpu: false, software: false });
    expect(tf.getBackend()).toBe('cpu');
    expect(info.memoryBytes()).toBeUndefined();
    expect(lines[0]).toBe('backend cpu: forced');
  });

  test('forced wasm uses SIMD and gives the numbers cpu gives', async () => {
    await initBackend('cpu');
    const onCpu = await matmulOnCurrentBackend();
    const info = await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.description).toMatch(/with SIMD, one thread/);
    const onWasm = await matmulOnCurrentBackend();
    for (const [i, value] of onCpu.entries()) expect(onWasm[i]).toBeCloseTo(value, 5);
  });

  test.skipIf(tensorflowGpuReady)('auto with no WebGPU adapter and no tfjs-node-gpu binding picks wasm and says why', async () => {
    const { lines, log } = logged();
    const info = await initBackend('auto', { log, createGpu: noAdapterGpu });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.reason).toMatch(/^auto: no GPU backend, and wasm is the fastest CPU backend; skipped webgpu \(Dawn found no WebGPU adapter/);
    expect(info.reason).toMatch(/tensorflow \(.*@tensorflow\/tfjs-node-gpu/);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`backend wasm: ${info.reason}`);
  });

  test('forced webgpu with no adapter says what is missing and what to install', async () => {
    const attempt = initBackend('webgpu', { createGpu: noAdapterGpu });
    await expect(attempt).rejects.toThrow(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(/backend 'webgpu' is unavailable: Dawn found no WebGPU adapter.*To use it: /);
  });

  test("forced webgpu where Dawn cannot load names the 'webgpu' package", async () => {
    const broken = () => {
      throw new Error('dawn.node: invalid ELF header');
    };
    await expect(initBackend('webgpu', { createGpu: broken })).rejects.toThrow(
      /the 'webgpu' package \(Dawn\) failed to load: dawn.node: invalid ELF header/,
    );
  });

  test('rejects a name that is not a backend', async () => {
    await expect(initBackend('webgl' as 'cpu')).rejects.toThrow(
      new RangeError("backend must be 'auto' or one of webgpu, tensorflow, wasm, cpu; got 'webgl'"),
    );
  });
});

test.each([
  [{ name: 'webgpu', isGpu: true, software: false }, 'webgpu (hardware)'],
  [{ name: 'webgpu', isGpu: false, software: true }, 'webgpu (software)'],
  [{ name: 'tensorflow', isGpu: true, software: false }, 'tensorflow (CUDA)'],
  [{ name: 'tensorflow', isGpu: false, software: false }, 'tensorflow (CPU)'],
  [{ name: 'wasm', isGpu: false, software: false }, 'wasm'],
] as const)('backendLabel(%o) is %s', (info, label) => {
  expect(backendLabel(info)).toBe(label);
});

describe.skipIf(tensorflowAnyReady)('tfjs-node(-gpu) installed without its native binding', () => {
  test('the packages are present but their binding is not (what pnpm leaves when the download fails)', () => {
    const binding = findTensorflowBinding('@tensorflow/tfjs-node-gpu');
    expect(binding.state).toBe('no-binding');
  });

  test('forced tensorflow says what to install, without importing the package', async () => {
    const error = await initBackend('tensorflow').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const message = (error as Error).message;
    expect(message).toMatch(/@tensorflow\/tfjs-node-gpu and @tensorflow\/tfjs-node installed without their native binding/);
    expect(message).toMatch(/CUDA 11\.2 and cuDNN 8\.1/);
    expect(message).toMatch(/pnpm rebuild @tensorflow\/tfjs-node-gpu/);
    // A failed import of tfjs-node still registers its kernels; the binding is checked first instead.
    expect(tf.getKernelsForBackend('tensorflow')).toHaveLength(0);
  });
});
