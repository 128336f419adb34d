import { describe, expect, test } from 'vitest';
import { timestepDistribution } from './distributions.js';
import { bellWeight, debiasedWeight, densityRatioWeight, flowSnr, lossWeight, minSnrWeight } from './loss-weights.js';

describe('lossWeight', () => {
  test('none is 1; sigma_sqrt at σ = 0 is Infinity', () => {
    expect(lossWeight('none', 0.3)).toBe(1);
    expect(lossWeight('sigma_sqrt', 1)).toBe(Number.POSITIVE_INFINITY);
  });

  test.each([
    ['unknown scheme', () => lossWeight('snr' as 'none', 0.5), /scheme must be 'sigma_sqrt', 'cosmap' or 'none', got "snr"/],
    ['t outside [0, 1]', () => lossWeight('cosmap', 1.5), /t must be a number in \[0, 1\], got 1.5/],
    ['unknown convention', () => lossWeight('cosmap', 0.5, 'x' as 't'), /convention must be 't' or 'sigma', got "x"/],
  ])('%s throws', (_, run, message) => {
    expect(run).toThrow(message);
  });
});

describe('SNR weights', () => {
  test('SNR is 1 at t = 1/2, and min-SNR caps it at γ', () => {
    expect(flowSnr(0.5)).toBe(1);
    expect(flowSnr(0)).toBe(0);
    expect(flowSnr(1)).toBe(Number.POSITIVE_INFINITY);
    // SNR(0.75) = 9: γ = 5 weighs it 5/9; below γ the weight is 1.
    expect(minSnrWeight(0.75, 5)).toBeCloseTo(5 / 9, 15);
    expect(minSnrWeight(0.5, 5)).toBe(1);
    expect(minSnrWeight(0.5, 5, { vPrediction: true })).toBe(0.5);
    expect(debiasedWeight(0.75)).toBeCloseTo(1 / 3, 15);
  });

  test('the ends are the limits', () => {
    expect(minSnrWeight(0, 5)).toBe(1);
    expect(minSnrWeight(0, 5, { vPrediction: true })).toBe(0);
    expect(minSnrWeight(1, 5)).toBe(0);
    expect(minSnrWeight(0, 5, { convention: 'sigma' })).toBe(0);
    expect(debiasedWeight(0)).toBe(Number.POSITIVE_INFINITY);
    expect(debiasedWeight(1)).toBeCloseTo(1 / Math.sqrt(1000), 15);
  });

  test.each([
    ['γ 0', () => minSnrWeight(0.5, 0), /gamma must be a finite number > 0, got 0/],
    ['t outside [0, 1]', () => debiasedWeight(-0.1), /t must be a number in \[0, 1\], got -0.1/],
    ['σ outside [0, 1]', () => flowSnr(2, 'sigma'), /sigma must be a number in \[0, 1\], got 2/],
  ])('%s throws', (_, run, message) => {
    expect(run).toThrow(message);
  });
});

describe('bellWeight', () => {
  test('0 at the noise end, peak at 1/2; the half bell stays at the peak toward the data', () => {
    expect(bellWeight(0)).toBe(0);
    expect(bellWeight(0.25)).toBeCloseTo(bellWeight(0.75), 14);
    expect(bellWeight(0.9, { half: true })).toBe(bellWeight(0.5));
    expect(bellWeight(0.2, { half: true })).toBe(bellWeight(0.2));
    // Mean 1 over ai-toolkit's 1000-entry table.
    let sum = 0;
    for (let i = 0; i < 1000; i++) sum += bellWeight(i / 1000);
    expect(sum / 1000).toBeCloseTo(1, 14);
  });
});

describe('densityRatioWeight', () => {
  test('weighting draws from one law gives the expectations of the other', () => {
    const sampled = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });
    const target = timestepDistribution({ kind: 'logit-normal', mean: 0.5, std: 0.8 });
    const weight = densityRatioWeight(target, sampled);
    const g = (t: number) => Math.sin(Math.PI * t) + t * t;
    // Midpoint rule in the quantile of the sampled law: E_sampled[w·g] over 10^5 equal-mass cells.
    const n = 100_000;
    let weighted = 0;
    for (let i = 0; i < n; i++) {
      const t = sampled.quantile((i + 0.5) / n);
      weighted += weight(t) * g(t);
    }
    let direct = 0;
    for (let i = 0; i < n; i++) direct += g(target.quantile((i + 0.5) / n));
    expect(weighted / n).toBeCloseTo(direct / n, 4);
  });

  test('is 1 for the same law, and conventions must match', () => {
    const a = timestepDistribution({ kind: 'mode' });
    expect(densityRatioWeight(a, a)(0.3)).toBe(1);
    const inSigma = timestepDistribution({ kind: 'mode', convention: 'sigma' });
    expect(() => densityRatioWeight(a, inSigma)).toThrow(
      new RangeError(`target and sampled must share a convention, got "t" and "sigma"`),
    );
    expect(() => densityRatioWeight(a, 3 as never)).toThrow(
      new TypeError('sampled must be a distribution from timestepDistribution(spec), got 3'),
    );
  });
});
