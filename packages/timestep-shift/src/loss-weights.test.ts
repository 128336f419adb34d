import { describe, expect, test } from 'vitest';
import { lossWeight } from './loss-weights.js';

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
