import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { decodeWebModel, disposeDit, type SampleOptions, sampleClips } from 'video-dit/src/web/index.js';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PlaygroundState } from '../src/main.js';
import { serveStatic } from './static-server.js';

/*
 * The built page in headless Chromium over a static server on 127.0.0.1. Chromium comes from the
 * system (Debian's `chromium` package: scripts/setup-chromium.sh); no tool downloads a browser.
 * Without one the tests skip and say so, except in CI, where they must run.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findChromium(): string | undefined {
  const given = process.env.FLOWDIT_CHROMIUM;
  if (given !== undefined) return existsSync(given) ? given : undefined;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not on the PATH
    }
  }
  return undefined;
}

const executable = findChromium();
if (executable === undefined) {
  const how = 'install it with `bash scripts/setup-chromium.sh` (Debian: apt-get install chromium) or set FLOWDIT_CHROMIUM to a Chromium binary';
  if (process.env.CI === 'true') throw new Error(`playground: no Chromium found, and CI must run the browser tests; ${how}`);
  console.warn(`playground: the browser tests are skipped: no Chromium found; ${how}`);
}

// Chromium may reach nothing outside: no background requests, updates, sync or QUIC, a fresh profile.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-webgpu'];

/** A fixed-seed sample: a few steps, fresh noise included, two clips. */
const SAMPLE: Omit<SampleOptions, 'onStep'> = { count: 2, steps: 6, shift: 2.5, seed: 11, stochasticity: 0.5 };

/*
 * How far a page sample may be from Node's cpu sample (values in about [−1, 1], six steps). The cpu
 * backend runs the same JavaScript, bit for bit; wasm rounds its own float32 sums (measured 3.7e-6);
 * webgl and webgpu on SwiftShader use the GPU's float32 exp, tanh and fused multiply-adds (measured 5.2e-4).
 */
const SAMPLE_TOLERANCE: Record<string, number> = { cpu: 0, wasm: 5e-5, webgl: 3e-3, webgpu: 3e-3 };

let context: BrowserContext;
let server: Awaited<ReturnType<typeof serveStatic>>;
let scratch: string;

/** A page of the site with its console errors and uncaught errors collected, once the page is ready. */
async function openPage(query = ''): Promise<{ page: Page; errors: string[]; state: () => Promise<PlaygroundState> }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.setViewportSize({ width: 1240, height: 900 });
  await page.goto(`${server.url}${query}`);
  await page.waitForFunction(() => window.flowditPlayground?.ready === true || window.flowditPlayground?.error !== undefined, null, { timeout: 120_000 });
  const state = () => page.evaluate(() => JSON.parse(JSON.stringify(window.flowditPlayground)) as PlaygroundState);
  expect((await state()).error).toBeUndefined();
  return { page, errors, state };
}

