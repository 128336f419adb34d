import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  calculateShift,
  exponentialTimeShift,
  flux2Mu,
  inverseShiftSigma,
  inverseShiftT,
  linearTimeShift,
  MU_PRESETS,
  muPreset,
  resolutionShift,
  SHIFT_PRESETS,
  shiftPreset,
  shiftSigma,
  shiftT,
  stretchToTerminal,
} from './shift.js';

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const shiftValue = fc.double({ min: 1 / 64, max: 64, noNaN: true });

describe('the SD3 shift map: laws', () => {
  test('is monotone in t and in sigma', () => {
    fc.assert(
      fc.property(unit, unit, shiftValue, (a, b, alpha) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(shiftT(lo, alpha)).toBeLessThanOrEqual(shiftT(hi, alpha));
        expect(shiftSigma(lo, alpha)).toBeLessThanOrEqual(shiftSigma(hi, alpha));
      }),
    );
  });

  test('maps [0, 1] into [0, 1] and fixes both ends (so onto)', () => {
    fc.assert(
      fc.property(unit, shiftValue, (x, alpha) => {
        for (const value of [shiftT(x, alpha), shiftSigma(x, alpha)]) {
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(1);
        }
        expect([shiftT(0, alpha), shiftT(1, alpha), shiftSigma(0, alpha), shiftSigma(1, alpha)]).toEqual([0, 1, 0, 1]);
      }),
    );
  });

  test('is the identity at shift 1', () => {
    fc.assert(
      fc.property(unit, (x) => {
        expect(shiftT(x, 1)).toBe(x);
        expect(shiftSigma(x, 1)).toBe(x);
      }),
    );
  });

  test('composes: shift_a ∘ shift_b = shift_ab', () => {
    fc.assert(
      fc.property(unit, shiftValue, shiftValue, (x, a, b) => {
        expect(shiftT(shiftT(x, b), a)).toBeCloseTo(shiftT(x, a * b), 13);
        expect(shiftSigma(shiftSigma(x, b), a)).toBeCloseTo(shiftSigma(x, a * b), 13);
      }),
    );
  });

  test('its inverse undoes it', () => {
    fc.assert(
      fc.property(unit, shiftValue, (x, alpha) => {
        expect(inverseShiftT(shiftT(x, alpha), alpha)).toBeCloseTo(x, 13);
        expect(inverseShiftSigma(shiftSigma(x, alpha), alpha)).toBeCloseTo(x, 13);
        expect(inverseShiftT(x, alpha)).toBeCloseTo(shiftT(x, 1 / alpha), 13);
      }),
    );
  });

  test('t and sigma conventions describe the same map', () => {
    fc.assert(
      fc.property(unit, shiftValue, (t, alpha) => {
        expect(shiftSigma(1 - t, alpha)).toBeCloseTo(1 - shiftT(t, alpha), 14);
      }),
    );
  });

  test('moves the logit by −ln shift in t', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1 - 1e-3, noNaN: true }), shiftValue, (t, alpha) => {
        const logit = (x: number) => Math.log(x / (1 - x));
        expect(logit(shiftT(t, alpha))).toBeCloseTo(logit(t) - Math.log(alpha), 8);
      }),
    );
  });

  test('shift > 1 moves t toward noise (t = 0)', () => {
    expect(shiftT(0.5, 3)).toBeCloseTo(0.25, 15);
    expect(shiftSigma(0.5, 3)).toBeCloseTo(0.75, 15);
  });
});

describe('time shifts', () => {
  test('exponential with γ = 1 is the SD3 shift with α = e^μ, in both conventions', () => {
    fc.assert(
      fc.property(unit, fc.double({ min: -3, max: 3, noNaN: true }), (x, mu) => {
        expect(exponentialTimeShift(x, mu)).toBeCloseTo(shiftT(x, Math.exp(mu)), 14);
        expect(exponentialTimeShift(x, mu, { convention: 'sigma' })).toBeCloseTo(shiftSigma(x, Math.exp(mu)), 14);
      }),
    );
  });

  test('linear with γ = 1 is the SD3 shift with α = μ', () => {
    fc.assert(
      fc.property(unit, fc.double({ min: 0.1, max: 10, noNaN: true }), (x, mu) => {
        expect(linearTimeShift(x, mu, { convention: 'sigma' })).toBeCloseTo(shiftSigma(x, mu), 14);
      }),
    );
  });

  test('γ ≠ 1 follows σ\' = e^μ/(e^μ + (1/σ − 1)^γ)', () => {
    const sigma = 0.3;
    const expected = Math.exp(0.7) / (Math.exp(0.7) + (1 / sigma - 1) ** 2);
    expect(exponentialTimeShift(sigma, 0.7, { gamma: 2, convention: 'sigma' })).toBeCloseTo(expected, 15);
  });

  test('stretchToTerminal lands the last step on the terminal, the same in both conventions', () => {
    const sigmas = [1, 0.8, 0.5, 0.2];
    const stretched = stretchToTerminal(sigmas, 0.1, 'sigma');
    expect(stretched[3]).toBeCloseTo(0.1, 15);
    expect(stretched[0]).toBe(1);
    const inT = stretchToTerminal(
      sigmas.map((s) => 1 - s),
      0.9,
      't',
    );
    inT.forEach((t, i) => {
      expect(t).toBeCloseTo(1 - stretched[i]!, 15);
    });
  });

  test('stretchToTerminal takes its values in t unless told otherwise', () => {
    const times = [0, 0.2, 0.5, 0.8];
    expect(stretchToTerminal(times, 0.9)).toEqual(stretchToTerminal(times, 0.9, 't'));
    expect(stretchToTerminal(times, 0.9)[3]).toBeCloseTo(0.9, 15);
  });
});

