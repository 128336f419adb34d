import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test } from 'vitest';
import { type GpuUncapturedError, initBackend } from '../backend/index.js';
import { presetConfig } from '../config/index.js';
import { Trainer } from './trainer.js';

const STEPS = 4;
const gpuErrors: GpuUncapturedError[] = [];

/** The first losses of the `tiny` preset from its seed on one backend; steps after the first may not add tensors. */
async function tinyLosses(backend: 'cpu' | 'webgpu'): Promise<number[]> {
  await initBackend(backend, { onGpuError: (error) => gpuErrors.push(error) });
  const config = presetConfig('tiny');
  // op by op: replayed steps give these losses bit for bit (captured-training.test.ts), and keep their recording's tensors
  const trainer = new Trainer({ ...config, train: { ...config.train, capture: 'off' } });
  const losses: number[] = [];
  try {
    losses.push((await trainer.trainStep()).loss);
    const tensors = tf.memory().numTensors;
    for (let step = 1; step < STEPS; step++) losses.push((await trainer.trainStep()).loss);
    expect(tf.memory().numTensors, `tensors left behind by steps on ${backend}`).toBe(tensors);
  } finally {
    trainer.dispose();
  }
  return losses;
}

describe.skipIf(!process.env.VK_DRIVER_FILES)(
  'training on webgpu (skipped without VK_DRIVER_FILES: run scripts/setup-lavapipe.sh and source .vendor/lavapipe/env)',
  () => {
    afterEach(() => {
      expect(gpuErrors.splice(0).map((error) => error.message)).toEqual([]);
    });

    test(`the tiny model's first ${STEPS} losses on webgpu match cpu within 1e-4 relative, from the same seed`, async () => {
      const onCpu = await tinyLosses('cpu');
      const onWebGpu = await tinyLosses('webgpu');
      const relative = onWebGpu.map((loss, i) => Math.abs(loss - onCpu[i]!) / Math.abs(onCpu[i]!));
      console.log(`tiny losses cpu ${onCpu.join(', ')}; webgpu ${onWebGpu.join(', ')}; relative differences ${relative.join(', ')}`);
      for (const difference of relative) expect(difference).toBeLessThan(1e-4);
      // Training moved the loss: the comparison is not of one repeated number.
      expect(new Set(onCpu).size).toBe(STEPS);
    }, 120_000);
  },
);
