import { describe, expect, test } from 'vitest';
import { maxAbsDiff, readFixture } from '../test/fixtures.js';
import {
  flowMatchEulerSchedule,
  flowMatchTrainingTable,
  fluxSchedule,
  hunyuanVideoSchedule,
  trainingTableLookup,
  wanSchedule,
} from './schedules.js';

interface EulerCase {
  label: string;
  inputs: {
    constructor_kwargs: {
      shift?: number;
      use_dynamic_shifting?: boolean;
      base_shift?: number;
      max_shift?: number;
      base_image_seq_len?: number;
      max_image_seq_len?: number;
    };
    set_timesteps_kwargs: { num_inference_steps: number; sigmas?: { values: number[] }; mu?: number };
  };
  outputs: { timesteps: number[]; sigmas: number[] };
}

const eulerFiles = [
  '1a_diffusers_fm_euler_defaults.json',
  '1b_diffusers_fm_euler_shift3_default_path.json',
  '1d_diffusers_fm_euler_dynamic_flux_N4.json',
];
const eulerCases = eulerFiles.flatMap((file) =>
  readFixture<{ cases: EulerCase[] }>(file).cases.map((c) => [`${file}: ${c.label}`, c] as const),
);

function eulerOptions(c: EulerCase) {
  const ctor = c.inputs.constructor_kwargs;
  const call = c.inputs.set_timesteps_kwargs;
  return {
    ...(ctor.shift === undefined ? {} : { shift: ctor.shift }),
    useDynamicShifting: ctor.use_dynamic_shifting === true,
    ...(call.sigmas ? { sigmas: call.sigmas.values } : {}),
    ...(call.mu === undefined ? {} : { mu: call.mu }),
  };
}

describe('flowMatchEulerSchedule reproduces diffusers FlowMatchEulerDiscreteScheduler', () => {
  test.each(eulerCases)('%s bit for bit (sigma convention)', (_, c) => {
    const out = flowMatchEulerSchedule(c.inputs.set_timesteps_kwargs.num_inference_steps, {
      ...eulerOptions(c),
      convention: 'sigma',
    });
    expect(Array.from(out.sigmas)).toEqual(c.outputs.sigmas);
    expect(Array.from(out.timesteps)).toEqual(c.outputs.timesteps);
  });

  test.each(eulerCases)('%s within the README tolerance in float64 and in t', (_, c) => {
    const steps = c.inputs.set_timesteps_kwargs.num_inference_steps;
    const out = flowMatchEulerSchedule(steps, { ...eulerOptions(c), convention: 't', referenceRounding: false });
    expect(maxAbsDiff(out.times, c.outputs.sigmas.map((sigma) => 1 - sigma))).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.timesteps, c.outputs.timesteps.map((ts) => 1000 - ts))).toBeLessThan(1e-3);
    expect(out.times[out.times.length - 1]).toBe(1);
  });

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

interface FluxFixture {
  flux_get_schedule: {
    call: string;
    inputs: { num_steps: number; image_seq_len: number; shift: boolean };
    outputs: { timesteps: number[] };
  }[];
}

describe('fluxSchedule reproduces black-forest-labs/flux get_schedule', () => {
  const cases = readFixture<FluxFixture>('2_calculate_shift_and_flux_get_schedule.json').flux_get_schedule;
  test.each(cases.map((c) => [c.call, c] as const))('%s bit for bit', (_, c) => {
    const out = fluxSchedule(c.inputs.num_steps, {
      seqLen: c.inputs.image_seq_len,
      shift: c.inputs.shift,
      convention: 'sigma',
    });
    expect(Array.from(out)).toEqual(c.outputs.timesteps);
    const float64 = fluxSchedule(c.inputs.num_steps, {
      seqLen: c.inputs.image_seq_len,
      shift: c.inputs.shift,
      convention: 't',
      referenceRounding: false,
    });
    expect(maxAbsDiff(float64, c.outputs.timesteps.map((sigma) => 1 - sigma))).toBeLessThan(1e-6);
  });
});

describe('video schedules', () => {
  test('HunyuanVideo: linspace(1, 0, N+1) then shift 7, N + 1 values ending at the data end', () => {
    const sigmas = hunyuanVideoSchedule(50, { convention: 'sigma', referenceRounding: false });
    expect(sigmas).toHaveLength(51);
    sigmas.forEach((sigma, i) => {
      const base = 1 - i / 50;
      expect(sigma).toBeCloseTo((7 * base) / (1 + 6 * base), 14);
    });
    const times = hunyuanVideoSchedule(50, { convention: 't' });
    expect(times[0]).toBe(0);
    expect(times[50]).toBe(1);
    expect(maxAbsDiff(times, sigmas.map((sigma) => 1 - sigma))).toBeLessThan(1e-7);
  });

  test('Wan2.1: starts at shift(0.999) and ends with a terminal 0, each value a float32', () => {
    const sigmas = wanSchedule(50, { shift: 5, convention: 'sigma' });
    expect(sigmas).toHaveLength(51);
    expect(sigmas[0]).toBe(Math.fround((5 * Math.fround(0.999)) / (1 + 4 * Math.fround(0.999))));
    expect(sigmas[50]).toBe(0);
    for (const sigma of sigmas) expect(Math.fround(sigma)).toBe(sigma);
    const float64 = wanSchedule(50, { shift: 5, convention: 'sigma', referenceRounding: false });
    float64.subarray(0, 50).forEach((sigma, i) => {
      const base = 0.999 * (1 - i / 50);
      expect(sigma).toBeCloseTo((5 * base) / (1 + 4 * base), 14);
    });
  });

  test.each([
    ['hunyuanVideoSchedule', (steps: number) => hunyuanVideoSchedule(steps, { convention: 't' })],
    ['wanSchedule', (steps: number) => wanSchedule(steps, { convention: 't' })],
    ['fluxSchedule', (steps: number) => fluxSchedule(steps, { seqLen: 4096, convention: 't' })],
  ])('%s is increasing in t', (_, schedule) => {
    const times = schedule(30);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
  });
});

interface TrainingMaps {
  training_index_path: {
    rows: { u_dtype: string; u_exact: number[]; idx: number[]; timestep: number[]; sigma: number[] }[];
  };
}

describe('training table (diffusers index path)', () => {
  const rows = readFixture<TrainingMaps>('3_training_maps.json').training_index_path.rows;
  test.each(rows.map((row) => [row.u_dtype, row] as const))('u as %s gives the indices, timesteps and sigmas', (_, row) => {
    const table = flowMatchTrainingTable({ shift: 3, convention: 'sigma' });
    row.u_exact.forEach((u, i) => {
      const hit = trainingTableLookup(table, u);
      expect(hit.index).toBe(row.idx[i]);
      expect(hit.timestep).toBe(row.timestep[i]);
      expect(hit.value).toBe(row.sigma[i]);
    });
    const tTable = flowMatchTrainingTable({ shift: 3, convention: 't' });
    expect(trainingTableLookup(tTable, 0.5).value).toBe(1 - row.sigma[4]!);
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
  ])('%s', (_, run, message) => {
    expect(run).toThrow(message);
  });
});
