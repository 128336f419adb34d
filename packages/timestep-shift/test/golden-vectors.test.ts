import { describe, expect, test } from 'vitest';
import {
  calculateShift,
  flowMatchEulerSchedule,
  flowMatchTrainingTable,
  fluxSchedule,
  lossWeight,
  modeTransform,
  timestepDistribution,
  trainingTableLookup,
} from '../src/index.js';
import { maxAbsDiff, readFixture } from './fixtures.js';

// The golden vectors of test/fixtures, made by running diffusers, flux and mpmath (see its README),
// against the public API. Each describe names the fixture file it reads.

const close = (actual: number, expected: number, relative: number, absolute = 0) =>
  Math.abs(actual - expected) <= relative * Math.abs(expected) + absolute;

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

describe('fixtures 1a, 1b, 1d: diffusers FlowMatchEulerDiscreteScheduler', () => {
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
});

interface ShiftFixture {
  calculate_shift: { image_seq_len: number; mu: number; flux_get_lin_function_mu: number }[];
}

interface FluxFixture {
  flux_get_schedule: {
    call: string;
    inputs: { num_steps: number; image_seq_len: number; shift: boolean };
    outputs: { timesteps: number[] };
  }[];
}

describe('fixture 2: calculate_shift and flux get_schedule', () => {
  const rows = readFixture<ShiftFixture>('2_calculate_shift_and_flux_get_schedule.json').calculate_shift;
  test.each(rows.map((row) => [row.image_seq_len, row] as const))('calculateShift(%i) is bit-identical to diffusers and flux', (seqLen, row) => {
    expect(calculateShift(seqLen)).toBe(row.mu);
    expect(calculateShift(seqLen)).toBe(row.flux_get_lin_function_mu);
  });

  const cases = readFixture<FluxFixture>('2_calculate_shift_and_flux_get_schedule.json').flux_get_schedule;
  test.each(cases.map((c) => [c.call, c] as const))('%s bit for bit', (_, c) => {
    const out = fluxSchedule(c.inputs.num_steps, {
      seqLen: c.inputs.image_seq_len,
      shift: c.inputs.shift,
      convention: 'sigma',
    });
    expect(Array.from(out.sigmas)).toEqual(c.outputs.timesteps);
    const float64 = fluxSchedule(c.inputs.num_steps, {
      seqLen: c.inputs.image_seq_len,
      shift: c.inputs.shift,
      convention: 't',
      referenceRounding: false,
    });
    expect(maxAbsDiff(float64.times, c.outputs.timesteps.map((sigma) => 1 - sigma))).toBeLessThan(1e-6);
  });
});

interface ModeCase {
  mode_scale: number;
  u_float64_input: number[];
  output_float64: number[];
  u_float32_input: number[];
  output_float32: number[];
}

interface Weights {
  sigma: number[];
  weight: number[];
}
interface TrainingMaps {
  mode_transform: { cases: ModeCase[] };
  loss_weighting: {
    input_float64: { sigma_sqrt: Weights; cosmap: Weights };
    input_float32: { sigma_sqrt: Weights; cosmap: Weights };
  };
  training_index_path: {
    rows: { u_dtype: string; u_exact: number[]; idx: number[]; timestep: number[]; sigma: number[] }[];
  };
}

