import { createRng } from '@flowdit/timestep-shift';
import { describe, expect, test } from 'vitest';
import { presetConfig } from '../config/index.js';
import { BatchWorker, batchDrawer } from './batches.js';

describe('BatchWorker', () => {
  test('draws the batches this thread would, in order, each with the generator state after it', async () => {
    const base = presetConfig('tiny');
    const config = { ...base, train: { ...base.train, lossWeight: 'cosmap' as const } };
    const draw = batchDrawer(config);
    const rng = createRng(11);
    const worker = BatchWorker.start(config, rng.state(), 2);
    try {
      for (let i = 0; i < 5; i++) {
        const want = draw(rng);
        const got = await worker.next();
        expect(got.batch).toEqual(want);
        expect(got.batch.lossWeight).toBeDefined();
        expect(Array.from(got.rngState)).toEqual(Array.from(rng.state()));
      }
      // a worker started from a state it handed out continues from there
      const sixth = await worker.next();
      expect(sixth.batch).toEqual(draw(rng));
      const again = BatchWorker.start(config, sixth.rngState, 1);
      expect((await again.next()).batch).toEqual(draw(rng));
      again.terminate();
    } finally {
      worker.terminate();
    }
  });

  test('a stopped worker says so', async () => {
    const config = presetConfig('tiny');
    const worker = BatchWorker.start(config, createRng(1).state());
    worker.terminate();
    await expect(worker.next()).rejects.toThrow('the batch worker was stopped');
  });
});
