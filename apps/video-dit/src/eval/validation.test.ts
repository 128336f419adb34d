import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../backend/index.js';
import { dataConfig, presetConfig } from '../config/index.js';
import { createDit, disposeDit } from '../model/index.js';
import { describeValidation, validationLoss } from './validation.js';

const config = presetConfig('tiny');
const data = dataConfig(config);

beforeAll(async () => {
  await initBackend('cpu');
});

describe('validationLoss', () => {
  test('is the same for the same seed, with equal-width t buckets whose mean is the loss', async () => {
    const model = createDit(config.model, 0);
    const first = await validationLoss(model, data, { clips: 6, buckets: 4, batchSize: 4 });
    const again = await validationLoss(model, data, { clips: 6, buckets: 4, batchSize: 4 });
    expect(again).toEqual(first);
    expect(first.buckets.map(({ from, to }) => [from, to])).toEqual([
      [0, 0.25],
      [0.25, 0.5],
      [0.5, 0.75],
      [0.75, 1],
    ]);
    expect(first.loss).toBeCloseTo(first.buckets.reduce((sum, b) => sum + b.loss, 0) / 4, 12);
    // The untrained model predicts x̂1 = 0: its velocity error grows toward the data end (t = 1).
    const losses = first.buckets.map((b) => b.loss);
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
    const otherNoise = await validationLoss(model, data, { clips: 6, buckets: 4, seed: 1 });
    expect(otherNoise.loss).not.toBe(first.loss);
    expect(describeValidation(first)).toMatch(/^validation loss \d+\.\d{4} by t bucket \(0 = noise\): \[0\.0,0\.3\) \d/);
    disposeDit(model);
  });
});

test.runIf(process.env.VK_DRIVER_FILES)('on webgpu, where batches replay one recorded forward pass, it matches cpu within 1e-4', async () => {
  const onBackend = async (backend: 'cpu' | 'webgpu') => {
    await initBackend(backend);
    const model = createDit(config.model, 0);
    try {
      // 12 clips in batches of 4: three of each bucket's batches, so most of them are replays
      return await validationLoss(model, data, { clips: 12, buckets: 3, batchSize: 4 });
    } finally {
      disposeDit(model);
    }
  };
  const onCpu = await onBackend('cpu');
  const onWebGpu = await onBackend('webgpu');
  for (const [k, bucket] of onWebGpu.buckets.entries()) expect(Math.abs(bucket.loss - onCpu.buckets[k]!.loss) / onCpu.buckets[k]!.loss).toBeLessThan(1e-4);
  await initBackend('cpu');
});
