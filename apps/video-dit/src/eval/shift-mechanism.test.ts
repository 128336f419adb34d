import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { halfDetectionTime, measureShiftMechanism, writeShiftMechanismFigure } from './shift-mechanism.js';

describe('the shift mechanism', () => {
  const curves = measureShiftMechanism({ clips: 6, times: 24 });

  test('more pixels keep the object visible to a noisier t, by about the pixel rule’s shift', () => {
    expect(curves.map((c) => c.pixelRatio)).toEqual([1, 4, 16, 2]);
    const halves = curves.map(halfDetectionTime);
    expect(halves[0]).toBeGreaterThan(halves[3]!);
    expect(halves[3]).toBeGreaterThan(halves[1]!);
    expect(halves[1]).toBeGreaterThan(halves[2]!);
    for (const curve of curves.slice(1)) {
      const rule = Math.sqrt(curve.pixelRatio);
      expect(curve.fittedShift.snr / rule).toBeGreaterThan(0.85);
      expect(curve.fittedShift.snr / rule).toBeLessThan(1.15);
      expect(curve.fittedShift.detection / rule).toBeGreaterThan(0.75);
      expect(curve.fittedShift.detection / rule).toBeLessThan(1.33);
    }
  });

  test('the SNR rises with t and detection goes from none to all frames', () => {
    for (const curve of curves) {
      expect(curve.snrDb.every((s, k) => k === 0 || s > curve.snrDb[k - 1]!)).toBe(true);
      expect(curve.detected[0]).toBeLessThan(0.1);
      expect(curve.detected.at(-1)).toBe(1);
    }
  });

  test('bad counts are refused; the figure is written', async () => {
    expect(() => measureShiftMechanism({ clips: 0 })).toThrow('clips must be an integer ≥ 2, got 0');
    const dir = await mkdtemp(join(tmpdir(), 'video-dit-mechanism-'));
    try {
      await writeShiftMechanismFigure(join(dir, 'figure.png'), curves);
      expect((await stat(join(dir, 'figure.png'))).size).toBeGreaterThan(10_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
