import { describe, expect, test } from 'vitest';
import { readFixture } from '../test/fixtures.js';
import { lossWeight } from './loss-weights.js';

interface Weights {
  sigma: number[];
  weight: number[];
}
interface LossFixture {
  loss_weighting: {
    input_float64: { sigma_sqrt: Weights; cosmap: Weights };
    input_float32: { sigma_sqrt: Weights; cosmap: Weights };
  };
}
const fixture = readFixture<LossFixture>('3_training_maps.json').loss_weighting;

describe('lossWeight against diffusers compute_loss_weighting_for_sd3 (fixture 3)', () => {
  test('sigma_sqrt: σ⁻², which diffusers returns as float32', () => {
    const { sigma, weight } = fixture.input_float64.sigma_sqrt;
    sigma.forEach((s, i) => {
      expect(Math.fround(lossWeight('sigma_sqrt', s, 'sigma'))).toBe(weight[i]);
      expect(Math.fround(lossWeight('sigma_sqrt', 1 - s, 't'))).toBeCloseTo(weight[i]!, 4);
    });
    // float32 inputs were squared in float32: within float32 rounding.
    const f32 = fixture.input_float32.sigma_sqrt;
    f32.sigma.forEach((s, i) => {
      expect(Math.abs(lossWeight('sigma_sqrt', s, 'sigma') / f32.weight[i]! - 1)).toBeLessThan(2.5e-7);
    });
  });

  test('cosmap: 2/(π(1 − 2σ + 2σ²)), symmetric, so the same in t', () => {
    const { sigma, weight } = fixture.input_float64.cosmap;
    sigma.forEach((s, i) => {
      expect(lossWeight('cosmap', s, 'sigma')).toBe(weight[i]);
      expect(lossWeight('cosmap', 1 - s)).toBeCloseTo(weight[i]!, 14);
    });
    const f32 = fixture.input_float32.cosmap;
    f32.sigma.forEach((s, i) => {
      expect(Math.abs(lossWeight('cosmap', s, 'sigma') - f32.weight[i]!)).toBeLessThan(2e-7);
    });
  });

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
