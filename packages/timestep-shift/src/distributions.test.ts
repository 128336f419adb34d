import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  chiSquareCritical,
  chiSquareHistogram,
  expectMonotoneCdf,
  expectQuantileInvertsCdf,
  ksCritical,
  ksStatistic,
  simpson,
} from '../test/statistics.js';
import type { DistributionSpec } from './distributions.js';
import { MODE_SCALE_MAX, modeTransform, timestepDistribution } from './distributions.js';
import { createRng } from './rng.js';
import { sampleTimesteps } from './sampling.js';

describe('a shift on top of a distribution', () => {
  test('transforms pdf/cdf/quantile exactly (uniform shifted by 7 = its closed form)', () => {
    const dist = timestepDistribution({ kind: 'uniform', shift: 7 });
    // t' = t/(t + 7(1 − t)) with t ~ U: cdf(t') = 7t'/(1 + 6t'), pdf = 7/(1 + 6t')².
    for (const t of [0.01, 0.2, 0.5, 0.9]) {
      expect(dist.cdf(t)).toBeCloseTo((7 * t) / (1 + 6 * t), 15);
      expect(dist.pdf(t)).toBeCloseTo(7 / (1 + 6 * t) ** 2, 13);
    }
  });
});

const specs: [string, DistributionSpec][] = [
  ['uniform', { kind: 'uniform' }],
  ['logit-normal(0.5, 0.6) in sigma', { kind: 'logit-normal', mean: 0.5, std: 0.6, convention: 'sigma' }],
  ['shifted-logit-normal(3)', { kind: 'shifted-logit-normal', shift: 3 }],
  ['shifted-logit-normal(7, std 0.6) in sigma', { kind: 'shifted-logit-normal', shift: 7, std: 0.6, convention: 'sigma' }],
  ['mode(1.29)', { kind: 'mode' }],
  ['mode(−0.5) shifted by 3', { kind: 'mode', scale: -0.5, shift: 3 }],
  ['mode(1.29) shifted by 3 in sigma', { kind: 'mode', shift: 3, convention: 'sigma' }],
  ['cosmap', { kind: 'cosmap' }],
  ['cosmap shifted by 7 in sigma', { kind: 'cosmap', shift: 7, convention: 'sigma' }],
];

describe('laws of every distribution', () => {
  test.each(specs)('%s: density integrates to 1 and to cdf differences', (_, spec) => {
    const dist = timestepDistribution(spec);
    expect(simpson(dist.pdf, 0, 1, 20000)).toBeCloseTo(1, 7);
    for (const [a, b] of [
      [0, 0.1],
      [0.1, 0.45],
      [0.45, 0.8],
      [0.8, 1],
    ] as const) {
      expect(simpson(dist.pdf, a, b, 4000)).toBeCloseTo(dist.cdf(b) - dist.cdf(a), 8);
    }
  });

  test.each(specs)('%s: quantile(cdf(x)) = x and cdf(quantile(p)) = p', (_, spec) => {
    expectQuantileInvertsCdf(timestepDistribution(spec));
  });

  test.each(specs)('%s: cdf is monotone from 0 to 1', (_, spec) => {
    expectMonotoneCdf(timestepDistribution(spec));
  });

  test('mode: quantile(cdf(t)) = t over the whole allowed scale range', () => {
    const scales = fc.double({ min: -1, max: MODE_SCALE_MAX, noNaN: true });
    fc.assert(
      fc.property(scales, fc.double({ min: 0, max: 1, noNaN: true }), (scale, t) => {
        const dist = timestepDistribution({ kind: 'mode', scale });
        expect(Math.abs(dist.quantile(dist.cdf(t)) - t)).toBeLessThanOrEqual(1e-12);
      }),
    );
  });

  test('mode at the steepest scale 2/(π − 2): the density diverges at 1/2 and the cdf still inverts', () => {
    const dist = timestepDistribution({ kind: 'mode', scale: MODE_SCALE_MAX });
    expect(dist.cdf(0.5)).toBeCloseTo(0.5, 5);
    expect(dist.pdf(0.5)).toBeGreaterThan(1e3);
    expect(dist.quantile(dist.cdf(0.4999))).toBeCloseTo(0.4999, 10);
  });
});

