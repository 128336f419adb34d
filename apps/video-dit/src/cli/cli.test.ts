import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestepDistribution } from '@flowdit/timestep-shift';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { invokeCli } from '../../test/run-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'video-dit-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});


describe('video-dit CLI', () => {
  test('train → sample → eval on the tiny preset writes every output', async () => {
    const trained = await invokeCli(['train', '--preset', 'tiny', '--backend', 'cpu', '--out', dir, '--name', 'cli', '--steps', '6']);
    expect(trained.err).toBe('');
    expect(trained.code).toBe(0);
    expect(trained.out).toMatch(/step 5\/6 {2}loss \d/);
    expect(trained.out).toMatch(/validation loss [\d.]+ by t bucket/);
    const runDir = join(dir, 'cli');
    expect((await readdir(runDir)).sort()).toEqual(['checkpoints', 'config.json', 'loss-curve.png', 'metrics.jsonl', 'samples']);
    expect((await readdir(join(runDir, 'samples'))).sort()).toEqual(['contact-sheet.png', 'sample-00.gif', 'sample-01.gif']);
    const metrics = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.step)).toEqual([5, 6]);
    const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
    expect(config.resolved.tokens).toBe(8);

    // the law the run trained with, read from the run's own config.json
    const plotted = await invokeCli(['plot-timesteps', '--config', join(runDir, 'config.json'), '--out', join(dir, 'run-law.png'), '--samples', '500']);
    expect(plotted.err).toBe('');
    const { frames, height, width } = config.model;
    const shift = Math.sqrt((frames * height * width) / config.timesteps.basePixels);
    const median = timestepDistribution({ kind: 'shifted-logit-normal', shift }).quantile(0.5);
    expect(plotted.out).toContain(`shifted-logit-normal, shift ${Number(shift.toPrecision(4))}: median t ${median.toFixed(3)}`);

    const again = await invokeCli(['train', '--preset', 'tiny', '--backend', 'cpu', '--out', dir, '--name', 'cli', '--steps', '6']);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/already holds checkpoints: pass --resume/);

    // no --backend: the run's own (cpu, as it was trained)
    const sampled = await invokeCli(['sample', '--run', runDir, '--count', '3', '--out', join(dir, 'more')]);
    expect(sampled.code).toBe(0);
    expect(sampled.out).toMatch(/^backend cpu: forced/m);
    expect((await readdir(join(dir, 'more'))).length).toBe(4);

    const evaluated = await invokeCli(['eval', '--run', runDir, '--backend', 'cpu', '--count', '2']);
    expect(evaluated.code).toBe(0);
    expect(evaluated.out).toMatch(/real\s+[\d.]+[\s\S]*untrained\s+[\d.]+[\s\S]*trained\s+[\d.]+/);
    const report = JSON.parse(await readFile(join(runDir, 'eval.json'), 'utf8'));
    // real clips pass every check the score makes; the untrained model almost none
    expect(report.quality.real.score).toBeGreaterThan(0.95);
    expect(report.quality.untrained.score).toBeLessThan(0.05);
  }, 60_000);

  test('--resume continues a run from its newest checkpoint', async () => {
    const common = ['train', '--preset', 'tiny', '--backend', 'cpu', '--out', dir, '--name', 'resumed'];
    expect((await invokeCli([...common, '--steps', '10', '--set', 'train.checkpointEvery=5', '--set', 'train.logEvery=5'])).code).toBe(0);
    const resumed = await invokeCli([...common, '--resume', '--steps', '15', '--set', 'train.checkpointEvery=5', '--set', 'train.logEvery=5']);
    expect(resumed.err).toBe('');
    expect(resumed.out).toMatch(/trained to step 15/);
    const metrics = (await readFile(join(dir, 'resumed', 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.step)).toEqual([5, 10, 15]);
    expect((await readdir(join(dir, 'resumed', 'checkpoints'))).sort()).toEqual(['step-00000010', 'step-00000015']);
    // the run's own config, without its flags: only how long it runs changes, and that is said
    const bare = ['train', '--out', dir, '--name', 'resumed', '--resume'];
    const longer = await invokeCli([...bare, '--steps', '20']);
    expect(longer.err).toBe('');
    expect(longer.out).toMatch(/resume changes train\.steps: 15 → 20/);
    expect(longer.out).toMatch(/resumed from .*step-00000015 at step 15/);
    expect(longer.out).toMatch(/trained to step 20/);
    const changed = await invokeCli([...bare, '--steps', '25', '--set', 'model.depth=7', '--lr', '0.5']);
    expect(changed.code).toBe(2);
    expect(changed.err).toMatch(/these would change: .*model\.depth \(run \d+, now 7\).*train\.learningRate/);
    expect((await invokeCli([...bare, '--preset', 'small'])).err).toMatch(/trained from preset tiny, not small/);
  }, 60_000);

  test('SIGTERM ends training after the step under way with a checkpoint of it, says how to continue, and exits 143', async () => {
    const args = ['train', '--preset', 'tiny', '--backend', 'cpu', '--out', dir, '--name', 'signalled', '--steps', '5000'];
    const running = invokeCli(args);
    // the signal handlers are installed once the run has started: send it when a step is logged
    for (let waited = 0; waited < 30_000; waited += 50) {
      const metrics = await readFile(join(dir, 'signalled', 'metrics.jsonl'), 'utf8').catch(() => '');
      if (metrics.includes('"step"')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.emit('SIGTERM', 'SIGTERM');
    const result = await running;
    expect(result.code).toBe(143);
    const stopped = /stopped by SIGTERM at step (\d+) of 5000; checkpoint .*step-(\d+); continue with: video-dit train --preset tiny .* --resume$/.exec(result.err);
    expect(stopped, result.err).not.toBeNull();
    expect(Number(stopped![2])).toBe(Number(stopped![1]));
    expect(await readdir(join(dir, 'signalled', 'checkpoints'))).toContain(`step-${stopped![1]!.padStart(8, '0')}`);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  }, 60_000);

  test.each([
    [['trian'], /unknown command 'trian' \(did you mean 'train'\?\)/],
    [['train', '--stpes', '5'], /unknown flag '--stpes' \(did you mean '--steps'\?\)/],
    [['train', '--steps', 'many'], /--steps must be a decimal number, got 'many'/],
    [['train', '--steps', '0x10'], /--steps must be a decimal number, got '0x10'/],
    [['train', '--set', 'data.maxSpeed=1e308'], /'data.maxSpeed'/],
    [['train', '--set', 'model.frames=1000000000'], /'model.frames'/],
    [['train', '--set', 'model.height=2048', '--set', 'model.width=4096'], /'model.frames'.*at most 4194304/],
    [['train', '--steps=-3'], /'train.steps'/],
    [['train', '--set', 'model.hiden=3'], /unknown key 'model.hiden' \(did you mean 'model.hidden'\?\)/],
    [['train', '--backend', 'cuda'], /'backend'/],
    [['sample', '--run', '/nonexistent/run'], /not a run folder/],
  ])('%j gives a clear error', async (args, message) => {
    const result = await invokeCli(args);
    expect(result.code).not.toBe(0);
    expect(result.err).toMatch(message);
  });

  test.each([
    ['train', ['--preset tiny|small|base', '--set key=value', '--resume', '--backend NAME']],
    ['sample', ['--run DIR', '--stochasticity η', '--shift X|train', '--seed N']],
    ['eval', ['--run DIR', '--count N', '--stochasticity η']],
    ['plot-timesteps', ['--out FILE.png', '--config FILE.json', '--shifts X,Y,...']],
  ])('%s --help lists its flags', async (command, flags) => {
    const result = await invokeCli([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.out.split('\n')[0]).toMatch(new RegExp(`^video-dit ${command} \\[flags\\]`));
    for (const flag of flags) expect(result.out).toContain(`  ${flag} `);
  });

  test('plot-timesteps --config draws the law an override file configures, over its preset', async () => {
    const file = join(dir, 'law.json');
    await writeFile(file, JSON.stringify({ preset: 'tiny', timesteps: { kind: 'logit-normal', mean: 0.5, shift: 3 } }));
    const out = join(dir, 'law.png');
    const plotted = await invokeCli(['plot-timesteps', '--config', file, '--out', out]);
    expect(plotted.err).toBe('');
    const law = timestepDistribution({ kind: 'logit-normal', mean: 0.5, shift: 3 });
    expect(plotted.out).toContain(`logit-normal, shift 3: median t ${law.quantile(0.5).toFixed(3)}, ${(100 * law.cdf(0.5)).toFixed(1)}% of draws`);
    expect((await readFile(out)).subarray(1, 4).toString()).toBe('PNG');

    // the README's HunyuanVideo 1.5 mix, read from the README itself
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const mixFile = join(dir, 'mix.json');
    await writeFile(mixFile, /```json\n([\s\S]*?)```/.exec(readme)![1]!);
    const mixed = await invokeCli(['plot-timesteps', '--config', mixFile, '--out', join(dir, 'mix.png')]);
    expect(mixed.err).toBe('');
    const mix = timestepDistribution({
      kind: 'range',
      mode: 'rescale',
      tMin: 1e-5,
      tMax: 0.99999,
      shift: 3,
      of: {
        kind: 'mixture',
        components: [
          { weight: 0.7, spec: { kind: 'logit-normal' } },
          { weight: 0.3, spec: { kind: 'uniform' } },
        ],
      },
    });
    expect(mixed.out).toContain(`range, shift 3: median t ${mix.quantile(0.5).toFixed(3)}`);

    const both = await invokeCli(['plot-timesteps', '--config', file, '--shifts', '1,2']);
    expect(both.code).not.toBe(0);
    expect(both.err).toMatch(/--config draws the configured law: it excludes --shifts and --std/);
  });

  test('a config file with a typo names the key and the file', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ timesteps: { stratifed: false } }));
    const result = await invokeCli(['train', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`invalid configuration (${file} and flags)`);
    expect(result.err).toMatch(/unknown key 'timesteps.stratifed' \(did you mean 'timesteps.stratified'\?\)/);
  });
});
