import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import {
  calculateShift,
  createRng,
  fillTimesteps,
  flowMatchEulerSchedule,
  hunyuanVideoSchedule,
  SHIFT_PRESETS,
  sampleTimesteps,
  stratifiedStream,
  timestepDistribution,
} from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

// The README's examples import the published names; here they load this package's sources.
const SOURCES: Record<string, string> = {
  '@flowdit/timestep-shift': '../src/index.js',
  '@flowdit/timestep-shift/tfjs': '../src/tfjs.js',
};
const load = (specifier: string): Promise<unknown> => import(SOURCES[specifier] ?? specifier);
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (loader: typeof load) => Promise<void>;

/** Runs a README block as written, its static imports turned into `await load(…)`. */
function runExample(code: string): Promise<void> {
  const body = code
    .replace(/^import \* as (\w+) from '([^']+)';$/gm, "const $1 = await load('$2');")
    .replace(/^import \{([^}]+)\} from '([^']+)';$/gm, "const {$1} = await load('$2');")
    .replace(/^import '([^']+)';$/gm, "await load('$1');");
  return new AsyncFunction('load', body)(load);
}

/** The README's js blocks that import what they use (the others are fragments of the text). */
const examples = [...readme.matchAll(/^```js\n([\s\S]*?)^```/gm)]
  .map(([, code]) => code!)
  .filter((code) => /^import /m.test(code));

// The README's example output is what the code prints: recompute it and look for it.
describe('README', () => {
  test('starts with the install command', () => {
    expect(readme).toMatch(/^# @flowdit\/timestep-shift\n\n```sh\nnpm install @flowdit\/timestep-shift\n/);
  });

  test('its install lines add every package its examples import', () => {
    const blocks = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)];
    const installed = blocks
      .filter(([, lang]) => lang === 'sh')
      .flatMap(([, , code]) => [...code!.matchAll(/^npm install (.+)$/gm)].flatMap(([, list]) => list!.split(/\s+/)));
    const imported = blocks
      .filter(([, lang]) => lang === 'js' || lang === 'ts')
      .flatMap(([, , code]) => [...code!.matchAll(/^import (?:[^'"]+ from )?'([^']+)'/gm)].map(([, specifier]) => specifier!))
      .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
    expect(imported).toContain('@tensorflow/tfjs-backend-cpu');
    expect(imported.filter((name) => !installed.includes(name))).toEqual([]);
  });

  test('has the core, tfjs, ranges-and-mixtures, bulk-draw, μ preset, loss weight and solver examples', () => {
    expect(examples).toHaveLength(7);
    expect(examples[1]).toContain("from '@flowdit/timestep-shift/tfjs'");
    expect(examples.filter((code) => code.includes("kind: 'mixture'"))).toHaveLength(1);
    expect(examples.filter((code) => code.includes('fillTimesteps(dist, batch, rng);'))).toHaveLength(1);
  });

  test.each(examples.map((code, i) => [i + 1, code] as const))('example %i runs as written and leaves no tensor behind', async (_, code) => {
    // The engine's own count: tf.memory() would need a backend before the example registers one.
    const before = tf.engine().state.numTensors;
    await runExample(code);
    expect(tf.engine().state.numTensors).toBe(before);
  });

  test('the example batch, median and share are what the library returns', () => {
    const rng = createRng(42);
    const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: SHIFT_PRESETS.hunyuanvideo.shift });
    const t = sampleTimesteps(dist, 8, rng, { stratified: true });
    expect(readme).toContain(`// ${Array.from(t, (x) => x.toFixed(4)).join(', ')}\n`);
    expect(readme).toContain(`dist.quantile(0.5); // ${dist.quantile(0.5)}:`);
    expect(readme).toContain(`dist.cdf(0.5);      // ${dist.cdf(0.5).toFixed(3)}:`);
  });

  test('the bulk-draw example batch is what fillTimesteps returns', () => {
    const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });
    const batch = fillTimesteps(dist, new Float32Array(4), createRng(7));
    expect(readme).toContain(`fillTimesteps(dist, batch, rng); // ziggurat normals, sigmoid and shift in one pass; t = 0 is noise
// ${Array.from(batch, (x) => x.toFixed(4)).join(', ')}\n`);
  });

  test('the example schedule is what flowMatchEulerSchedule returns', () => {
    const { times } = flowMatchEulerSchedule(4, { shift: 3, convention: 't' });
    const shown = Array.from(times, (x) => (Number.isInteger(x) ? String(x) : x.toFixed(6))).join(', ');
    expect(readme).toContain(`// times: [${shown}]`);
  });

  test('the HunyuanVideo schedule line says what the schedule holds', () => {
    const { times } = hunyuanVideoSchedule(50, { shift: 7 });
    expect(readme).toContain(
      `const { times } = hunyuanVideoSchedule(50, { shift: 7 }); // ${times.length} times, times[0] = ${times[0]}, times[50] = ${times[50]}\n`,
    );
  });

  test('the solver example reaches the data, as its last line says', async () => {
    const solver = examples.find((code) => code.includes('flowUniPC'))!;
    const captured: Record<string, Float64Array> = {};
    await runExample(`${solver}\nglobalThis.__solverExample = { x, y };`);
    Object.assign(captured, (globalThis as unknown as { __solverExample: Record<string, Float64Array> }).__solverExample);
    for (const values of [captured.x!, captured.y!]) {
      expect(values[0]).toBeCloseTo(1.5, 12);
      expect(values[1]).toBeCloseTo(-0.5, 12);
    }
  });

  test('calculateShift returns μ, and the shift the README names is e^μ', () => {
    const mu = calculateShift(4096);
    expect(readme).toContain(`\`calculateShift(4096)\` is μ = ${mu}, a shift of e^${mu} ≈ ${Math.exp(mu).toFixed(2)}:`);
  });

  test('the ranges-and-mixtures example shows what the library returns', () => {
    const law = { kind: 'logit-normal', shift: 5 } as const;
    const highNoise = timestepDistribution({ kind: 'range', of: law, tMin: 0, tMax: 0.125 });
    const ratio = highNoise.pdf(0.1) / timestepDistribution(law).pdf(0.1);
    const mass = timestepDistribution(law).cdf(0.125);
    expect(readme).toContain(`// ${ratio.toFixed(3)}: 1 over the law's mass ${mass.toFixed(3)} below 0.125\n`);
    expect(readme).toContain(`highNoise.cdf(0.125); // ${highNoise.cdf(0.125)}\n`);
    const mix = timestepDistribution({
      kind: 'range',
      of: {
        kind: 'mixture',
        components: [
          { weight: 0.7, spec: { kind: 'logit-normal' } },
          { weight: 0.3, spec: { kind: 'uniform' } },
        ],
      },
      tMin: 1e-5,
      tMax: 1 - 1e-5,
      mode: 'rescale',
      shift: 3,
    });
    expect(readme).toContain(`mix.quantile(0.5); // ${mix.quantile(0.5)}:`);
    const first = stratifiedStream(mix, createRng(0), 8).take(3);
    expect(readme).toContain(`const first = stream.take(3); // ${Array.from(first, (x) => x.toFixed(4)).join(', ')}\n`);
  });

  test('the figure numbers for shift 1, 3 and 7', () => {
    for (const shift of [1, 3, 7]) {
      const d = timestepDistribution({ kind: 'shifted-logit-normal', shift });
      const rounded = (x: number) => String(Number(x.toFixed(3)));
      const line = `// ${shift} ${rounded(d.quantile(0.5)).padEnd(5)} ${rounded(d.cdf(0.5))}\n`;
      expect(readme).toContain(line);
    }
  });
});
