import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { DistributionSpec } from './distributions.js';
import { timestepDistribution } from './distributions.js';
import { createRng } from './rng.js';
import { restoreStratifiedStream, roundRobinStream, stratifiedStream } from './stream.js';

const laws: DistributionSpec[] = [
  { kind: 'shifted-logit-normal', shift: 3 },
  { kind: 'beta', alpha: 2, beta: 2, convention: 'sigma' },
  {
    kind: 'mixture',
    components: [
      { weight: 0.7, spec: { kind: 'logit-normal', shift: 3 } },
      { weight: 0.3, spec: { kind: 'uniform' } },
    ],
  },
  { kind: 'range', of: { kind: 'mode' }, tMin: 0.125, tMax: 1 },
];

/** The quantile stratum of each value: floor(K·cdf(x)). */
const strataOf = (dist: ReturnType<typeof timestepDistribution>, values: Float64Array, strata: number) =>
  Array.from(values, (x) => Math.min(strata - 1, Math.floor(dist.cdf(x) * strata)));

describe('stratifiedStream', () => {
  test('each stratum exactly once per cycle, for every law, K and seed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...laws), fc.integer({ min: 1, max: 24 }), fc.nat(), fc.integer({ min: 1, max: 3 }), (spec, strata, seed, cycles) => {
        const dist = timestepDistribution(spec);
        const stream = stratifiedStream(dist, createRng(seed), strata);
        const values = stream.take(strata * cycles);
        const seen = strataOf(dist, values, strata);
        for (let cycle = 0; cycle < cycles; cycle++) {
          const inCycle = seen.slice(cycle * strata, (cycle + 1) * strata).sort((a, b) => a - b);
          expect(inCycle).toEqual(Array.from({ length: strata }, (_, i) => i));
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a restored stream continues exactly where the saved one stopped, also through JSON', () => {
    fc.assert(
      fc.property(fc.constantFrom(...laws), fc.integer({ min: 1, max: 16 }), fc.nat(), fc.integer({ min: 0, max: 40 }), (spec, strata, seed, stop) => {
        const dist = timestepDistribution(spec);
        const whole = stratifiedStream(dist, createRng(seed), strata).take(stop + 20);
        const first = stratifiedStream(dist, createRng(seed), strata);
        if (stop > 0) first.take(stop);
        const saved = JSON.parse(JSON.stringify(first.state()));
        const resumed = restoreStratifiedStream(dist, saved);
        expect(Array.from(resumed.take(20))).toEqual(Array.from(whole.subarray(stop)));
        // The original goes on with the same numbers, unaffected by the copy.
        expect(Array.from(first.take(20))).toEqual(Array.from(whole.subarray(stop)));
      }),
      { numRuns: 150 },
    );
  });

  test('the state is plain numbers: generator words, K, the cycle order and the position', () => {
    const stream = stratifiedStream(timestepDistribution({ kind: 'uniform' }), createRng(1), 4);
    expect(stream.state()).toEqual({ rng: Array.from(createRng(1).state()), strata: 4, order: [], position: 0 });
    stream.next();
    const state = stream.state();
    expect([...state.order].sort()).toEqual([0, 1, 2, 3]);
    expect(state.position).toBe(1);
  });

  test('batch size 1 over K steps has a far smaller variance of the mean than independent draws', () => {
    const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });
    const g = (t: number) => Math.sin(Math.PI * t);
    const meanOver = (draw: () => number, steps: number) => {
      let sum = 0;
      for (let i = 0; i < steps; i++) sum += g(draw());
      return sum / steps;
    };
    const variance = (values: number[]) => {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    };
    const stratified: number[] = [];
    const independent: number[] = [];
    for (let run = 0; run < 2000; run++) {
      const stream = stratifiedStream(dist, createRng(run), 16);
      stratified.push(meanOver(() => stream.next(), 16));
      const rng = createRng(run);
      independent.push(meanOver(() => dist.sample(rng), 16));
    }
    expect(variance(stratified)).toBeLessThan(variance(independent) / 10);
  });

  test('bad input', () => {
    const dist = timestepDistribution({ kind: 'uniform' });
    const rng = createRng(1);
    expect(() => stratifiedStream(dist, rng, 0)).toThrow('strata must be an integer >= 1, got 0');
    expect(() => stratifiedStream(dist, undefined as never, 4)).toThrow(/rng must be a generator from createRng\(seed\)/);
    expect(() => stratifiedStream(undefined as never, rng, 4)).toThrow(/dist must be a distribution from timestepDistribution\(spec\), got undefined/);
    expect(() => stratifiedStream(dist, rng, 4).take(0)).toThrow('n must be an integer >= 1, got 0');
    const state = stratifiedStream(dist, rng, 3).state();
    expect(() => restoreStratifiedStream(dist, { ...state, order: [0, 0, 1] })).toThrow(
      'state.order must be empty or a permutation of 0..2, got [0, 0, 1]',
    );
    expect(() => restoreStratifiedStream(dist, { ...state, order: [2, 0, 1], position: 4 })).toThrow(
      'state.position must be an integer in [0, 3], got 4',
    );
    expect(() => restoreStratifiedStream(dist, { ...state, strata: 1.5 })).toThrow('state.strata must be an integer >= 1, got 1.5');
    expect(() => restoreStratifiedStream(dist, { ...state, rng: [0, 0, 0, 0] })).toThrow(/state must be 4 integers in \[0, 2\^32\), not all zero/);
    expect(() => restoreStratifiedStream(dist, null as never)).toThrow(TypeError);
  });
});

describe('roundRobinStream', () => {
  test('hands out the list in order, cycling, each value once per cycle; resumes from its position', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }), fc.nat(30), (values, stop) => {
        const dist = timestepDistribution({ kind: 'discrete', values });
        const whole = roundRobinStream(dist).take(stop + 2 * values.length);
        for (let i = 0; i < whole.length; i++) expect(whole[i]).toBe(values[i % values.length]);
        const first = roundRobinStream(dist);
        if (stop > 0) first.take(stop);
        const resumed = roundRobinStream(dist, JSON.parse(JSON.stringify(first.state())));
        expect(Array.from(resumed.take(values.length))).toEqual(Array.from(whole.subarray(stop, stop + values.length)));
      }),
    );
  });

  test('values come shifted and in the distribution’s convention', () => {
    const dist = timestepDistribution({ kind: 'discrete', values: [0.25, 0.5], shift: 3, convention: 'sigma' });
    expect(Array.from(roundRobinStream(dist).take(3))).toEqual([0.25, 0.5, 0.25].map((t) => 1 - t / (t + 3 * (1 - t))));
  });

  test('bad input', () => {
    const dist = timestepDistribution({ kind: 'discrete', values: [0.1, 0.2] });
    expect(() => roundRobinStream(timestepDistribution({ kind: 'uniform' }))).toThrow(
      `dist must be a 'discrete' distribution (a fixed list of times), got kind "uniform"`,
    );
    expect(() => roundRobinStream(dist, { position: 2 })).toThrow('state.position must be an integer in [0, 1], got 2');
    expect(() => roundRobinStream(dist).take(1.5)).toThrow('n must be an integer >= 1, got 1.5');
  });
});
