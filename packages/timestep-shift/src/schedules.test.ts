import { describe, expect, test } from 'vitest';
import { maxAbsDiff } from '../test/fixtures.js';
import {
  flowMatchEulerSchedule,
  flowMatchTrainingTable,
  flux2Schedule,
  fluxSchedule,
  hunyuanVideoSchedule,
  wanSchedule,
} from './schedules.js';

describe('flowMatchEulerSchedule', () => {
  test('the default path with shift 3 shifts twice: the last step is shift(shift(0.001))', () => {
    const shift = (s: number) => (3 * s) / (1 + 2 * s);
    const { sigmas } = flowMatchEulerSchedule(4, { shift: 3, convention: 'sigma', referenceRounding: false });
    expect(sigmas[3]).toBeCloseTo(shift(shift(0.001)), 12);
  });

  test('dynamic μ from seqLen equals passing calculate_shift(L) as mu', () => {
    const sigmas = [1, 0.75, 0.5, 0.25];
    const viaSeqLen = flowMatchEulerSchedule(4, { useDynamicShifting: true, seqLen: 1024, sigmas, convention: 'sigma' });
    const viaMu = flowMatchEulerSchedule(4, { useDynamicShifting: true, mu: 0.63, sigmas, convention: 'sigma' });
    expect(viaSeqLen.sigmas).toEqual(viaMu.sigmas);
  });

  test('the linear time shift with μ equals the SD3 shift α = μ', () => {
    const times = flowMatchEulerSchedule(3, {
      useDynamicShifting: true,
      timeShiftType: 'linear',
      mu: 3,
      sigmas: [1, 0.5, 0.2],
      convention: 'sigma',
      referenceRounding: false,
    });
    const shifted = [1, 0.5, 0.2].map((s) => (3 * s) / (1 + 2 * s));
    expect(maxAbsDiff(times.sigmas.subarray(0, 3), shifted)).toBeLessThan(1e-15);
  });

  test('shiftTerminal stretches the last step onto the terminal value', () => {
    const { sigmas } = flowMatchEulerSchedule(8, {
      shift: 3,
      shiftTerminal: 0.1,
      convention: 'sigma',
      referenceRounding: false,
    });
    expect(sigmas[7]).toBeCloseTo(0.1, 15);
    expect(sigmas[0]).toBe(1);
    expect(sigmas[8]).toBe(0);
  });

  test('dynamic shifting without mu or seqLen is an error', () => {
    expect(() => flowMatchEulerSchedule(4, { useDynamicShifting: true, convention: 'sigma' })).toThrow(/mu/);
  });
});

