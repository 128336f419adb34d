import { describe, expect, test } from 'vitest';
import { batchMeanVariance as measureBatchMeanVariance } from '../bench/batch-mean-variance.mjs';
import { timestepDistribution } from './distributions.js';
import { createRng } from './rng.js';
import { sampleTimesteps } from './sampling.js';
import { shiftSigma, shiftT } from './shift.js';

const dist = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });

/** Variance over seeded batches of the batch mean of g(t), measured as the bench measures it. */
function batchMeanVariance(g: (t: number) => number, batchSize: number, stratified: boolean, batches: number): number {
  return measureBatchMeanVariance({ createRng, sampleTimesteps }, dist, g, batchSize, stratified, batches);
}

describe('sampleTimesteps', () => {
  test('the same seed gives the same batch; a different seed a different one', () => {
    const a = sampleTimesteps(dist, 16, createRng(5));
    expect(sampleTimesteps(dist, 16, createRng(5))).toEqual(a);
    expect(sampleTimesteps(dist, 16, createRng(6))).not.toEqual(a);
  });

  test('independent draws are dist.sample in order', () => {
    const rng = createRng(11);
    const batch = sampleTimesteps(dist, 8, createRng(11));
    for (const t of batch) expect(t).toBe(dist.sample(rng));
  });

  test('stratified: exactly one draw in each quantile slice [i/n, (i+1)/n), in shuffled order', () => {
    const n = 64;
    const batch = sampleTimesteps(dist, n, createRng(2), { stratified: true });
    const slices = Array.from(batch, (t) => Math.floor(dist.cdf(t) * n)).sort((a, b) => a - b);
    expect(slices).toEqual(Array.from({ length: n }, (_, i) => i));
    const inOrder = Array.from(batch).every((t, i) => i === 0 || t >= batch[i - 1]!);
    expect(inOrder).toBe(false);
  });

  // The batch mean of a smooth g(t) is a loss estimate; stratifying removes most of its variance.
  test.each([
    ['sin(πt)', (t: number) => Math.sin(Math.PI * t), 8],
    ['sin(πt)', (t: number) => Math.sin(Math.PI * t), 32],
    ['loss-like (1 − t)² + 0.1', (t: number) => (1 - t) ** 2 + 0.1, 8],
    ['loss-like (1 − t)² + 0.1', (t: number) => (1 - t) ** 2 + 0.1, 32],
  ])('stratified batches of %s at size %i have at most a quarter of the variance', (_, g, batchSize) => {
    const independent = batchMeanVariance(g, batchSize, false, 4000);
    const stratified = batchMeanVariance(g, batchSize, true, 4000);
    expect(stratified).toBeLessThan(independent / 4);
  });

  test.each([
    ['0', 0],
    ['2.5', 2.5],
    ['NaN', Number.NaN],
  ])('a batch size of %s throws', (shown, n) => {
    expect(() => sampleTimesteps(dist, n, createRng(1))).toThrow(`n must be an integer >= 1, got ${shown}`);
  });

  test.each([
    ['no rng', undefined],
    ['a seed instead of a generator', 42],
  ])('%s throws a TypeError that names rng and what to pass', (_, rng) => {
    const message = `rng must be a generator from createRng(seed) or restoreRng(state), got ${String(rng)}`;
    expect(() => sampleTimesteps(dist, 8, rng as never)).toThrow(TypeError);
    expect(() => sampleTimesteps(dist, 8, rng as never)).toThrow(message);
    expect(() => sampleTimesteps(dist, 8, rng as never, { stratified: true })).toThrow(message);
    expect(() => dist.sample(rng as never)).toThrow(message);
  });
});

describe('per-item shifts', () => {
  const base = timestepDistribution({ kind: 'logit-normal' });

  test('without shifts or pixels the batch is unchanged; with shifts each item is shifted on top', () => {
    const plain = sampleTimesteps(base, 6, createRng(9));
    expect(sampleTimesteps(base, 6, createRng(9), {})).toEqual(plain);
    const shifts = [1, 2, 3, 5, 7, 0.5];
    const shifted = sampleTimesteps(base, 6, createRng(9), { shifts });
    shifted.forEach((t, i) => {
      expect(t).toBe(shiftT(plain[i]!, shifts[i]!));
    });
  });

  test('pixels use the resolution rule and compose with shifts (α then β is αβ)', () => {
    const pixels = [256 * 256, 512 * 512, 1024 * 1024];
    const batch = sampleTimesteps(base, 3, createRng(4), { stratified: true, pixels, basePixels: 256 * 256, shifts: [3, 3, 3] });
    const plain = sampleTimesteps(base, 3, createRng(4), { stratified: true });
    // √(m/n) = 1, 2, 4, times 3: shifts 3, 6, 12.
    [3, 6, 12].forEach((shift, i) => {
      expect(batch[i]).toBeCloseTo(shiftT(plain[i]!, shift), 15);
      expect(batch[i]).toBeCloseTo(timestepDistribution({ kind: 'logit-normal', shift }).quantile(base.cdf(plain[i]!)), 13);
    });
  });

  test('in the sigma convention the items are shifted as sigmas', () => {
    const inSigma = timestepDistribution({ kind: 'logit-normal', convention: 'sigma' });
    const plain = sampleTimesteps(inSigma, 4, createRng(2));
    const shifted = sampleTimesteps(inSigma, 4, createRng(2), { shifts: [2, 2, 4, 4] });
    shifted.forEach((sigma, i) => {
      expect(sigma).toBe(shiftSigma(plain[i]!, [2, 2, 4, 4][i]!));
    });
  });

  test('bad per-item input names the argument, and draws nothing', () => {
    const rng = createRng(1);
    const before = Array.from(rng.state());
    expect(() => sampleTimesteps(base, 3, rng, { shifts: [1, 2] })).toThrow('shifts must hold one number per item (3), got 1,2 of length 2');
    expect(() => sampleTimesteps(base, 2, rng, { shifts: [1, -2] })).toThrow('shifts[1] must be a finite number > 0, got -2');
    expect(() => sampleTimesteps(base, 2, rng, { pixels: [4, 4] })).toThrow(/basePixels must be given with pixels/);
    expect(() => sampleTimesteps(base, 2, rng, { pixels: [4, 0], basePixels: 4 })).toThrow('pixels[1] must be a finite number > 0, got 0');
    expect(() => sampleTimesteps(base, 2, rng, { pixels: [4, 4], basePixels: 0 })).toThrow('basePixels must be a finite number > 0, got 0');
    expect(Array.from(rng.state())).toEqual(before);
  });
});
