import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { dawnPrototypes } from './dawn-hooks.js';
import { initBackend } from './init-backend.js';
import { activeWebGpuDevice } from './webgpu.js';
import { countWork } from './work-counters.js';

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

describe.each(backends)('countWork on %s', (backend) => {
  test('counts the kernels a piece of work runs, by name, and nothing before or after it', async () => {
    await initBackend(backend);
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.tensor1d([4, 5, 6]);
    await countWork(() => tf.dispose(tf.add(a, b)));
    const { result, work } = await countWork(() => tf.tidy(() => tf.mul(tf.add(a, b), tf.add(a, a))));
    expect(work.kernels).toBe(3);
    expect(work.kernelsByName).toEqual({ Add: 2, Multiply: 1 });
    expect(Array.from(await result.data())).toEqual([10, 28, 54]);
    const { work: none } = await countWork(() => undefined);
    expect(none.kernels).toBe(0);
    tf.dispose([a, b, result]);
  });
});

describe.skipIf(!process.env.VK_DRIVER_FILES)('countWork on webgpu (lavapipe)', () => {
  test('counts the dispatches, bind groups, uniform writes, uploads, submits and readbacks', async () => {
    await initBackend('webgpu');
    const device = activeWebGpuDevice()!;
    const { pass } = dawnPrototypes(device);
    const [dispatch, submit] = [pass.dispatchWorkgroups, device.queue.submit];
    const values = Float32Array.from({ length: 1024 }, (_, i) => i);
    const { work } = await countWork(async () => {
      const x = tf.tensor1d(values);
      const y = tf.tidy(() => tf.add(tf.mul(x, x), x));
      await y.data();
      tf.dispose([x, y]);
    });
    const gpu = work.gpu!;
    expect(work.kernels).toBe(2);
    expect(gpu.dispatches).toBe(2);
    expect(gpu.bindGroups).toBe(2);
    // every program writes its uniforms
    expect(gpu.bufferWrites).toBe(2);
    expect(gpu.uploads).toBe(1);
    expect(gpu.bytesUploaded).toBe(4096);
    expect(gpu.readbacks).toBe(1);
    expect(gpu.bytesRead).toBe(4096);
    expect(gpu.submits).toBeGreaterThanOrEqual(1);
    // the counters are off again: calls outside a count go straight to Dawn
    expect([pass.dispatchWorkgroups, device.queue.submit]).toEqual([dispatch, submit]);
    expect(Object.hasOwn(device.queue, 'submit')).toBe(false);
  });
});