describe('video schedules', () => {
  test('HunyuanVideo: linspace(1, 0, N+1) then shift 7, N + 1 values ending at the data end', () => {
    const { sigmas, timesteps } = hunyuanVideoSchedule(50, { convention: 'sigma', referenceRounding: false });
    expect(sigmas).toHaveLength(51);
    sigmas.forEach((sigma, i) => {
      const base = 1 - i / 50;
      expect(sigma).toBeCloseTo((7 * base) / (1 + 6 * base), 14);
    });
    expect(timesteps).toHaveLength(50);
    timesteps.forEach((timestep, i) => {
      expect(timestep).toBe(sigmas[i]! * 1000);
    });
    const { times } = hunyuanVideoSchedule(50, { convention: 't' });
    expect(times[0]).toBe(0);
    expect(times[50]).toBe(1);
    expect(maxAbsDiff(times, sigmas.map((sigma) => 1 - sigma))).toBeLessThan(1e-7);
  });

  test('HunyuanVideo timesteps are sigma·1000 in float32', () => {
    const { sigmas, timesteps } = hunyuanVideoSchedule(30, { convention: 'sigma' });
    timesteps.forEach((timestep, i) => {
      expect(timestep).toBe(Math.fround(sigmas[i]! * 1000));
    });
  });

  test('Wan2.1: starts at shift(0.999) and ends with a terminal 0, each value a float32', () => {
    const { sigmas } = wanSchedule(50, { shift: 5, convention: 'sigma' });
    expect(sigmas).toHaveLength(51);
    expect(sigmas[0]).toBe(Math.fround((5 * Math.fround(0.999)) / (1 + 4 * Math.fround(0.999))));
    expect(sigmas[50]).toBe(0);
    for (const sigma of sigmas) expect(Math.fround(sigma)).toBe(sigma);
    const float64 = wanSchedule(50, { shift: 5, convention: 'sigma', referenceRounding: false });
    float64.sigmas.subarray(0, 50).forEach((sigma, i) => {
      const base = 0.999 * (1 - i / 50);
      expect(sigma).toBeCloseTo((5 * base) / (1 + 4 * base), 14);
      expect(float64.timesteps[i]).toBe(sigma * 1000);
    });
  });

  test("Wan2.1 timesteps are int64 as in Wan: the float64 sigma·1000 truncated", () => {
    const float64 = wanSchedule(50, { shift: 5, convention: 'sigma', referenceRounding: false });
    const { timesteps } = wanSchedule(50, { shift: 5, convention: 'sigma' });
    expect(timesteps).toHaveLength(50);
    timesteps.forEach((timestep, i) => {
      expect(timestep).toBe(Math.trunc(float64.timesteps[i]!));
    });
    expect(timesteps[0]).toBe(999);
  });

  test.each([
    ['hunyuanVideoSchedule', (steps: number) => hunyuanVideoSchedule(steps, { convention: 't' })],
    ['wanSchedule', (steps: number) => wanSchedule(steps, { convention: 't' })],
    ['fluxSchedule', (steps: number) => fluxSchedule(steps, { seqLen: 4096, convention: 't' })],
  ])('%s is increasing in t', (_, schedule) => {
    const { times } = schedule(30);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
  });
});

describe('one shape for every schedule', () => {
  // Each schedule without a convention (so in t, the default) and the same schedule in sigma.
  const schedules = [
    ['flowMatchEulerSchedule', () => flowMatchEulerSchedule(12, { shift: 3 }), () => flowMatchEulerSchedule(12, { shift: 3, convention: 'sigma' })],
    ['fluxSchedule', () => fluxSchedule(12, { seqLen: 1024 }), () => fluxSchedule(12, { seqLen: 1024, convention: 'sigma' })],
    ['hunyuanVideoSchedule', () => hunyuanVideoSchedule(12, { shift: 7 }), () => hunyuanVideoSchedule(12, { shift: 7, convention: 'sigma' })],
    ['wanSchedule', () => wanSchedule(12, { shift: 5 }), () => wanSchedule(12, { shift: 5, convention: 'sigma' })],
  ] as const;

  test.each(schedules)('%s: t is the default; N + 1 times and N timesteps 1000·t, the mirror of the sigma schedule', (_, scheduleInT, scheduleInSigma) => {
    const inT = scheduleInT();
    const inSigma = scheduleInSigma();
    expect(inT.convention).toBe('t');
    expect(inSigma.convention).toBe('sigma');
    expect(inT.times).toHaveLength(13);
    expect(inT.timesteps).toHaveLength(12);
    expect(inSigma.sigmas).toHaveLength(13);
    expect(inSigma.timesteps).toHaveLength(12);
    expect(inT.times[12]).toBe(1);
    expect(inSigma.sigmas[12]).toBe(0);
    inSigma.sigmas.forEach((sigma, i) => {
      expect(inT.times[i]).toBe(1 - sigma);
    });
    inSigma.timesteps.forEach((timestep, i) => {
      expect(inT.timesteps[i]).toBe(1000 - timestep);
      // 1000·t up to the reference's rounding (float32, or Wan's int64 cast).
      expect(Math.abs(inT.timesteps[i]! - 1000 * inT.times[i]!)).toBeLessThan(1);
      expect(Math.abs(timestep - 1000 * inSigma.sigmas[i]!)).toBeLessThan(1);
    });
  });

  test('without options the schedules and the training table are in t', () => {
    expect(hunyuanVideoSchedule(4).convention).toBe('t');
    expect(wanSchedule(4).convention).toBe('t');
    expect(flowMatchEulerSchedule(4).convention).toBe('t');
    const table = flowMatchTrainingTable();
    expect(table.convention).toBe('t');
    expect(table.values[0]).toBe(0);
  });
});

