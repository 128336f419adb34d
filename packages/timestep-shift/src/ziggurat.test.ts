import { describe, expect, test } from 'vitest';
import { chiSquareCritical, chiSquareHistogram, ksCritical, ksStatistic } from '../test/statistics.js';
import { normalCdf } from './normal.js';
import type { Xoshiro128 } from './rng.js';
import { createRng, restoreRng } from './rng.js';
import { fillStandardNormal, zigguratTables } from './ziggurat.js';

const { layerArea, edges, heights } = zigguratTables;
const LAYERS = 256;
const TAIL_START = edges[1]!;

// The same algorithm one draw at a time on `nextUint32`, written from the tables as the ziggurat is
// usually stated: it pins the bulk loop's inlined generator step and its integer rectangle test.
function referenceNormal(rng: Xoshiro128): number {
  for (;;) {
    const high = rng.nextUint32();
    const low = rng.nextUint32();
    const layer = high % LAYERS;
    const sign = high & LAYERS ? -1 : 1;
    const x = (((high >>> 9) * 2 ** 30 + (low >>> 2)) * edges[layer]!) / 2 ** 53;
    if (x < edges[layer + 1]!) return sign * x;
    if (layer === 0) {
      for (;;) {
        const a = -Math.log(1 - rng.uniform()) / TAIL_START;
        const b = -Math.log(1 - rng.uniform());
        if (2 * b > a * a) return sign * (TAIL_START + a);
      }
    }
    if (heights[layer]! + rng.uniform() * (heights[layer + 1]! - heights[layer]!) < Math.exp(-0.5 * x * x)) {
      return sign * x;
    }
  }
}

describe('the ziggurat tables', () => {
  test('edges fall from x_0 > r to 0 and heights rise to f(0) = 1', () => {
    expect(edges).toHaveLength(LAYERS + 1);
    expect(edges[0]).toBeGreaterThan(TAIL_START);
    for (let i = 0; i < LAYERS; i++) expect(edges[i + 1]).toBeLessThan(edges[i]!);
    expect(edges[LAYERS]).toBe(0);
    expect(heights[LAYERS]).toBe(1);
  });

  test('every layer above the base has the base layer’s area r·f(r) + ∫_r^∞ f, to 1e-12 relative', () => {
    const tail = Math.sqrt(Math.PI / 2) * (1 - normalCdf(TAIL_START)) * 2;
    expect(layerArea).toBeCloseTo(TAIL_START * Math.exp(-0.5 * TAIL_START ** 2) + tail, 15);
    for (let i = 1; i < LAYERS; i++) {
      const area = edges[i]! * (heights[i + 1]! - heights[i]!);
      expect(Math.abs(area / layerArea - 1)).toBeLessThan(1e-12);
    }
  });
});

