import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { initBackend } from '../backend/index.js';
import { presetConfig } from '../config/index.js';
import { trainToFolder } from './train-to-folder.js';

/** Writes of a file named tensors.safetensors fail as on a full disk once `full` is set. */
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    open: async (path: string, flags?: string) => {
      if (disk.full && String(path).endsWith('tensors.safetensors')) {
        throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' });
      }
      return fs.open(path, flags);
    },
  };
});

let out: string;
beforeAll(async () => {
  await initBackend('cpu');
  out = await mkdtemp(join(tmpdir(), 'video-dit-full-disk-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

test('a full disk names the checkpoint it could not write and the last good one, and leaves no partial files', async () => {
  const tiny = presetConfig('tiny');
  const config = { ...tiny, name: 'full', outDir: out, train: { ...tiny.train, steps: 4, checkpointEvery: 2 } };
  const checkpoints = join(out, 'full', 'checkpoints');
  // the disk fills after the first checkpoint
  const run = trainToFolder(config, {
    onStep: (result) => {
      disk.full = result.step >= 3;
    },
  });
  await expect(run).rejects.toThrow(
    `cannot write the checkpoint of step 4 in ${checkpoints}: the disk is full (ENOSPC: no space left on device, open '${join(checkpoints, '.step-00000004.tmp-' + process.pid, 'tensors.safetensors')}'); the last good checkpoint is ${join(checkpoints, 'step-00000002')}; its partial files were removed: free space, then --resume`,
  );
  expect(await readdir(checkpoints)).toEqual(['step-00000002']);
  expect(await readdir(join(out, 'full'))).not.toContain('lock');
  // space again: the run resumes
  disk.full = false;
  const { trainer } = await trainToFolder(config, { resume: true });
  expect(trainer.step).toBe(4);
  trainer.dispose();
});
