import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { deviceTensor } from './device-tensor.js';
import { initBackend } from './init-backend.js';
import { ReplayedWork } from './replayed-work.js';

const values = (length: number, seed: number) => Float32Array.from({ length }, (_, i) => Math.sin(seed * 1.3 + i * 0.7));
const input = (rows: number, seed: number) => ({ values: values(rows * 8, seed), shape: [rows, 8] });

/** Runs the work and reads its first output, releasing the run. */
async function firstOutput(replayed: ReplayedWork, rows: number, seed: number): Promise<number[]> {
  const { outputs, release } = replayed.run([input(rows, seed)]);
  const read = Array.from(await outputs[0]!.data());
  release();
  return read;
}

describe.runIf(process.env.VK_DRIVER_FILES)('ReplayedWork on webgpu', () => {
  test('replays once a second recording agrees, records anew when the shapes change, and gives correct outputs throughout', async () => {
    await initBackend('webgpu');
    const w = deviceTensor(values(8 * 3, 9), [8, 3]);
    const work = ([x]: tf.Tensor[]) => [tf.relu(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D))];
    const replayed = new ReplayedWork(work);
    const tensors = tf.memory().numTensors;
    const expected = async (rows: number, seed: number) => {
      const [y] = tf.tidy(() => work([tf.tensor2d(input(rows, seed).values, [rows, 8])]));
      const read = Array.from(await y!.data());
      y!.dispose();
      return read;
    };
    for (const [rows, seed] of [[2, 1], [2, 2], [2, 3], [2, 4], [3, 5], [3, 6], [3, 7]] as const) {
      expect(await firstOutput(replayed, rows, seed)).toEqual(await expected(rows, seed));
    }
    // runs 1 and 2 recorded and agreed, 3 and 4 replayed; the new shape recorded 5 and 6, and 7 replayed
    expect(replayed.status).toMatch(/^replayed 3 of 7 runs/);
    replayed.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    w.dispose();
  });

  test('never replays work that takes a per-run value from outside its inputs: it gives up, saying why', async () => {
    await initBackend('webgpu');
    // kept constants, made before recording (no upload to refuse): one per run's value
    const constants = [deviceTensor(Float32Array.of(2), [1]), deviceTensor(Float32Array.of(3), [1])];
    let run = 0;
    const replayed = new ReplayedWork(([x]) => [tf.mul(x!, constants[run % 2]!)]);
    for (run = 0; run < 6; run++) {
      const factor = run % 2 === 0 ? 2 : 3;
      expect(await firstOutput(replayed, 2, run)).toEqual(Array.from(values(16, run), (v) => Math.fround(v * factor)));
    }
    expect(replayed.status).toMatch(/^off after 0 replays \(two recordings of the same work differ/);
    replayed.dispose();
    tf.dispose(constants);
  });
});

test('off webgpu, ReplayedWork runs op by op', async () => {
  await initBackend('cpu');
  const replayed = new ReplayedWork(([x]) => [tf.mul(x!, x!)]);
  expect(await firstOutput(replayed, 1, 0)).toEqual(Array.from(values(8, 0), (v) => Math.fround(v * v)));
  expect(replayed.status).toBe('not replayed yet');
  replayed.dispose();
});
