import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { presetConfig } from '../src/config/index.js';
import { Trainer } from '../src/train/index.js';

const reference = JSON.parse(readFileSync(new URL('./fixtures/tiny-losses.json', import.meta.url), 'utf8')) as {
  steps: number;
  losses: Record<'cpu' | 'wasm' | 'webgpu', number[]>;
};

const backends = ['cpu', 'wasm', ...(process.env.VK_DRIVER_FILES ? ['webgpu' as const] : [])] as const;

describe.each(backends)('the tiny preset on %s', (backend) => {
  test(`trains with the losses of the composed ops (fixtures/README.md) within 1e-5 relative over ${reference.steps} steps`, async () => {
    await initBackend(backend);
    const trainer = new Trainer(presetConfig('tiny'));
    const losses: number[] = [];
    for (let i = 0; i < reference.steps; i++) losses.push((await trainer.trainStep()).loss);
    trainer.dispose();
    const expected = reference.losses[backend];
    const worst = Math.max(...losses.map((loss, i) => Math.abs(loss - expected[i]!) / Math.abs(expected[i]!)));
    expect(worst).toBeLessThan(1e-5);
  });
});