describe('10^6 seeded samples match the density', () => {
  // Statistics: Kolmogorov–Smirnov D against the cdf, bound c(1e-3)/√n = 1.95e-3; and Pearson χ²
  // of a 100-bin histogram against the counts the cdf predicts, bound χ²_k(0.999). Both must hold.
  const n = 1_000_000;
  test.each(specs.filter(([name]) => ['shifted-logit-normal(3)', 'mode(1.29)', 'cosmap shifted by 7 in sigma'].includes(name)))('%s', (_, spec) => {
    const dist = timestepDistribution(spec);
    const sample = sampleTimesteps(dist, n, createRng(20240601));
    const d = ksStatistic(sample, dist.cdf);
    expect(d).toBeLessThan(ksCritical(n));
    const { statistic, degreesOfFreedom } = chiSquareHistogram(sample, dist.cdf, 100);
    expect(statistic).toBeLessThan(chiSquareCritical(degreesOfFreedom));
  });

  test('the same statistics reject the wrong density (shift 3 samples against shift 2.9)', () => {
    const m = 200_000;
    const sample = sampleTimesteps(timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 }), m, createRng(7));
    const wrong = timestepDistribution({ kind: 'shifted-logit-normal', shift: 2.9 });
    expect(ksStatistic(sample, wrong.cdf)).toBeGreaterThan(ksCritical(m));
    const { statistic, degreesOfFreedom } = chiSquareHistogram(sample, wrong.cdf, 100);
    expect(statistic).toBeGreaterThan(chiSquareCritical(degreesOfFreedom));
  });
});

describe('bad input', () => {
  test.each([
    ['std 0', { kind: 'logit-normal', std: 0 }, /std must be a finite number > 0, got 0/],
    ['std −1', { kind: 'shifted-logit-normal', shift: 3, std: -1 }, /std must be a finite number > 0, got -1/],
    ['shift 0', { kind: 'shifted-logit-normal', shift: 0 }, /shift must be a finite number > 0, got 0/],
    ['shift NaN', { kind: 'uniform', shift: Number.NaN }, /shift must be a finite number > 0, got NaN/],
    ['shift Infinity', { kind: 'cosmap', shift: Number.POSITIVE_INFINITY }, /shift must be a finite number > 0, got Infinity/],
    ['mean NaN', { kind: 'logit-normal', mean: Number.NaN }, /mean must be a finite number, got NaN/],
    ['mode scale 1.8', { kind: 'mode', scale: 1.8 }, /scale must be in \[-1, 2\/\(π-2\) ≈ 1.751938\].*got 1.8/],
    ['mode scale −1.01', { kind: 'mode', scale: -1.01 }, /scale must be in \[-1, .*got -1.01/],
    ['unknown kind', { kind: 'gamma' }, /kind must be one of 'uniform', .*'mixture', got "gamma"/],
    ['unknown convention', { kind: 'uniform', convention: 'tau' }, /convention must be 't' or 'sigma', got "tau"/],
  ])('%s', (_, spec, message) => {
    expect(() => timestepDistribution(spec as DistributionSpec)).toThrow(message);
  });

  test('t, sigma or p outside [0, 1]', () => {
    const dist = timestepDistribution({ kind: 'logit-normal' });
    expect(() => dist.pdf(1.5)).toThrow(/t must be a number in \[0, 1\], got 1.5/);
    expect(() => dist.cdf(Number.NaN)).toThrow(/t must be a number in \[0, 1\], got NaN/);
    expect(() => dist.quantile(-0.1)).toThrow(/p must be a number in \[0, 1\], got -0.1/);
    const inSigma = timestepDistribution({ kind: 'mode', convention: 'sigma' });
    expect(() => inSigma.cdf(2)).toThrow(/sigma must be a number in \[0, 1\], got 2/);
    expect(() => modeTransform(1.2)).toThrow(/u must be a number in \[0, 1\], got 1.2/);
  });
});
