import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestepDistribution } from '@flowdit/timestep-shift';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeTimestepDensity } from './timestep-density.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'video-dit-plot-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeTimestepDensity', () => {
  test('writes the density figure for shifts 1, 3 and 7 by default', async () => {
    const out = join(dir, 'density.png');
    const { curves } = await writeTimestepDensity({ out });
    const png = PNG.sync.read(await readFile(out));
    expect(png.width).toBeGreaterThan(1000);
    expect(png.height).toBeGreaterThan(500);
    expect(curves.map((c) => c.label)).toEqual(['shift 1', 'shift 3', 'shift 7']);
    // logit(median) = −ln α, so the median t is 1 / (1 + α); larger shifts put more draws near noise.
    for (const [i, shift] of [1, 3, 7].entries()) expect(curves[i]?.medianT).toBeCloseTo(1 / (1 + shift), 10);
    expect(curves.map((c) => c.noiseSideShare)).toEqual([...curves.map((c) => c.noiseSideShare)].sort((a, b) => a - b));
  });

  test('draws a histogram of seeded draws under the curves', async () => {
    const out = join(dir, 'nested', 'histogram.png');
    await writeTimestepDensity({ out, shifts: [2], std: 0.8, samples: 5000, seed: 3 });
    const png = PNG.sync.read(await readFile(out));
    // The bars are the line's blue (#4c78a8) at 22 % opacity on white.
    const barColor = [0x4c, 0x78, 0xa8].map((c) => 0.22 * c + 0.78 * 255);
    let bar = 0;
    for (let o = 0; o < png.data.length; o += 4) {
      if (barColor.every((c, k) => Math.abs((png.data[o + k] as number) - c) <= 2)) bar++;
    }
    expect(bar).toBeGreaterThan(10000);
  });

  test('draws given laws, stratified within batches as a trainer draws them', async () => {
    const distribution = timestepDistribution({ kind: 'logit-normal', mean: 0.3, shift: 2 });
    const { curves } = await writeTimestepDensity({
      out: join(dir, 'laws.png'),
      laws: [{ label: 'configured', distribution, stratifiedBatch: 7 }],
      subtitle: 'from a run',
      samples: 1000,
    });
    expect(curves).toEqual([{ label: 'configured', medianT: distribution.quantile(0.5), noiseSideShare: distribution.cdf(0.5) }]);
  });

  test.each([
    [{ shifts: [] }, /shifts must be a non-empty list of finite numbers > 0, got \[\]/],
    [{ shifts: [3, 0] }, /shifts must be .* got \[3,0\]/],
    [{ std: -1 }, /std must be a finite number > 0, got -1/],
    [{ samples: 2.5 }, /samples must be an integer ≥ 0, got 2.5/],
    [{ out: '' }, /out must be a file path/],
    [{ laws: [] }, /laws must be a non-empty list, got \[\]/],
    [{ laws: [{ label: 'u', distribution: timestepDistribution({ kind: 'uniform' }), stratifiedBatch: 0 }] }, /laws\[0\]\.stratifiedBatch must be an integer ≥ 1, got 0/],
    [{ laws: [{ label: 'u', distribution: timestepDistribution({ kind: 'uniform' }) }], shifts: [2] }, /laws excludes shifts and std/],
  ])('rejects %j', async (bad, message) => {
    await expect(writeTimestepDensity({ out: join(dir, 'never.png'), ...bad })).rejects.toThrow(message);
  });
});
