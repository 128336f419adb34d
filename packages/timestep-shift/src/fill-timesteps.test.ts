import { describe, expect, test } from 'vitest';
import { chiSquareCritical, chiSquareHistogram, ksCritical, ksStatistic } from '../test/statistics.js';
import type { DistributionSpec } from './distributions.js';
import { timestepDistribution } from './distributions.js';
import { fillTimesteps } from './fill-timesteps.js';
import { createRng, restoreRng } from './rng.js';
import { sampleTimesteps } from './sampling.js';
import { fillStandardNormal } from './ziggurat.js';

const shifted3 = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });

describe('fillTimesteps with the ziggurat: 10^6 seeded draws match the cdf', () => {
  // Kolmogorov–Smirnov D against the cdf (bound c(1e-3)/√n) and Pearson χ² of a 100-bin histogram
  // (bound χ²_k(0.999)), as for sampleTimesteps.
  const n = 1_000_000;
  test.each<[string, DistributionSpec, 'Float64Array' | 'Float32Array']>([
    ['shifted-logit-normal(3)', { kind: 'shifted-logit-normal', shift: 3 }, 'Float64Array'],
    ['shifted-logit-normal(7) in sigma, into a Float32Array', { kind: 'shifted-logit-normal', shift: 7, convention: 'sigma' }, 'Float32Array'],
    ['logit-normal(0.5, 0.8) shifted by 2, in sigma', { kind: 'logit-normal', mean: 0.5, std: 0.8, shift: 2, convention: 'sigma' }, 'Float64Array'],
  ])('%s', (_, spec, type) => {
    const dist = timestepDistribution(spec);
    const out = type === 'Float64Array' ? new Float64Array(n) : new Float32Array(n);
    const sample = Float64Array.from(fillTimesteps(dist, out, createRng(20240601)));
    expect(ksStatistic(sample, dist.cdf)).toBeLessThan(ksCritical(n));
    const { statistic, degreesOfFreedom } = chiSquareHistogram(sample, dist.cdf, 100);
    expect(statistic).toBeLessThan(chiSquareCritical(degreesOfFreedom));
  });

  test('the same statistics reject the wrong density (shift 3 draws against shift 2.9)', () => {
    const m = 200_000;
    const sample = fillTimesteps(shifted3, new Float64Array(m), createRng(7));
    const wrong = timestepDistribution({ kind: 'shifted-logit-normal', shift: 2.9 });
    expect(ksStatistic(sample, wrong.cdf)).toBeGreaterThan(ksCritical(m));
    const { statistic, degreesOfFreedom } = chiSquareHistogram(sample, wrong.cdf, 100);
    expect(statistic).toBeGreaterThan(chiSquareCritical(degreesOfFreedom));
  });
});