describe('fixture 3: diffusers training maps', () => {
  const maps = readFixture<TrainingMaps>('3_training_maps.json');
  test.each(maps.mode_transform.cases.map((c) => [c.mode_scale, c] as const))('modeTransform(u, %d) matches diffusers', (scale, c) => {
    // Same expression; the last ulp can differ because V8's cos is not glibc's.
    c.u_float64_input.forEach((u, i) => {
      expect(Math.abs(modeTransform(u, scale) - c.output_float64[i]!)).toBeLessThanOrEqual(2.3e-16);
    });
    // diffusers evaluates float32 draws in float32; float64 of the same u is within float32 rounding.
    c.u_float32_input.forEach((u, i) => {
      expect(Math.abs(modeTransform(u, scale) - c.output_float32[i]!)).toBeLessThan(3e-7);
    });
  });

  test('lossWeight sigma_sqrt: σ⁻², which diffusers returns as float32', () => {
    const { sigma, weight } = maps.loss_weighting.input_float64.sigma_sqrt;
    sigma.forEach((s, i) => {
      expect(Math.fround(lossWeight('sigma_sqrt', s, 'sigma'))).toBe(weight[i]);
      expect(Math.fround(lossWeight('sigma_sqrt', 1 - s, 't'))).toBeCloseTo(weight[i]!, 4);
    });
    // float32 inputs were squared in float32: within float32 rounding.
    const f32 = maps.loss_weighting.input_float32.sigma_sqrt;
    f32.sigma.forEach((s, i) => {
      expect(Math.abs(lossWeight('sigma_sqrt', s, 'sigma') / f32.weight[i]! - 1)).toBeLessThan(2.5e-7);
    });
  });

  test('lossWeight cosmap: 2/(π(1 − 2σ + 2σ²)), symmetric, so the same in t', () => {
    const { sigma, weight } = maps.loss_weighting.input_float64.cosmap;
    sigma.forEach((s, i) => {
      expect(lossWeight('cosmap', s, 'sigma')).toBe(weight[i]);
      expect(lossWeight('cosmap', 1 - s)).toBeCloseTo(weight[i]!, 14);
    });
    const f32 = maps.loss_weighting.input_float32.cosmap;
    f32.sigma.forEach((s, i) => {
      expect(Math.abs(lossWeight('cosmap', s, 'sigma') - f32.weight[i]!)).toBeLessThan(2e-7);
    });
  });

  test.each(maps.training_index_path.rows.map((row) => [row.u_dtype, row] as const))('training index path: u as %s gives the indices, timesteps and sigmas', (_, row) => {
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

interface LogitNormalCase {
  location_name: string;
  m: number;
  s: number;
  t: number[];
  pdf: number[];
  cdf: number[];
  p: number[];
  quantile: number[];
}
interface DensityFixture {
  logit_normal: { cases: LogitNormalCase[] };
  mode_density: {
    mode_scale: number;
    at_t_grid: { t: number; u_with_f_u_eq_t: number; pdf: number; cdf: number }[];
    at_u_grid: { u: number; t_eq_f_u: number; pdf_at_t: number }[];
  };
}
const density = readFixture<DensityFixture>('6_logit_normal_and_mode_density.json');

describe('fixture 6: logit-normal and mode densities (mpmath, t convention)', () => {
  test.each(density.logit_normal.cases.map((c) => [c.m, c.s, c] as const))('mean %d, std %d', (m, s, c) => {
    const dist = timestepDistribution({ kind: 'logit-normal', mean: m, std: s });
    c.t.forEach((t, i) => {
      expect(close(dist.pdf(t), c.pdf[i]!, 1e-13)).toBe(true);
      expect(close(dist.cdf(t), c.cdf[i]!, 1e-13)).toBe(true);
    });
    c.p.forEach((p, i) => {
      expect(close(dist.quantile(p), c.quantile[i]!, 1e-14)).toBe(true);
    });
    // sigma = 1 − T ~ LogitNormal(−m, s): pdf(1 − x), 1 − cdf(1 − x), 1 − quantile(1 − p).
    const inSigma = timestepDistribution({ kind: 'logit-normal', mean: m, std: s, convention: 'sigma' });
    c.t.forEach((t, i) => {
      expect(close(inSigma.pdf(1 - t), c.pdf[i]!, 1e-12)).toBe(true);
      expect(close(inSigma.cdf(1 - t), 1 - c.cdf[i]!, 1e-12, 1e-15)).toBe(true);
    });
  });

  test('shifted-logit-normal(shift 3) and logit-normal(0, 1) with shift 3 are logit-normal(−ln 3)', () => {
    const reference = density.logit_normal.cases.find((c) => c.location_name === '-ln 3' && c.s === 1)!;
    const shifted = timestepDistribution({ kind: 'shifted-logit-normal', shift: 3 });
    const onTop = timestepDistribution({ kind: 'logit-normal', shift: 3 });
    reference.t.forEach((t, i) => {
      expect(close(shifted.pdf(t), reference.pdf[i]!, 1e-13)).toBe(true);
      expect(close(onTop.cdf(t), reference.cdf[i]!, 1e-13)).toBe(true);
    });
  });

  const mode = timestepDistribution({ kind: 'mode', scale: density.mode_density.mode_scale });
  test.each(density.mode_density.at_t_grid.map((row) => [row.t, row] as const))('mode: pdf and cdf at t = %d', (t, row) => {
    expect(close(mode.pdf(t), row.pdf, 1e-12)).toBe(true);
    expect(close(mode.cdf(t), row.cdf, 1e-13, 1e-16)).toBe(true);
    // Symmetric about 1/2: the sigma convention gives the same numbers.
    const inSigma = timestepDistribution({ kind: 'mode', convention: 'sigma' });
    expect(close(inSigma.pdf(t), row.pdf, 1e-12)).toBe(true);
  });

  test('mode: pdf at t = f(u) on the u grid, and f itself', () => {
    for (const row of density.mode_density.at_u_grid) {
      expect(close(mode.pdf(row.t_eq_f_u), row.pdf_at_t, 1e-11)).toBe(true);
      expect(close(modeTransform(row.u), row.t_eq_f_u, 0, 3e-16)).toBe(true);
    }
  });
});
