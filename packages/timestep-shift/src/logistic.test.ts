import { describe, expect, test } from 'vitest';
import { logistic } from './logistic.js';

const reference = (x: number) => 1 / (1 + Math.exp(-x));

describe('logistic', () => {
  test('within 3·2^-52 relative of 1/(1 + Math.exp(−x)) on a grid of 2·10^6 points over [−45, 45]', () => {
    let worst = 0;
    for (let i = 0; i <= 2_000_000; i++) {
      const x = -45 + (90 * i) / 2_000_000;
      worst = Math.max(worst, Math.abs(logistic(x) / reference(x) - 1));
    }
    expect(worst).toBeLessThan(3 * 2 ** -52);
  });

  test('beyond |x| = 40 and at the ends it is 1/(1 + Math.exp(−x)) itself', () => {
    for (const x of [-800, -40, 40, 41.5, 700, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) {
      expect(logistic(x)).toBe(reference(x));
    }
    expect(logistic(Number.NaN)).toBeNaN();
    expect(logistic(0)).toBe(0.5);
  });
});