describe('fillTimesteps', () => {
  test('the ziggurat path is the sigmoid of mean − ln(shift) + std·z for the ziggurat normals z of the same seed', () => {
    const dist = timestepDistribution({ kind: 'logit-normal', mean: 0.3, std: 1.7, shift: 5 });
    const t = fillTimesteps(dist, new Float64Array(50_000), createRng(4));
    const z = fillStandardNormal(new Float64Array(50_000), createRng(4));
    let worst = 0;
    for (let i = 0; i < t.length; i++) {
      const expected = 1 / (1 + Math.exp(-(0.3 - Math.log(5) + 1.7 * z[i]!)));
      worst = Math.max(worst, Math.abs(t[i]! / expected - 1));
    }
    expect(worst).toBeLessThan(3 * 2 ** -52);
  });

  test.each<[string, DistributionSpec]>([
    ['shifted-logit-normal(3)', { kind: 'shifted-logit-normal', shift: 3 }],
    ['logit-normal in sigma', { kind: 'logit-normal', mean: -0.4, std: 1.2, convention: 'sigma' }],
    ['mode(1.29)', { kind: 'mode' }],
    ['cosmap shifted by 7 in sigma', { kind: 'cosmap', shift: 7, convention: 'sigma' }],
  ])("normal: 'inverse-cdf' gives sampleTimesteps' values bit for bit: %s", (_, spec) => {
    const dist = timestepDistribution(spec);
    const filled = fillTimesteps(dist, new Float64Array(5000), createRng(12), { normal: 'inverse-cdf' });
    expect(filled).toEqual(sampleTimesteps(dist, 5000, createRng(12)));
  });

  test.each<[string, DistributionSpec]>([
    ['uniform shifted by 3', { kind: 'uniform', shift: 3 }],
    ['mode(1.29)', { kind: 'mode' }],
  ])('a law without a normal draws as dist.sample does, with either method: %s', (_, spec) => {
    const dist = timestepDistribution(spec);
    expect(fillTimesteps(dist, new Float64Array(2000), createRng(3))).toEqual(sampleTimesteps(dist, 2000, createRng(3)));
  });

  test('a logit-normal spec with a field the fast path does not know draws through dist.sample', () => {
    // A law built on a logit-normal with more to it (a range, say) must not be drawn as the bare law.
    const restricted = { ...shifted3, spec: { ...shifted3.spec, tMax: 0.5 }, sample: shifted3.sample };
    expect(fillTimesteps(restricted, new Float64Array(100), createRng(9))).toEqual(sampleTimesteps(shifted3, 100, createRng(9)));
  });

  test('resuming from a JSON checkpoint of rng.state() continues exactly; pieces equal one fill', () => {
    const whole = fillTimesteps(shifted3, new Float64Array(3000), createRng(21));
    const rng = createRng(21);
    const first = fillTimesteps(shifted3, new Float64Array(1000), rng);
    const checkpoint = JSON.parse(JSON.stringify(Array.from(rng.state()))) as number[];
    const second = fillTimesteps(shifted3, new Float64Array(2000), rng);
    expect(fillTimesteps(shifted3, new Float64Array(2000), restoreRng(checkpoint))).toEqual(second);
    expect(Float64Array.of(...first, ...second)).toEqual(whole);
  });

  test('it fills the array it is given, a view included, and nothing around it', () => {
    const buffer = new Float64Array(10).fill(-1);
    const view = buffer.subarray(2, 8);
    expect(fillTimesteps(shifted3, view, createRng(1))).toBe(view);
    expect(Array.from(buffer.subarray(0, 2))).toEqual([-1, -1]);
    expect(Array.from(buffer.subarray(8))).toEqual([-1, -1]);
    expect(view.every((t) => t > 0 && t < 1)).toBe(true);
    expect(fillTimesteps(shifted3, new Float32Array(0), createRng(1))).toHaveLength(0);
  });

  test('a Float32Array holds the float64 values rounded to float32', () => {
    const narrow = fillTimesteps(shifted3, new Float32Array(1000), createRng(6));
    expect(narrow).toEqual(Float32Array.from(fillTimesteps(shifted3, new Float64Array(1000), createRng(6))));
  });

  describe('bad input', () => {
    test.each([
      ['undefined', undefined, 'undefined'],
      ['a spec instead of a distribution', { kind: 'uniform' }, '[object Object]'],
    ])('dist as %s throws a TypeError naming dist and what to pass', (_, dist, shown) => {
      expect(() => fillTimesteps(dist as never, new Float64Array(2), createRng(1))).toThrow(TypeError);
      expect(() => fillTimesteps(dist as never, new Float64Array(2), createRng(1))).toThrow(
        `dist must be a distribution from timestepDistribution(spec), got ${shown}`,
      );
    });

    test.each([
      ['a plain array', [0, 0], 'Array'],
      ['a Uint8Array', new Uint8Array(2), 'Uint8Array'],
      ['a number', 8, '8'],
    ])('out as %s throws a TypeError naming out and the allowed types', (_, out, shown) => {
      expect(() => fillTimesteps(shifted3, out as never, createRng(1))).toThrow(TypeError);
      expect(() => fillTimesteps(shifted3, out as never, createRng(1))).toThrow(
        `out must be a Float64Array or Float32Array, got ${shown}`,
      );
    });

    test('an unknown normal method throws a RangeError that lists the allowed ones', () => {
      expect(() => fillTimesteps(shifted3, new Float64Array(2), createRng(1), { normal: 'box-muller' as never })).toThrow(
        RangeError,
      );
      expect(() => fillTimesteps(shifted3, new Float64Array(2), createRng(1), { normal: 'box-muller' as never })).toThrow(
        `normal must be 'ziggurat' or 'inverse-cdf', got "box-muller"`,
      );
    });

    test('a missing rng, or one that is not the package’s generator where the ziggurat needs its words, throws a TypeError', () => {
      expect(() => fillTimesteps(shifted3, new Float64Array(2), undefined as never)).toThrow(
        'rng must be a generator from createRng(seed) or restoreRng(state) (the ziggurat reads its 32-bit words), got undefined',
      );
      const custom = { uniform: () => 0.25, normal: () => 0 };
      expect(() => fillTimesteps(shifted3, new Float64Array(2), custom as never)).toThrow(TypeError);
      expect(() => fillTimesteps(timestepDistribution({ kind: 'uniform' }), new Float64Array(2), undefined as never)).toThrow(
        'rng must be a generator from createRng(seed) or restoreRng(state), got undefined',
      );
      // The inverse cdf needs only rng.normal(), so any generator with uniform() and normal() works there.
      const logitNormal = timestepDistribution({ kind: 'logit-normal' });
      const filled = fillTimesteps(logitNormal, new Float64Array(2), custom as never, { normal: 'inverse-cdf' });
      expect(Array.from(filled)).toEqual([0.5, 0.5]);
    });
  });
});
