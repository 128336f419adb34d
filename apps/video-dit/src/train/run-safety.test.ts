import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { folderDigest, makeNeighbourRun } from '../../test/folder-digest.js';
import { initBackend } from '../backend/index.js';
import { type Config, presetConfig } from '../config/index.js';
import { CHECKPOINT_FORMAT, CheckpointError, checkpointSteps, loadCheckpoint } from './checkpoint.js';
import { trainToFolder } from './train-to-folder.js';

let out: string;
let neighbour: Record<string, string>;
beforeAll(async () => {
  await initBackend('cpu');
});
beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'video-dit-safety-'));
  await makeNeighbourRun(join(out, 'neighbour'));
  neighbour = await folderDigest(join(out, 'neighbour'));
});
afterEach(async () => {
  // whatever a test does to its run, every other run stays as it was
  expect(await folderDigest(join(out, 'neighbour'))).toEqual(neighbour);
  await rm(out, { recursive: true, force: true });
});

function config(steps: number): Config {
  const tiny = presetConfig('tiny');
  return { ...tiny, name: 'run', outDir: out, train: { ...tiny.train, steps, checkpointEvery: 2, keepCheckpoints: 3, logEvery: 1 } };
}

/** Trains into the run folder and returns the notes it made. */
async function train(steps: number, options: { resume?: boolean; fresh?: boolean } = {}): Promise<string[]> {
  const notes: string[] = [];
  const { trainer } = await trainToFolder(config(steps), { ...options, onNote: (line) => notes.push(line) });
  trainer.dispose();
  return notes;
}

const runDir = () => join(out, 'run');

describe('a run folder loses nothing', () => {
  test('--fresh refuses a folder that is not a run, and leaves it as it was', async () => {
    await mkdir(runDir());
    await writeFile(join(runDir(), 'thesis.txt'), 'years of work');
    await expect(train(2, { fresh: true })).rejects.toThrow(/not a run folder of video-dit .*refusing/);
    expect(await readdir(runDir())).toEqual(['thesis.txt']);
  });

  test('--fresh deletes an earlier run of the same name', async () => {
    await train(2);
    await train(2, { fresh: true });
    expect(await checkpointSteps(join(runDir(), 'checkpoints'))).toEqual([2]);
  });

  test('--resume of a run that does not exist, or has no checkpoint, is an error that says so', async () => {
    await expect(train(2, { resume: true })).rejects.toThrow(`--resume: there is no run ${runDir()}`);
    await mkdir(runDir());
    await expect(train(2, { resume: true })).rejects.toThrow(`--resume: ${runDir()} has no checkpoint to continue from`);
  });

  test('resume says where it continues from, passes over a damaged checkpoint to the older intact one, and drops a torn metrics line', async () => {
    await train(4);
    const checkpoints = join(runDir(), 'checkpoints');
    const newest = join(checkpoints, 'step-00000004', 'tensors.safetensors');
    const bytes = await readFile(newest);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    await writeFile(newest, bytes);
    await expect(loadCheckpoint(join(checkpoints, 'step-00000004'))).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(join(checkpoints, 'step-00000004'))).rejects.toThrow(/tensors\.safetensors is damaged: its SHA-256/);
    const metrics = join(runDir(), 'metrics.jsonl');
    await writeFile(metrics, `${await readFile(metrics, 'utf8')}{"kind":"train","st`);
    const notes = await train(6, { resume: true });
    expect(notes).toEqual([
      expect.stringMatching(/^passed over a damaged checkpoint: .*step-00000004\/tensors\.safetensors is damaged/),
      `resumed from ${join(checkpoints, 'step-00000002')} at step 2`,
      `dropped a torn last line of ${metrics}`,
    ]);
    const lines = (await readFile(metrics, 'utf8')).trim().split('\n').map((line) => JSON.parse(line).step);
    expect(lines).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('a second writer is refused with the holder’s pid; a lock whose process is gone is taken over', async () => {
    await mkdir(runDir(), { recursive: true });
    const holder = spawn('sleep', ['30']);
    try {
      await writeFile(join(runDir(), 'lock'), `${holder.pid}\n`);
      await expect(train(2)).rejects.toThrow(`is being trained by process ${holder.pid}`);
    } finally {
      holder.kill();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    const notes = await train(2);
    expect(notes).toContain(`took over ${join(runDir(), 'lock')}: its process ${holder.pid} is gone`);
    expect(await readdir(runDir())).not.toContain('lock');
  });

  test('the leftover of a checkpoint write a killed process left is removed at the next start', async () => {
    await train(2);
    const leftover = join(runDir(), 'checkpoints', '.step-00000004.tmp-999999999');
    await mkdir(leftover);
    await writeFile(join(leftover, 'tensors.bin'), new Uint8Array(1024));
    const notes = await train(4, { resume: true });
    expect(notes).toContain('removed .step-00000004.tmp-999999999, a checkpoint write a killed process left');
    expect((await readdir(join(runDir(), 'checkpoints'))).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  test('an --out that is a file is named as such', async () => {
    const file = join(out, 'not-a-folder');
    await writeFile(file, '');
    const notAFolder = { ...config(2), outDir: file };
    await expect(trainToFolder(notAFolder)).rejects.toThrow(`cannot make the run folder ${join(file, 'run')}: a part of that path is a file, not a folder`);
  });

  test('a checkpoint of the first format (raw float32 in tensors.bin, no checksum) still loads', async () => {
    const path = join(out, 'step-00000003');
    await mkdir(path);
    const manifest = {
      format: CHECKPOINT_FORMAT,
      version: 1,
      step: 3,
      optimizerUpdates: 3,
      rngState: [1, 2, 3, 4],
      config: {},
      tensors: [{ group: 'params', name: 'w', shape: [2], offset: 0, length: 2 }],
      bytes: 8,
    };
    await writeFile(join(path, 'manifest.json'), JSON.stringify(manifest));
    await writeFile(join(path, 'tensors.bin'), new Uint8Array(Float32Array.of(1.5, -2).buffer));
    const data = await loadCheckpoint(path);
    expect(data.step).toBe(3);
    expect(Array.from(await data.tensors.params.get('w')!.data())).toEqual([1.5, -2]);
    data.tensors.params.get('w')!.dispose();
  });
});
