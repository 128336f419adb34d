import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test } from 'vitest';
import { countWork, type GpuUncapturedError, initBackend } from '../backend/index.js';
import { type Config, presetConfig } from '../config/index.js';
import { loadCheckpoint } from './checkpoint.js';
import { Trainer } from './trainer.js';

const gpuErrors: GpuUncapturedError[] = [];

function tinyConfig(capture: 'auto' | 'off', lossWeight: Config['train']['lossWeight'] = 'none'): Config {
  const config = presetConfig('tiny');
  return { ...config, train: { ...config.train, capture, lossWeight } };
}

/** Every weight, moment-free: the model's and the EMA's values, in order. */
async function weightsOf(trainer: Trainer): Promise<number[][]> {
  const tensors = [...trainer.model.params.values(), ...trainer.ema.params.values()];
  return Promise.all(tensors.map(async (tensor) => Array.from(await tensor.data())));
}

/** Losses of steps taken one at a time, or as many at a time as the trainer reads at once. */
async function lossesOf(trainer: Trainer, steps: number, atOnce = 1): Promise<number[]> {
  const losses: number[] = [];
  while (losses.length < steps) {
    const results = await trainer.trainSteps(Math.min(atOnce, steps - losses.length));
    losses.push(...results.map((result) => result.loss));
  }
  return losses;
}

describe.skipIf(!process.env.VK_DRIVER_FILES)('captured training steps on webgpu (lavapipe)', () => {
  afterEach(() => {
    expect(gpuErrors.splice(0).map((error) => error.message)).toEqual([]);
  });

  test('50 replayed steps, ten issued before each read, give the losses, weights and EMA of 50 eager steps taken one by one, bit for bit', async () => {
    await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
    const eager = new Trainer(tinyConfig('off'));
    const replayed = new Trainer(tinyConfig('auto'));
    try {
      const eagerLosses = await lossesOf(eager, 50);
      expect(replayed.stepsPerRead).toBe(10);
      const replayedLosses = await lossesOf(replayed, 50, replayed.stepsPerRead);
      expect(replayed.captureStatus).toMatch(/^replayed 4[6-9] of 50 runs/);
      expect(eager.captureStatus).toBe('off (train.capture is off)');
      expect(replayedLosses).toEqual(eagerLosses);
      expect(await weightsOf(replayed)).toEqual(await weightsOf(eager));
    } finally {
      eager.dispose();
      replayed.dispose();
    }
  }, 120_000);

  test('with loss weights, replayed steps give the losses of eager steps, bit for bit', async () => {
    await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
    const eager = new Trainer(tinyConfig('off', 'cosmap'));
    const replayed = new Trainer(tinyConfig('auto', 'cosmap'));
    try {
      const eagerLosses = await lossesOf(eager, 8);
      expect(await lossesOf(replayed, 8)).toEqual(eagerLosses);
      expect(replayed.captureStatus).toMatch(/^replayed [4-6] of 8 runs/);
    } finally {
      eager.dispose();
      replayed.dispose();
    }
  }, 60_000);

  test('a replayed step creates no buffer or bind group, runs no tfjs kernel, and leaks no tensor', async () => {
    await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
    const trainer = new Trainer(tinyConfig('auto'));
    try {
      await lossesOf(trainer, 3);
      const tensors = tf.memory().numTensors;
      const { work } = await countWork(() => trainer.trainStep());
      expect(work.kernels).toBe(0);
      expect(work.gpu).toMatchObject({ bindGroups: 0, buffersCreated: 0, uploads: 0, readbacks: 1 });
      await lossesOf(trainer, 3);
      expect(tf.memory().numTensors).toBe(tensors);
    } finally {
      trainer.dispose();
    }
  });

  test('ten replayed steps are ten submits and one read, the last step copying the losses for it: no tfjs kernel, bind group, buffer or upload', async () => {
    await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
    const trainer = new Trainer(tinyConfig('auto'));
    try {
      await lossesOf(trainer, 3);
      const { work } = await countWork(() => trainer.trainSteps(10));
      expect(work.kernels).toBe(0);
      expect(work.gpu).toMatchObject({ bindGroups: 0, buffersCreated: 0, uploads: 0, submits: 10, readbacks: 1, bytesRead: 80 });
    } finally {
      trainer.dispose();
    }
  });

  test('a NaN loss among steps issued before a read leaves the weights of the step before it, and names the step', async () => {
    await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
    const trainer = new Trainer(tinyConfig('auto'));
    try {
      await lossesOf(trainer, 12, 10);
      const w = trainer.model.params.get('patch_in.w')!;
      tf.tidy(() => w.assign(tf.fill(w.shape, Number.NaN)));
      const before = await weightsOf(trainer);
      await expect(trainer.trainSteps(10)).rejects.toThrow(/^step 13: loss NaN/);
      expect(trainer.step).toBe(12);
      expect(await weightsOf(trainer)).toEqual(before);
      // the guard opened again: finite steps update once more
      tf.tidy(() => w.assign(tf.zerosLike(w)));
      const zeroed = await weightsOf(trainer);
      await lossesOf(trainer, 2, 2);
      expect(trainer.step).toBe(14);
      expect(await weightsOf(trainer)).not.toEqual(zeroed);
    } finally {
      trainer.dispose();
    }
  }, 60_000);

  test('a resume from a checkpoint taken while replaying continues exactly, recording anew', async () => {
    await initBackend('webgpu', { onGpuError: (error) => gpuErrors.push(error) });
    const dir = await mkdtemp(path.join(tmpdir(), 'flowdit-capture-'));
    const straight = new Trainer(tinyConfig('auto'));
    const resumed = new Trainer(tinyConfig('auto'));
    try {
      await lossesOf(straight, 6);
      const checkpoint = await straight.saveCheckpoint(dir);
      const after = await lossesOf(straight, 4);
      // the resumed trainer records its own step first, then restores: its recording reads old buffers
      await lossesOf(resumed, 3);
      resumed.restore(await loadCheckpoint(checkpoint));
      expect(await lossesOf(resumed, 4)).toEqual(after);
      expect(await weightsOf(resumed)).toEqual(await weightsOf(straight));
      expect(resumed.captureStatus).toMatch(/^replayed/);
    } finally {
      straight.dispose();
      resumed.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
