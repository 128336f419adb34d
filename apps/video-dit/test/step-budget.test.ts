import { describe, expect, test } from 'vitest';
import { countWork, initBackend } from '../src/backend/index.js';
import { presetConfig } from '../src/config/index.js';
import { Trainer } from '../src/train/index.js';

/*
 * What one steady-state training step of the tiny preset may cost, in calls: counts are
 * deterministic, so a change that adds kernels, dispatches or uploads fails here. The budget is
 * what the fused kernels brought it to (a small step took 2,368 kernels with the composed ops);
 * lower it as steps get cheaper.
 */
const KERNELS = { cpu: 247, wasm: 310, webgpu: 247 };
const GPU = { dispatches: 239, buffersCreated: 9, uploads: 9, submits: 16, readbacks: 1 };

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

describe.each(backends)('a tiny training step on %s', (backend) => {
  test('stays within the budget of kernels (and on webgpu of dispatches, buffers, uploads, submits, readbacks)', async () => {
    await initBackend(backend);
    const trainer = new Trainer(presetConfig('tiny'));
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
