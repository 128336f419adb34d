import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../backend/index.js';
import { tokenCount } from '../model/index.js';
import { ablationComparisons, ablationTable, summarizeAblation, writeAblationFigure } from './report.js';
import { ablationArms, ablationConfig, ablationPlan, ablationRuns, pixelRuleShift, runAblation } from './shift-ablation.js';

let out: string;
beforeAll(async () => {
  await initBackend('wasm');
  out = await mkdtemp(join(tmpdir(), 'video-dit-ablation-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('the shift ablation’s plan', () => {
  test('shifts 1, the token rule’s, the pixel rule’s and 4× it, each once per resolution', () => {
    expect(pixelRuleShift(16)).toBe(2);
    expect(pixelRuleShift(32)).toBe(4);
    expect(ablationArms().map(({ side, shift, rules }) => [side, shift, rules])).toEqual([
      [16, 1, ['none']],
      [16, 2, ['token rule', 'pixel rule']],
      [16, 8, ['4 × pixel rule']],
      [32, 1, ['none']],
      [32, 2, ['token rule']],
      [32, 4, ['pixel rule']],
      [32, 16, ['4 × pixel rule']],
    ]);
  });

  test('both resolutions have the same tokens, and the clips scale with the frame', () => {
    const plan = ablationPlan();
    const configs = ablationRuns(plan)
      .filter((run) => run.seed === 0)
      .map((run) => ablationConfig(run, plan, out, 'wasm'));
    expect(new Set(configs.map((config) => tokenCount(config.model)))).toEqual(new Set([64]));
    const at32 = configs.find((config) => config.model.height === 32)!;
    expect([at32.data.size, at32.data.maxSpeed, at32.timesteps.shift]).toEqual([12, 3, 1]);
    expect(ablationRuns(plan)).toHaveLength(2 * configs.length);
  });

  test('steps and seeds must be positive integers', () => {
    expect(() => ablationPlan({ steps: 0 })).toThrow('steps must be a positive integer, got 0');
    expect(() => ablationPlan({ seeds: 1.5 })).toThrow('seeds must be a positive integer, got 1.5');
  });
});

describe('a quick ablation', () => {
  test('stopped part-way and run again, ends as an uninterrupted one; then the table, comparisons and figure', async () => {
    const plan = ablationPlan({ quick: true });
    const straight = await runAblation(join(out, 'straight'), plan, 'wasm');
    let steps = 0;
    const stopped = await runAblation(join(out, 'stopped'), plan, 'wasm', { stopRequested: () => ++steps === 6 });
    expect(stopped.stopped).toMatchObject({ run: { name: '16px-shift2-seed0' }, step: 3 });
    const notes: string[] = [];
    const done: boolean[] = [];
    const resumed = await runAblation(join(out, 'stopped'), plan, 'wasm', { onNote: (_run, line) => notes.push(line), onRun: (_i, _n, _run, earlier) => done.push(earlier) });
    expect(done).toEqual([true, false, false, false, false, false, false]);
    expect(notes).toContainEqual(expect.stringMatching(/^resumed from .*step-00000003 at step 3$/));
    expect(resumed.results.map((r) => [r.run.name, r.validation])).toEqual(straight.results.map((r) => [r.run.name, r.validation]));
    expect(resumed.results.map((r) => r.along.map((a) => a.step))).toEqual(straight.results.map(() => [2, 4]));

    // a result from before the pixel-rule sampling gets it from its checkpoint, the same as sampled at once
    const first = join(out, 'straight', '16px-shift1-seed0', 'ablation-result.json');
    const { qualityAtPixelRuleShift, ...older } = JSON.parse(await readFile(first, 'utf8'));
    await writeFile(first, JSON.stringify(older));
    const again = await runAblation(join(out, 'straight'), plan, 'wasm');
    expect(again.results[0]!.qualityAtPixelRuleShift).toEqual(qualityAtPixelRuleShift);
    expect(JSON.parse(await readFile(first, 'utf8')).qualityAtPixelRuleShift).toEqual(qualityAtPixelRuleShift);

    await expect(runAblation(join(out, 'stopped'), ablationPlan({ quick: true, steps: 6 }), 'wasm')).rejects.toThrow(
      /holds an ablation planned otherwise \(steps 4 there, 6 now.*\)/,
    );

    const arms = summarizeAblation(straight.results);
    const table = ablationTable(arms);
    expect(table).toHaveLength(2 + 7);
    expect(table[2]).toMatch(/^\| 16×16 \/ 4×4 \| 1 \| none \| \*\*0\.\d{3}\*\* \(0\.\d{3}\) \| 0\.\d{3} \(0\.\d{3}\) \|/);
    expect(ablationComparisons(arms)).toHaveLength(5);
    const figure = join(out, 'ablation.png');
    await writeAblationFigure(figure, straight.results);
    expect((await stat(figure)).size).toBeGreaterThan(10_000);
    expect(JSON.parse(await readFile(join(out, 'straight', 'plan.json'), 'utf8'))).toEqual(plan);
  }, 240_000);
});
