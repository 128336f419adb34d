import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core's ops
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { GpuReadSyncError, GpuUncapturedError } from './errors.js';
import { initBackend } from './init-backend.js';
import { activeWebGpuDevice, throwGpuError } from './webgpu.js';

const driverFiles = process.env.VK_DRIVER_FILES;

describe.skipIf(!driverFiles)(
  'webgpu on the Vulkan driver VK_DRIVER_FILES names (skipped without it: run scripts/setup-lavapipe.sh and source .vendor/lavapipe/env)',
  () => {
    const gpuErrors: GpuUncapturedError[] = [];

    beforeAll(async () => {
      await import('@tensorflow/tfjs-backend-cpu');
    });

    afterEach(() => {
      // Any uncaptured GPU error fails the test it happened in.
      expect(gpuErrors.splice(0).map((error) => error.message)).toEqual([]);
    });

    test('forced webgpu describes the adapter and its limits, and says a software adapter is not a GPU', async () => {
      const lines: string[] = [];
      const info = await initBackend('webgpu', { log: (line) => lines.push(line), onGpuError: (error) => gpuErrors.push(error) });
      expect(tf.getBackend()).toBe('webgpu');
      expect(info.description).toMatch(/^WebGPU adapter vendor '.*', architecture '.*'.*; maxStorageBufferBindingSize \d+ MiB, maxBufferSize \d+ MiB, maxStorageBuffersPerShaderStage \d+$/);
      if (info.software) {
        expect(info.isGpu).toBe(false);
        expect(info.reason).toBe('forced: a software adapter, which runs on the CPU (auto never picks it)');
        expect(info.description).toMatch(/software \(runs on the CPU\)/);
      }
      expect(lines).toEqual([`backend webgpu: ${info.reason}`, `  device: ${info.description}`]);
    });

    test('the device has the adapter limit on storage buffers, not the default 8', async () => {
      await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
      const device = activeWebGpuDevice()!;
      expect(device.limits.maxStorageBuffersPerShaderStage).toBeGreaterThan(8);
    });

    test('memoryBytes reports the GPU memory held by tensors', async () => {
      const info = await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
      const before = info.memoryBytes()!;
      const x = tf.ones([1024]);
      const doubled = tf.add(x, x);
      await doubled.data();
      expect(info.memoryBytes()! - before).toBeGreaterThanOrEqual(4096);
      tf.dispose([x, doubled]);
    });

    test.each([8, 9, 12, 15, 16, 40, 300])('tf.addN of %i tensors gives the right sums', async (count) => {
      await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
      const inputs = Array.from({ length: count }, (_, i) => tf.tensor1d([i + 1, 10 * (i + 1), -0.5 * i]));
      const sum = tf.addN(inputs);
      const n = count;
      expect(Array.from(await sum.data())).toEqual([(n * (n + 1)) / 2, (10 * n * (n + 1)) / 2, (-0.5 * n * (n - 1)) / 2]);
      tf.dispose([...inputs, sum]);
    });

    test('tf.addN of more tensors than the device has storage buffers frees its partial sums', async () => {
      await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
      const limit = activeWebGpuDevice()!.limits.maxStorageBuffersPerShaderStage;
      const inputs = Array.from({ length: 3 * limit }, () => tf.ones([4]));
      const before = tf.memory().numTensors;
      const sum = tf.addN(inputs);
      expect(Array.from(await sum.data())).toEqual([3 * limit, 3 * limit, 3 * limit, 3 * limit]);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(tf.engine().backend.numDataIds()).toBe(before + 1);
      tf.dispose([...inputs, sum]);
    });

    test.each([
      [[0, 1, 3, 5, 2, 4, 6, 7]],
      [[0, 1, 2, 3, 4, 5, 6, 7]],
    ])('a transpose of 8 axes by %j (tubelet patchify) and its gradient match cpu', async (perm) => {
      const shape = [2, 2, 2, 2, 4, 2, 4, 3];
      const size = shape.reduce((a, b) => a * b, 1);
      const results: number[][] = [];
      for (const name of ['cpu', 'webgpu'] as const) {
        await initBackend(name, { onGpuError: (error) => gpuErrors.push(error) });
        const x = tf.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i)), shape);
        const weights = tf.tensor1d(Float32Array.from({ length: size }, (_, i) => Math.cos(i)));
        const moved = tf.transpose(x, perm);
        // Like patchify, the 8-axis tensor is only reshaped afterwards: webgpu has no rank-8 arithmetic.
        const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.reshape(tf.transpose(input, perm), [size]), weights)))(x);
        results.push([...(await moved.data()), ...(await gradient.data())]);
        tf.dispose([x, weights, moved, gradient]);
      }
      expect(results[1]).toEqual(results[0]);
    });

    test('a synchronous read of GPU data says to read asynchronously', async () => {
      await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
      // Large enough that tfjs does not hand the addition to the CPU.
      const x = tf.range(0, 4096);
      const doubled = tf.add(x, x);
      expect(() => doubled.dataSync()).toThrow(GpuReadSyncError);
      expect(() => doubled.dataSync()).toThrow(/dataSync\(\)\/arraySync\(\) cannot read a tensor back from the GPU in Node .*use `await tensor.data\(\)`/);
      expect((await doubled.data())[4095]).toBe(8190);
      tf.dispose([x, doubled]);
    });

    test('an invalid GPU operation that Dawn only prints reaches the error handler', async () => {
      await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
      const device = activeWebGpuDevice()!;
      device.createShaderModule({ code: '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_name; }' });
      await device.queue.onSubmittedWorkDone();
      expect(gpuErrors).toHaveLength(1);
      expect(gpuErrors[0]).toBeInstanceOf(GpuUncapturedError);
      expect(gpuErrors[0]!.message).toMatch(/^uncaptured WebGPU GPUValidationError: .*undefined_name/s);
      gpuErrors.length = 0;
    });

    test('by default an uncaptured GPU error is thrown outside the GPU callback, so it ends the run', () => {
      const error = new GpuUncapturedError('uncaptured WebGPU GPUValidationError: test');
      const deferred: (() => void)[] = [];
      const nextTick = vi.spyOn(process, 'nextTick').mockImplementation((callback) => {
        deferred.push(callback as () => void);
      });
      throwGpuError(error);
      nextTick.mockRestore();
      expect(deferred).toHaveLength(1);
      expect(() => deferred[0]!()).toThrow(error);
    });

    test('auto does not pick a software adapter, and says so', async () => {
      const info = await initBackend('auto');
      const adapterSoftware = (await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) })).software;
      if (adapterSoftware) {
        expect(info.name).not.toBe('webgpu');
        expect(info.reason).toMatch(/skipped webgpu \(only a software adapter, slower than wasm; --backend webgpu forces it\)/);
      } else {
        expect(info.name).toBe('webgpu');
      }
    }, 30_000);
  },
);
