import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test } from 'vitest';
import { type CapturedWork, captureWork } from './captured-work.js';
import { dawnPrototypes } from './dawn-hooks.js';
import { deviceTensor } from './device-tensor.js';
import type { GpuUncapturedError } from './errors.js';
import { initBackend } from './init-backend.js';
import { activeWebGpuDevice } from './webgpu.js';
import { countWork } from './work-counters.js';

const values = (length: number, seed: number) => Float32Array.from({ length }, (_, i) => Math.sin(seed * 1.7 + i * 0.31));
/** A tensor already on the GPU: a recording refuses to upload one. */
const onGpu = (shape: number[], seed: number) => deviceTensor(values(shape.reduce((a, b) => a * b, 1), seed), shape);
/** A variable with a buffer of its own. */
function variableOnGpu(shape: number[], seed: number): tf.Variable {
  const initial = onGpu(shape, seed);
  const variable = tf.variable(initial);
  initial.dispose();
  return variable;
}

describe.runIf(process.env.VK_DRIVER_FILES)('captureWork on webgpu', () => {
  const made: (CapturedWork | tf.Tensor)[] = [];
  afterEach(() => {
    for (const thing of made.splice(0)) thing.dispose();
  });

  /** relu(x·w + b) and its sum: kept tensors only, so it records. */
  function layer(w: tf.Variable, b: tf.Tensor) {
    return ([x]: tf.Tensor[]) => {
      const y = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b));
      return [y, tf.sum(y)];
    };
  }

  test('replays the recorded dispatches on new inputs with the eager results, creating no buffer or bind group', async () => {
    await initBackend('webgpu');
    const w = variableOnGpu([64, 32], 1);
    const b = onGpu([32], 2);
    made.push(w, b);
    const work = layer(w, b);
    const { pass } = dawnPrototypes(activeWebGpuDevice()!);
    const [setBindGroup, dispatch] = [pass.setBindGroup, pass.dispatchWorkgroups];
    const first = captureWork([{ values: values(16 * 64, 3), shape: [16, 64] }], work);
    expect(first.refused).toBeUndefined();
    // the recording listened to tfjs's calls only while it ran: a replay calls Dawn directly
    expect([pass.setBindGroup, pass.dispatchWorkgroups]).toEqual([setBindGroup, dispatch]);
    const captured = first.captured!;
    made.push(captured);
    expect(captured.dispatches).toBeGreaterThan(0);
    for (const seed of [4, 5]) {
      const input = values(16 * 64, seed);
      const { result: outputs, work: cost } = await countWork(() => captured.replay([input]));
      const replayed = await Promise.all(outputs.map((t) => t.data()));
      expect(cost.kernels).toBe(0);
      expect(cost.gpu).toMatchObject({ dispatches: captured.dispatches, bindGroups: 0, buffersCreated: 0, submits: 1 });
      const eager = work([tf.tensor2d(input, [16, 64])]);
      const expected = await Promise.all(eager.map((t) => t.data()));
      tf.dispose(eager);
      expect(replayed.map((v) => Array.from(v))).toEqual(expected.map((v) => Array.from(v)));
    }
  });

  test('is refused, with the run still done, when the work turns a JS number into a tensor', async () => {
    await initBackend('webgpu');
    const tensors = tf.memory().numTensors;
    const { outputs, captured, refused } = captureWork([{ values: values(8, 1), shape: [8] }], ([x]) => [tf.mul(x!, 2.5)]);
    expect(captured).toBeUndefined();
    expect(refused).toMatch(/uploads data from the CPU/);
    expect(Array.from(await outputs[0]!.data())).toEqual(Array.from(values(8, 1), (v) => Math.fround(v * 2.5)));
    tf.dispose(outputs);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('is void once a tensor it reads is given a new buffer, and refuses to run', async () => {
    await initBackend('webgpu');
    const w = variableOnGpu([8, 4], 1);
    const b = onGpu([4], 2);
    made.push(w, b);
    const { captured } = captureWork([{ values: values(2 * 8, 3), shape: [2, 8] }], layer(w, b));
    made.push(captured!);
    expect(captured!.invalid).toBeUndefined();
    w.assign(tf.zerosLike(w));
    await w.data();
    expect(captured!.invalid).toMatch(/freed or given a new buffer/);
    expect(() => captured!.replay([values(16, 4)])).toThrow(/cannot run again/);
  });

  test('refuses inputs of another size, and frees everything it kept when disposed', async () => {
    await initBackend('webgpu');
    const tensors = tf.memory().numTensors;
    const bytes = (tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU;
    const w = variableOnGpu([8, 4], 1);
    const b = onGpu([4], 2);
    const { captured } = captureWork([{ values: values(2 * 8, 3), shape: [2, 8] }], layer(w, b));
    expect(() => captured!.replay([values(24, 4)])).toThrow('input 0 was recorded with 16 values, got 24');
    captured!.dispose();
    tf.dispose([w, b]);
    expect(tf.memory().numTensors).toBe(tensors);
    expect((tf.memory() as unknown as { numBytesInGPU: number }).numBytesInGPU).toBe(bytes);
  });

  test('a replay the GPU rejects still reports its uncaptured error', async () => {
    const errors: GpuUncapturedError[] = [];
    await initBackend('webgpu', { onGpuError: (error) => errors.push(error) });
    const w = variableOnGpu([8, 4], 1);
    const b = onGpu([4], 2);
    const { captured } = captureWork([{ values: values(2 * 8, 3), shape: [2, 8] }], layer(w, b));
    // the weight's buffer destroyed behind tfjs's back: the replay's submit uses a destroyed buffer
    const backend = tf.backend() as unknown as { tensorMap: { get(id: tf.DataId): { resource: GPUBuffer } }; device: GPUDevice };
    backend.tensorMap.get(w.dataId).resource.destroy();
    captured!.replay([values(16, 4)]);
    await backend.device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors.map((error) => error.message).join('\n')).toMatch(/uncaptured WebGPU/);
    captured!.dispose();
    // the last test of the file: its destroyed buffer goes back to a pool no later test uses
    tf.dispose([w, b]);
  });
});

