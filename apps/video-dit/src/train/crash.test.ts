import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { folderDigest } from '../../test/folder-digest.js';
import { CRASH_POINTS } from './checkpoint.js';

/*
 * A real training process, killed with SIGKILL at each point of a checkpoint write (the
 * FLOWDIT_CRASH_AT fail point), then resumed: the finished run must equal one that was never
 * interrupted, loss for loss and byte for byte, and no other run folder may change.
 */

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const STEPS = 6;
const CRASH_STEP = 4;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function train(out: string, name: string, options: { resume?: boolean; crashAt?: string } = {}): Promise<Exit> {
  const args = [cli, 'train', '--preset', 'tiny', '--name', name, '--out', out, '--steps', String(STEPS), '--backend', 'cpu'];
  args.push('--set', 'train.checkpointEvery=2', '--set', 'train.keepCheckpoints=1', '--set', 'train.logEvery=1', '--set', 'train.validateEvery=0');
  if (options.resume) args.push('--resume');
  const env = { ...process.env, FLOWDIT_CRASH_AT: options.crashAt ?? '' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** The training losses of a run, by step, and the bytes of its final checkpoint. */
async function outcome(runDir: string): Promise<{ losses: [number, number][]; checkpoints: string[]; tensors: Buffer }> {
  const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
  const losses = lines.filter((line) => line.kind === 'train').map((line): [number, number] => [line.step, line.loss]);
  const checkpoints = await readdir(join(runDir, 'checkpoints'));
  const tensors = await readFile(join(runDir, 'checkpoints', `step-0000000${STEPS}`, 'tensors.safetensors'));
  return { losses, checkpoints, tensors };
}

let out: string;
let reference: Awaited<ReturnType<typeof outcome>>;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'video-dit-crash-'));
  const uninterrupted = await train(out, 'uninterrupted');
  expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
  reference = await outcome(join(out, 'uninterrupted'));
  expect(reference.losses.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6]);
}, 120_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('a training process killed during a checkpoint write', () => {
  test.each(CRASH_POINTS)('at %s resumes to the uninterrupted run’s losses and bytes, touching no other run', async (point) => {
    const name = `killed-${point}`;
    const others = await folderDigest(out);
    const killed = await train(out, name, { crashAt: `${point}@${CRASH_STEP}` });
    expect(killed.signal, `${killed.stderr}\nthe fail point did not fire: is dist/ built from this source? (pnpm --filter video-dit build)`).toBe('SIGKILL');
    const resumed = await train(out, name, { resume: true });
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = await outcome(join(out, name));
    expect(after.losses).toEqual(reference.losses);
    expect(after.checkpoints).toEqual(reference.checkpoints); // no leftover temporary folder
    expect(after.tensors.equals(reference.tensors)).toBe(true);
    const now = await folderDigest(out);
    for (const path of Object.keys(now)) if (path.startsWith(`${name}/`)) delete now[path];
    expect(now).toEqual(others);
  }, 120_000);
});
