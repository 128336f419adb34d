import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../src/backend/index.js';
import { presetConfig } from '../src/config/index.js';
import { Trainer } from '../src/train/index.js';

/*
 * What one steady-state training step of the small preset (the sample run's) may cost, in calls:
 * counts are deterministic, so a change that adds kernels, dispatches or uploads fails here. The
 * budget is what the fused kernels brought it to (with the composed ops a step took 2,368
 * kernels, 560 new GPU buffers and 111 submits); lower it as steps get cheaper. The targets: at
 * most 400 kernels on every backend, no buffer created and at most 10 submits on webgpu.
 */
const KERNELS = { cpu: 316, wasm: 316, webgpu: 315 };
// dispatches on lavapipe, whose 16 storage buffers per shader stage let AdamW update three weights a dispatch
const GPU = { dispatches: 260, buffersCreated: 0, uploads: 0, submits: 4, readbacks: 1 };

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

describe.each(backends)('a small training step on %s', (backend) => {
  test('stays within the budget of kernels (and on webgpu of dispatches, buffers, uploads, submits, readbacks)', async () => {
    await initBackend(backend);
    const config = presetConfig('small');
    // one thread: worker threads run kernels this thread does not count; op by op, not replayed
    const trainer = new Trainer({ ...config, train: { ...config.train, threads: 1, capture: 'off' } });
    try {
      // the first steps compile shaders and fill tfjs's buffer pools
      for (let i = 0; i < 2; i++) await trainer.trainStep();
      const { work } = await countWork(() => trainer.trainStep());
      expect(work.kernels).toBeLessThanOrEqual(KERNELS[backend]);
      if (backend === 'webgpu') {
        const gpu = work.gpu!;
        for (const [count, budget] of Object.entries(GPU)) expect(gpu[count as keyof typeof GPU], count).toBeLessThanOrEqual(budget);
      }
    } finally {
      trainer.dispose();
    }
  });
});