describe.skipIf(executable === undefined)('the playground in Chromium', () => {
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'flowdit-playground-'));
    const outDir = join(scratch, 'site');
    await build({ root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await serveStatic(outDir);
    context = await chromium.launchPersistentContext(join(scratch, 'profile'), { executablePath: executable, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  test('every view renders with no console error, and each backend the browser offers is listed', async () => {
    const { page, errors, state } = await openPage();
    const shots = process.env.FLOWDIT_SCREENSHOTS;
    if (shots !== undefined) await mkdir(shots, { recursive: true });
    for (const view of ['laws', 'rope', 'model']) {
      await page.click(`nav a[data-view=${view}]`);
      const section = page.locator(`section#${view}`);
      await expect.poll(() => section.isVisible()).toBe(true);
      expect(await section.locator('canvas').count()).toBeGreaterThan(0);
      if (view === 'model') {
        // the run's own 100 steps for the screenshot; 5 (slider position 304 of 1000 on 1–200, log scale) otherwise
        if (shots === undefined) await page.locator('#model input[name=steps]').fill('304');
        await page.click('button[name=sample]');
        await page.waitForFunction(() => window.flowditPlayground.model?.done === true, null, { timeout: 300_000 });
      }
      if (shots !== undefined) await page.screenshot({ path: join(shots, `${view}.png`), fullPage: true });
    }
    const { backends, backend, model } = await state();
    expect(backends.map((b) => b.name)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    const available = backends.filter((b) => b.available).map((b) => b.name);
    expect(available).toContain('cpu');
    // the page runs on the best one, and its drop-down offers every one that started
    expect(backend).toBe(available[0]);
    expect(model!.backend).toBe(backend);
    expect(await page.locator('select[name=backend] option').allTextContents()).toEqual(available);
    for (const b of backends) expect(await page.locator(`.backend-list li[data-backend=${b.name}]`).textContent()).toContain(b.name);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  test("the laws view opens on the README's figure, and every law's histogram agrees with its drawn pdf (χ²), in t and in sigma", async () => {
    const { page, errors, state } = await openPage();
    const laws = (await state()).laws!;
    expect(laws.convention).toBe('t');
    expect(laws.curves.map((c) => c.shift)).toEqual([1, 3, 7]);
    expect(laws.curves.map((c) => c.median)).toEqual([0.5, 0.25, 0.125].map((m) => expect.closeTo(m, 12)));
    expect(laws.curves.map((c) => Number(c.noiseShare.toFixed(3)))).toEqual([0.5, 0.864, 0.974]);
    const lawIds = await page.locator('.curve[data-curve="0"] select[name=law] option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(lawIds.length).toBeGreaterThanOrEqual(5);
    for (const convention of ['t', 'sigma']) {
      await page.selectOption('select[name=convention]', convention);
      for (const law of lawIds) {
        await page.selectOption('.curve[data-curve="0"] select[name=law]', law);
        const { curves } = (await state()).laws!;
        for (const curve of curves) {
          expect(curve.chi2, `${curve.label} (${convention})`).toBeLessThan(curve.bound);
          expect(curve.counts.reduce((a, b) => a + b, 0)).toBe(laws.draws);
          // the drawn share of the noise side matches the law's within 5 standard errors
          const se = Math.sqrt((curve.noiseShare * (1 - curve.noiseShare)) / laws.draws);
          expect(Math.abs(curve.drawnNoiseShare - curve.noiseShare)).toBeLessThanOrEqual(5 * se + 1e-12);
        }
      }
    }
    // a wrong pdf fails the same bound: shift 7's draws against shift 3's curve
    const { curves } = (await state()).laws!;
    const { chiSquare } = await import('../src/laws/stats.js');
    expect(chiSquare(curves[2]!.counts, curves[1]!.expected).chi2).toBeGreaterThan(curves[1]!.bound);
    // live: fresh draws every second
    const { seed } = (await state()).laws!;
    await page.check('input[name=live]');
    await expect.poll(async () => (await state()).laws!.seed, { timeout: 10_000 }).toBeGreaterThan(seed);
    await page.uncheck('input[name=live]');
    expect(errors).toEqual([]);
    await page.close();
  });

  test("on each backend: the RoPE score depends only on the offset, and a fixed-seed sample equals the app's Node sample", async () => {
    const json = JSON.parse(await readFile(join(root, 'public/model/model.json'), 'utf8'));
    const bytes = await readFile(join(root, 'public/model', json.weightsManifest[0].paths[0]));
    await tf.setBackend('cpu');
    const { model } = decodeWebModel(json, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const inNode = await sampleClips(model, SAMPLE);
    disposeDit(model);
    const { page: firstPage, state: first } = await openPage();
    const available = (await first()).backends.filter((b) => b.available).map((b) => b.name);
    await firstPage.close();
    for (const backend of available) {
      const { page, errors, state } = await openPage(`?backend=${backend}`);
      const { rope, backend: running } = await state();
      expect(running).toBe(backend);
      expect(rope!.pairs).toBe((4 * 6 * 6) ** 2);
      expect(rope!.maxScore).toBeGreaterThan(0.5);
      expect(rope!.maxSpread, backend).toBeLessThan(1e-5 * rope!.maxScore);
      expect(rope!.layoutDifference, backend).toBeLessThan(1e-5 * rope!.maxScore);

      const inPage = await page.evaluate((options) => window.flowditPlayground.sample!(options), SAMPLE);
      expect(inPage).toHaveLength(inNode.length);
      let worst = 0;
      for (const [i, clip] of inPage.entries()) {
        expect(clip).toHaveLength(inNode[i]!.length);
        for (let k = 0; k < clip.length; k++) worst = Math.max(worst, Math.abs(clip[k]! - inNode[i]![k]!));
      }
      console.log(`playground: ${backend}: RoPE spread ${rope!.maxSpread.toExponential(2)}; sample against Node's cpu: largest difference ${worst.toExponential(2)}`);
      expect(worst, backend).toBeLessThanOrEqual(SAMPLE_TOLERANCE[backend]!);
      expect(errors).toEqual([]);
      await page.close();
    }
  }, 600_000);
});
