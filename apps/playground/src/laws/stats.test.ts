import { createRng, sampleTimesteps, timestepDistribution } from '@flowdit/timestep-shift';
import { describe, expect, test } from 'vitest';
import { chiSquare, chiSquareQuantile, expectedCounts, histogram, summarize } from './stats.js';

describe('laws view statistics', () => {
  test("the pdf's bin masses equal the cdf's differences", () => {
    for (const spec of [{ kind: 'shifted-logit-normal', shift: 7 }, { kind: 'mode', scale: 1.29, shift: 3 }, { kind: 'cosmap' }] as const) {
      const dist = timestepDistribution(spec);
      const expected = expectedCounts((x) => dist.pdf(x), 1, 50);
      for (const [bin, mass] of expected.entries()) expect(mass).toBeCloseTo(dist.cdf((bin + 1) / 50) - dist.cdf(bin / 50), 9);
    }
  });

  test('χ² accepts draws of the law and rejects draws of a nearby one', () => {
    const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });
    const draws = sampleTimesteps(dist, 100_000, createRng(1));
    const counts = histogram(draws, 50);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100_000);
    const own = chiSquare(counts, expectedCounts((x) => dist.pdf(x), 100_000, 50));
    expect(own.chi2).toBeLessThan(chiSquareQuantile(0.999, own.dof));
    const other = timestepDistribution({ kind: 'shifted-logit-normal', shift: 2.8 });
    const wrong = chiSquare(counts, expectedCounts((x) => other.pdf(x), 100_000, 50));
    expect(wrong.chi2).toBeGreaterThan(chiSquareQuantile(0.999, wrong.dof));
  });

  test('the χ² quantile is within 1% of the tabulated 0.999 points', () => {
    // χ²(0.999) for 10, 49 and 99 degrees of freedom: 29.588, 85.351, 148.230
    for (const [dof, tabulated] of [[10, 29.588], [49, 85.351], [99, 148.23]] as const) {
      expect(Math.abs(chiSquareQuantile(0.999, dof) / tabulated - 1)).toBeLessThan(0.01);
    }
  });

  test('the noise side is t < 0.5 in t and sigma > 0.5 in sigma, the same share', () => {
    const t = timestepDistribution({ kind: 'shifted-logit-normal', shift: 7 });
    const sigma = timestepDistribution({ kind: 'shifted-logit-normal', shift: 7, convention: 'sigma' });
    const inT = summarize(t, sampleTimesteps(t, 20_000, createRng(2)));
    const inSigma = summarize(sigma, sampleTimesteps(sigma, 20_000, createRng(2)));
    expect(inT.median).toBeCloseTo(0.125, 12);
    expect(inSigma.median).toBeCloseTo(0.875, 12);
    expect(inT.noiseShare).toBeCloseTo(0.974, 3);
    expect(inSigma.noiseShare).toBeCloseTo(inT.noiseShare, 12);
    // 20 000 draws: the share's standard error is √(0.974·0.026/20 000) ≈ 0.0011
    for (const { drawnNoiseShare } of [inT, inSigma]) expect(Math.abs(drawnNoiseShare - inT.noiseShare)).toBeLessThan(0.005);
  });
});
