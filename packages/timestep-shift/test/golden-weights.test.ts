import { describe, expect, test } from 'vitest';
import { bellWeight, debiasedWeight, flowSnr, minSnrWeight } from '../src/index.js';
import { readFixture } from './fixtures.js';

// Fixture 10 (see test/fixtures/README.md): sd-scripts' SNR weights on the flow SNR, ai-toolkit's bell.

interface WeightCase {
  function: 'apply_snr_weight' | 'apply_debiased_estimation';
  gamma?: number;
  v_prediction: boolean;
  weight: number[];
}
interface WeightFixture {
  snr_weighting: { t: number[]; snr_float64: number[]; snr_mpmath_50_digits_rounded: number[]; cases: WeightCase[] };
  bell: { timesteps: number[]; weight: number[]; weight_half: number[] };
}
const fixture = readFixture<WeightFixture>('10_loss_weights.json');
const { t: grid, snr_float64: snr, snr_mpmath_50_digits_rounded: snrExact } = fixture.snr_weighting;
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('fixture 10: loss weights', () => {
  test('flowSnr is (t/(1 − t))², within an ulp or two of 50-digit mpmath, in both conventions', () => {
    grid.forEach((t, i) => {
      expect(flowSnr(t)).toBe(snr[i]);
      expect(relative(flowSnr(t), snrExact[i]!)).toBeLessThan(5e-16);
      expect(relative(flowSnr(1 - t, 'sigma'), snrExact[i]!)).toBeLessThan(1e-13);
    });
  });

  test.each(fixture.snr_weighting.cases.map((c) => [`${c.function} γ ${c.gamma ?? '-'} v ${c.v_prediction}`, c] as const))('%s', (_, c) => {
    grid.forEach((t, i) => {
      const mine =
        c.function === 'apply_snr_weight'
          ? minSnrWeight(t, c.gamma!, { vPrediction: c.v_prediction })
          : debiasedWeight(t, { vPrediction: c.v_prediction });
      // apply_snr_weight rounds its weight to float32 (`.float()`); the debiased weight stays float64.
      expect(relative(mine, c.weight[i]!)).toBeLessThan(c.function === 'apply_snr_weight' ? 6e-8 : 1e-15);
    });
  });

  test('bellWeight at t = i/1000 is ai-toolkit’s table entry i (float32), bell and half bell', () => {
    fixture.bell.timesteps.forEach((timestep, i) => {
      expect(timestep).toBe(1000 - i);
      const t = i / 1000;
      expect(Math.abs(bellWeight(t) - fixture.bell.weight[i]!)).toBeLessThan(1e-6);
      expect(Math.abs(bellWeight(t, { half: true }) - fixture.bell.weight_half[i]!)).toBeLessThan(1e-6);
      expect(Math.abs(bellWeight(timestep / 1000, { convention: 'sigma' }) - fixture.bell.weight[i]!)).toBeLessThan(1e-6);
    });
  });
});