describe('flowMatchEulerSchedule respacings', () => {
  test.each(['useKarrasSigmas', 'useExponentialSigmas', 'useBetaSigmas'] as const)('%s keeps the first and last step and stays decreasing', (name) => {
    const plain = flowMatchEulerSchedule(12, { shift: 3, convention: 'sigma' }).sigmas;
    const { sigmas } = flowMatchEulerSchedule(12, { shift: 3, convention: 'sigma', [name]: true });
    expect(sigmas[0]).toBe(plain[0]);
    expect(Math.abs(sigmas[11]! - plain[11]!)).toBeLessThan(1e-7);
    for (let i = 1; i < sigmas.length; i++) expect(sigmas[i]).toBeLessThan(sigmas[i - 1]!);
  });

  test('invertSigmas gives the t schedule up to float32 rounding', () => {
    const plain = flowMatchEulerSchedule(8, { shift: 3 });
    const inverted = flowMatchEulerSchedule(8, { shift: 3, invertSigmas: true });
    expect(maxAbsDiff(inverted.times, plain.times)).toBeLessThan(1e-7);
    expect(maxAbsDiff(inverted.timesteps, plain.timesteps)).toBeLessThan(1e-4);
  });
});

describe('bad input', () => {
  test.each([
    ['steps 0', () => hunyuanVideoSchedule(0, { convention: 't' }), /steps must be an integer >= 1, got 0/],
    ['steps 2.5', () => wanSchedule(2.5, { convention: 't' }), /steps must be an integer >= 1, got 2.5/],
    ['unknown convention', () => fluxSchedule(4, { seqLen: 256, convention: 'tau' as 't' }), /convention must be 't' or 'sigma', got "tau"/],
    ['shift 0', () => hunyuanVideoSchedule(4, { shift: 0, convention: 't' }), /shift must be a finite number > 0, got 0/],
    ['shift NaN', () => flowMatchEulerSchedule(4, { shift: Number.NaN, convention: 't' }), /shift must be a finite number > 0, got NaN/],
    ['seqLen -1', () => fluxSchedule(4, { seqLen: -1, convention: 't' }), /seqLen must be a finite number > 0, got -1/],
    ['sigmas out of range', () => flowMatchEulerSchedule(2, { sigmas: [1, 1.5], convention: 't' }), /sigmas\[1\] must be a number in \[0, 1\], got 1.5/],
    ['sigmas and times', () => flowMatchEulerSchedule(2, { sigmas: [1], times: [0], convention: 't' }), /either sigmas or times/],
    ['shiftTerminal 1', () => flowMatchEulerSchedule(2, { shiftTerminal: 1, convention: 't' }), /shiftTerminal must be a sigma in \[0, 1\), got 1/],
    ['two respacings', () => flowMatchEulerSchedule(4, { useKarrasSigmas: true, useBetaSigmas: true }), /only one of useKarrasSigmas, useExponentialSigmas and useBetaSigmas can be true, got useKarrasSigmas and useBetaSigmas/],
    ['invertSigmas in sigma', () => flowMatchEulerSchedule(4, { invertSigmas: true, convention: 'sigma' }), /invertSigmas returns diffusers' inverted sigmas, which are t = 1 − σ: use convention 't', got "sigma"/],
    ['options a number', () => hunyuanVideoSchedule(50, 7 as never), /options must be an object such as \{ convention: 't' \}, got 7/],
    ['flux2 seqLen 0', () => flux2Schedule(4, { seqLen: 0 }), /seqLen must be a finite number > 0, got 0/],
    ['flux2 without options', () => flux2Schedule(4, null as never), /options must be an object with seqLen \(the image token count\), got null/],
    ['flux without options', () => fluxSchedule(4, undefined as never), /options must be an object with seqLen \(the image or video token count\), got undefined/],
  ])('%s', (_, run, message) => {
    expect(run).toThrow(message);
  });
});