describe('fillStandardNormal', () => {
  const n = 1_000_000;
  const sample = fillStandardNormal(new Float64Array(n), createRng(20240601));

  test('10^6 seeded draws match N(0, 1): KS against normalCdf and χ² of Φ(z) on 100 bins', () => {
    expect(ksStatistic(sample, normalCdf)).toBeLessThan(ksCritical(n));
    const { statistic, degreesOfFreedom } = chiSquareHistogram(sample.map(normalCdf), (u) => u, 100);
    expect(statistic).toBeLessThan(chiSquareCritical(degreesOfFreedom));
  });

  test('10^7 draws in 400 bins of width 0.025 on [−5, 5] (and the two tails) give χ² below χ²_401(0.999)', () => {
    // Fine enough to see the 0.7 % of mass that the wedges add when their test is left out (χ² ≈ 1800).
    const draws = fillStandardNormal(new Float64Array(10_000_000), createRng(77));
    const bins = 400;
    const width = 10 / bins;
    const counts = new Float64Array(bins + 2);
    for (const z of draws) counts[Math.min(bins + 1, Math.max(0, Math.floor((z + 5) / width) + 1))]! += 1;
    const edge = (b: number) => (b === 0 ? Number.NEGATIVE_INFINITY : b === bins + 2 ? Number.POSITIVE_INFINITY : -5 + (b - 1) * width);
    let statistic = 0;
    for (let b = 0; b < bins + 2; b++) {
      const expected = draws.length * (normalCdf(edge(b + 1)) - normalCdf(edge(b)));
      statistic += (counts[b]! - expected) ** 2 / expected;
    }
    expect(statistic).toBeLessThan(chiSquareCritical(bins + 1));
  });

  test('the same statistic rejects a standard deviation of 1.02', () => {
    expect(ksStatistic(sample, (z) => normalCdf(z / 1.02))).toBeGreaterThan(ksCritical(n));
  });

  test('the tail beyond r has the normal’s share, and its draws follow the normal’s tail law', () => {
    const tailShare = 2 * (1 - normalCdf(TAIL_START));
    const tail = Float64Array.from(sample.filter((z) => Math.abs(z) > TAIL_START), Math.abs);
    // Five binomial standard errors around n·P(|Z| > r) ≈ 258.
    expect(Math.abs(tail.length - n * tailShare)).toBeLessThan(5 * Math.sqrt(n * tailShare));
    const tailCdf = (x: number) => (normalCdf(x) - normalCdf(TAIL_START)) / (1 - normalCdf(TAIL_START));
    expect(ksStatistic(tail, tailCdf)).toBeLessThan(ksCritical(tail.length));
  });

  test('seed 42 gives the draws and the state of an independent Python implementation', () => {
    // Python's own splitmix32 seeding, xoshiro128** and ziggurat, with its tables in 40-digit mpmath:
    // the same words go to the same layers and decisions (the state after 10^5 draws is equal), and
    // the draws agree to the float64 tables' round-off.
    const rng = createRng(42);
    const first = fillStandardNormal(new Float64Array(6), rng);
    const python = [
      -0.5876512675375424, -0.5254739640990694, 0.012223884921924768, -1.9669431097338963, 0.3529397156174125,
      -0.043989589528548236,
    ];
    expect(Math.max(...Array.from(first, (z, i) => Math.abs(z / python[i]! - 1)))).toBeLessThan(1e-14);
    fillStandardNormal(new Float64Array(100_000 - 6), rng);
    expect(Array.from(rng.state())).toEqual([1750631037, 2616395433, 3770821319, 2208422991]);
  });

  test('the bulk loop draws what the ziggurat one draw at a time on nextUint32 draws, and leaves the same state', () => {
    for (const seed of [1, 99, 2 ** 40 + 3]) {
      const bulk = fillStandardNormal(new Float64Array(100_000), createRng(seed));
      const rng = createRng(seed) as Xoshiro128;
      const single = Float64Array.from({ length: 100_000 }, () => referenceNormal(rng));
      expect(bulk).toEqual(single);
      const after = createRng(seed);
      fillStandardNormal(new Float64Array(100_000), after);
      expect(Array.from(after.state())).toEqual(Array.from(rng.state()));
    }
  });

  test('filling in pieces, or resuming from a JSON checkpoint of rng.state(), continues the same sequence', () => {
    const whole = fillStandardNormal(new Float64Array(3000), createRng(5));
    const rng = createRng(5);
    const first = fillStandardNormal(new Float64Array(1000), rng);
    const checkpoint = JSON.parse(JSON.stringify(Array.from(rng.state()))) as number[];
    const second = fillStandardNormal(new Float64Array(1000), rng);
    const resumed = fillStandardNormal(new Float64Array(1000), restoreRng(checkpoint));
    expect(resumed).toEqual(second);
    const third = fillStandardNormal(new Float64Array(1000), rng);
    expect(Float64Array.of(...first, ...second, ...third)).toEqual(whole);
  });

  test('a Float32Array gets the float64 draws rounded to float32; the array itself is returned', () => {
    const out = new Float32Array(1000);
    expect(fillStandardNormal(out, createRng(8))).toBe(out);
    expect(out).toEqual(Float32Array.from(fillStandardNormal(new Float64Array(1000), createRng(8))));
  });

  test.each([
    ['a plain array', [0, 0], 'Array'],
    ['an Int32Array', new Int32Array(2), 'Int32Array'],
    ['undefined', undefined, 'undefined'],
  ])('out as %s throws a TypeError naming out and the allowed types', (_, out, shown) => {
    expect(() => fillStandardNormal(out as never, createRng(1))).toThrow(TypeError);
    expect(() => fillStandardNormal(out as never, createRng(1))).toThrow(
      `out must be a Float64Array or Float32Array, got ${shown}`,
    );
  });

  test.each([
    ['no rng', undefined, 'undefined'],
    ['an object with uniform() and normal()', { uniform: () => 0.5, normal: () => 0 }, '[object Object]'],
  ])('%s throws a TypeError that names rng and what to pass', (_, rng, shown) => {
    expect(() => fillStandardNormal(new Float64Array(2), rng as never)).toThrow(
      `rng must be a generator from createRng(seed) or restoreRng(state) (the ziggurat reads its 32-bit words), got ${shown}`,
    );
  });
});