describe('resolution rules', () => {
  test('maxMu caps the extrapolation at video token counts', () => {
    expect(calculateShift(16384)).toBeCloseTo(3.23, 12);
    expect(calculateShift(16384, { maxMu: 1.15 })).toBe(1.15);
    expect(calculateShift(1024, { maxMu: 1.15 })).toBe(0.63);
  });

  test('SD3 rule: √(m/n), shift 3 for 9× the base tokens', () => {
    expect(resolutionShift(9 * 4096, 4096)).toBe(3);
    expect(resolutionShift(4096, 4096)).toBe(1);
  });

  test('presets carry their values and sources', () => {
    expect(SHIFT_PRESETS.sd3.shift).toBe(3);
    expect(SHIFT_PRESETS.hunyuanvideo.shift).toBe(7);
    expect(SHIFT_PRESETS['wan-720p'].shift).toBe(5);
    expect(SHIFT_PRESETS['wan-480p'].shift).toBe(3);
    for (const preset of Object.values(SHIFT_PRESETS)) expect(preset.source.length).toBeGreaterThan(20);
    expect(shiftPreset('hunyuanvideo')).toBe(SHIFT_PRESETS.hunyuanvideo);
  });

  test('HunyuanVideo 1.5 trains at 3 and validates at 5; 17 is HunyuanVideo-I2V’s dynamic setting', () => {
    expect(SHIFT_PRESETS['hunyuanvideo-1.5-train']).toMatchObject({ shift: 3, use: 'training' });
    expect(SHIFT_PRESETS['hunyuanvideo-1.5-validation'].shift).toBe(5);
    expect(SHIFT_PRESETS['hunyuanvideo-1.5-720p-t2v'].shift).toBe(9);
    expect(SHIFT_PRESETS['hunyuanvideo-1.5-720p-i2v'].shift).toBe(7);
    expect(SHIFT_PRESETS['hunyuanvideo-i2v-dynamic'].source).toContain('HunyuanVideo-I2V README.md');
  });

  test('Wan2.2 experts switch at σ 0.875 (text-to-video) and 0.9 (image-to-video)', () => {
    expect(1 - SHIFT_PRESETS['wan2.2-t2v'].boundaryT!).toBe(0.875);
    expect(1 - SHIFT_PRESETS['wan2.2-i2v'].boundaryT!).toBeCloseTo(0.9, 15);
    expect(SHIFT_PRESETS.sd3.boundaryT).toBeUndefined();
  });

  test('μ presets put μ on their anchors', () => {
    for (const [name, anchors] of Object.entries(MU_PRESETS)) {
      expect(calculateShift(anchors.baseSeqLen, anchors)).toBeCloseTo(anchors.baseShift, 14);
      expect(calculateShift(anchors.maxSeqLen, anchors)).toBeCloseTo(anchors.maxShift, 14);
      expect(muPreset(name)).toBe(anchors);
    }
    expect(MU_PRESETS['qwen-image']).toMatchObject({ maxSeqLen: 8192, maxShift: 0.9, shiftTerminal: 0.02 });
    expect(MU_PRESETS['ltx-2']).toMatchObject({ baseSeqLen: 1024, baseShift: 0.95, maxShift: 2.05 });
    expect(() => muPreset('qwen')).toThrow(new RangeError('preset must be one of "flux", "qwen-image", "ltx-2", got "qwen"'));
  });
});

describe('bad input', () => {
  test.each([
    ['shift 0', () => shiftT(0.5, 0), /shift must be a finite number > 0, got 0/],
    ['shift −2', () => shiftSigma(0.5, -2), /shift must be a finite number > 0, got -2/],
    ['shift NaN', () => shiftT(0.5, Number.NaN), /shift must be a finite number > 0, got NaN/],
    ['shift Infinity', () => inverseShiftT(0.5, Number.POSITIVE_INFINITY), /shift must be a finite number > 0, got Infinity/],
    ['t 1.5', () => shiftT(1.5, 3), /t must be a number in \[0, 1\], got 1.5/],
    ['sigma −0.1', () => shiftSigma(-0.1, 3), /sigma must be a number in \[0, 1\], got -0.1/],
    ['t NaN', () => inverseShiftT(Number.NaN, 3), /t must be a number in \[0, 1\], got NaN/],
    ['pixels 0', () => resolutionShift(0, 4096), /pixels must be a finite number > 0, got 0/],
    ['seqLen NaN', () => calculateShift(Number.NaN), /seqLen must be a finite number > 0, got NaN/],
    ['mu NaN', () => exponentialTimeShift(0.5, Number.NaN), /mu must be a finite number in \[-700, 700\].*got NaN/],
    ['mu 800', () => exponentialTimeShift(0.5, 800), /mu must be a finite number in \[-700, 700\].*got 800/],
    ['linear mu 0', () => linearTimeShift(0.5, 0), /mu must be a finite number > 0, got 0/],
    ['unknown convention', () => exponentialTimeShift(0.5, 1, { convention: 'tau' as 't' }), /convention must be 't' or 'sigma', got "tau"/],
    ['flux2Mu steps 0', () => flux2Mu(256, 0), /steps must be a finite number > 0, got 0/],
    ['unknown preset', () => shiftPreset('wan-1080p'), /preset must be one of "sd3", .*got "wan-1080p"/],
    ['terminal 0 in t', () => stretchToTerminal([0.5], 0, 't'), /terminal must be in \(0, 1\] in the t convention, got 0/],
  ])('%s', (_, run, message) => {
    expect(run).toThrow(message);
  });
});
