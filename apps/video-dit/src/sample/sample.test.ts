import { createRng } from '@flowdit/timestep-shift';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../backend/index.js';
import { presetConfig } from '../config/index.js';
import { standardNormals } from '../data/index.js';
import { createDit, type Dit, disposeDit, ditForwardTokens, param, patchDim, tokenCount, unpatchify } from '../model/index.js';
import { sampleClips, samplingTimes } from './euler.js';
import { sampleOptionsFor } from './sample.js';

const config = presetConfig('tiny');
const clipSize = config.model.frames * config.model.height * config.model.width * 3;

beforeAll(async () => {
  await initBackend('cpu');
});

/** A tubelet's values: what the oracle model predicts for every token. */
const patchValues = Float32Array.from({ length: patchDim(config.model) }, (_, i) => Math.sin(1 + 0.37 * i));

/**
 * A model whose x prediction is one fixed clip D (every token `patchValues`): its velocity
 * `(D − x_t)/(1 − t)` is the exact flow to a data set of that one clip, `x1 − x0`.
 */
function oracle(): { model: Dit; data: Float32Array } {
  const model = createDit(config.model, 0);
  param(model.params, 'final.out.b').assign(tf.tensor1d(patchValues));
  const tokens = tf.tidy(() => tf.tile(tf.reshape(tf.tensor1d(patchValues), [1, 1, -1]), [1, tokenCount(config.model), 1]) as tf.Tensor3D);
  const pixels = unpatchify(tokens, config.model);
  const data = pixels.dataSync() as Float32Array;
  tf.dispose([tokens, pixels]);
  return { model, data };
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('sampleClips', () => {
  test('with the exact velocity x1 − x0, one Euler step from noise lands on the data', async () => {
    const { model, data } = oracle();
    const clips = await sampleClips(model, { count: 3, steps: 1, shift: 1, seed: 4 });
    expect(clips).toHaveLength(3);
    for (const clip of clips) expect(maxDifference(clip, data)).toBeLessThan(1e-5);
    disposeDit(model);
  });

  test('with fresh noise each step (η 0.5) the exact flow still ends on the data', async () => {
    const { model, data } = oracle();
    const [clip] = await sampleClips(model, { count: 1, steps: 4, shift: 3, seed: 5, stochasticity: 0.5 });
    expect(maxDifference(clip!, data)).toBeLessThan(1e-5);
    disposeDit(model);
  });

  test('η = 0 is plain Euler, x ← x + (t1 − t0)·v, along the shifted schedule', async () => {
    const model = createDit(config.model, 0);
    tf.tidy(() => {
      for (const [name, weight] of model.params) {
        if (name.endsWith('.w')) weight.assign(tf.mul(tf.sin(tf.reshape(tf.range(0, weight.size), weight.shape)), 0.2));
      }
    });
    const steps = 5;
    const shift = 2;
    const [clip] = await sampleClips(model, { count: 1, steps, shift, seed: 6 });
    const times = samplingTimes(steps, shift);
    const expected = tf.tidy(() => {
      let x = tf.tensor3d(standardNormals(createRng(6), clipSize), [1, tokenCount(config.model), patchDim(config.model)]);
      for (let i = 0; i < steps; i++) {
        const v = ditForwardTokens(model, x, tf.fill([1], times[i]!) as tf.Tensor1D);
        x = tf.add(x, tf.mul(v, times[i + 1]! - times[i]!));
      }
      return unpatchify(x, config.model);
    });
    expect(Array.from(clip!)).toEqual(Array.from(expected.dataSync()));
    expect(times[0]).toBe(0);
    expect(times[steps]).toBe(1);
    tf.dispose(expected);
    disposeDit(model);
  });
});

test('onStep sees every step of every batch, its time and clips, and changes no number sampled', async () => {
  const model = createDit(config.model, 2);
  const options = { count: 3, steps: 4, shift: 2, seed: 8, batchSize: 2 };
  const plain = await sampleClips(model, options);
  const seen: { step: number; t: number; firstClip: number; batch: number; last: Float32Array }[] = [];
  const tensorsBefore = tf.memory().numTensors;
  const watched = await sampleClips(model, {
    ...options,
    onStep: async ({ step, t, firstClip, batch, clips }) => {
      await Promise.resolve();
      seen.push({ step, t, firstClip, batch, last: clips });
    },
  });
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  const times = samplingTimes(options.steps, options.shift);
  const { frames, height, width } = config.model;
  expect(seen.map(({ step, firstClip }) => [firstClip, step])).toEqual([0, 2].flatMap((first) => [1, 2, 3, 4].map((step) => [first, step])));
  for (const { step, t, firstClip, batch, last } of seen) {
    expect(t).toBe(times[step]);
    expect(batch).toBe(firstClip === 0 ? 2 : 1);
    expect(last.length).toBe(batch * frames * height * width * 3);
  }
  // the last step of each batch shows the clips returned
  expect(Array.from(seen[3]!.last)).toEqual([...plain[0]!, ...plain[1]!]);
  expect(Array.from(seen[7]!.last)).toEqual(Array.from(plain[2]!));
  for (const [i, clip] of watched.entries()) expect(Array.from(clip)).toEqual(Array.from(plain[i]!));
  disposeDit(model);
});

describe('sampleOptionsFor', () => {
  test("takes the run's sampling section, replaces what is given and resolves shift 'train'", () => {
    // tiny: 8 tokens, base 16: the training shift is √(8/16)
    expect(sampleOptionsFor(config)).toEqual({ ...config.sample, shift: Math.sqrt(8 / 16) });
    expect(sampleOptionsFor(config, { steps: 9, shift: 3, count: undefined })).toEqual({ ...config.sample, steps: 9, shift: 3 });
    expect(() => sampleOptionsFor(config, { steps: 0 })).toThrow(/'sample.steps'/);
  });
});

test.runIf(process.env.VK_DRIVER_FILES)('on webgpu, where Euler steps replay recorded ones, the clips match cpu within 1e-4, plain and renoised', async () => {
  const clipsOn = async (backend: 'cpu' | 'webgpu', stochasticity: number) => {
    await initBackend(backend);
    const model = createDit(config.model, 3);
    try {
      // six steps in batches of 2 of 3 clips: the recordings hold across batches of one size and not the last
      return await sampleClips(model, { count: 3, steps: 6, shift: 2, seed: 7, stochasticity, batchSize: 2 });
    } finally {
      disposeDit(model);
    }
  };
  for (const stochasticity of [0, 0.5]) {
    const onCpu = await clipsOn('cpu', stochasticity);
    const onWebGpu = await clipsOn('webgpu', stochasticity);
    for (const [i, clip] of onWebGpu.entries()) expect(maxDifference(clip, onCpu[i]!)).toBeLessThan(1e-4);
  }
  await initBackend('cpu');
});
