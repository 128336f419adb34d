import { describe, expect, test } from 'vitest';
import {
  calculateShift,
  flowMatchEulerSchedule,
  flux2Mu,
  flux2Schedule,
  hunyuanVideoSchedule,
  MU_PRESETS,
  wanSchedule,
} from '../src/index.js';
import { maxAbsDiff, readFixture } from './fixtures.js';

// Fixtures 7, 8 and 11 (see test/fixtures/README.md): diffusers' sigma options, the model
// timesteps of HunyuanVideo and Wan2.1 next to their sigmas, FLUX.2's schedule, LTX's μ (12).

interface OptionCase {
  label: string;
  inputs: {
    constructor_kwargs: {
      shift?: number;
      use_dynamic_shifting?: boolean;
      shift_terminal?: number;
      use_karras_sigmas?: boolean;
      use_exponential_sigmas?: boolean;
      use_beta_sigmas?: boolean;
      invert_sigmas?: boolean;
    };
    set_timesteps_kwargs: { num_inference_steps: number; sigmas?: { values: number[] }; mu?: number };
  };
  outputs: { timesteps: number[]; sigmas: number[] };
}

const optionCases = readFixture<{ cases: OptionCase[] }>('7_diffusers_fm_euler_sigma_options.json').cases;

function optionsOf(c: OptionCase) {
  const ctor = c.inputs.constructor_kwargs;
  const call = c.inputs.set_timesteps_kwargs;
  return {
    ...(ctor.shift === undefined ? {} : { shift: ctor.shift }),
    ...(ctor.shift_terminal === undefined ? {} : { shiftTerminal: ctor.shift_terminal }),
    useDynamicShifting: ctor.use_dynamic_shifting === true,
    useKarrasSigmas: ctor.use_karras_sigmas === true,
    useExponentialSigmas: ctor.use_exponential_sigmas === true,
    useBetaSigmas: ctor.use_beta_sigmas === true,
    ...(call.sigmas ? { sigmas: call.sigmas.values } : {}),
    ...(call.mu === undefined ? {} : { mu: call.mu }),
  };
}

describe('fixture 7: diffusers FlowMatchEulerDiscreteScheduler sigma options', () => {
  const respaced = optionCases.filter((c) => c.inputs.constructor_kwargs.invert_sigmas !== true);
  test.each(respaced.map((c) => [c.label, c] as const))('%s bit for bit (sigma convention)', (_, c) => {
    const out = flowMatchEulerSchedule(c.inputs.set_timesteps_kwargs.num_inference_steps, {
      ...optionsOf(c),
      convention: 'sigma',
    });
    expect(Array.from(out.sigmas)).toEqual(c.outputs.sigmas);
    expect(Array.from(out.timesteps)).toEqual(c.outputs.timesteps);
  });

  test.each(respaced.map((c) => [c.label, c] as const))('%s within 1e-6 in float64 and in t', (_, c) => {
    const out = flowMatchEulerSchedule(c.inputs.set_timesteps_kwargs.num_inference_steps, {
      ...optionsOf(c),
      referenceRounding: false,
    });
    expect(maxAbsDiff(out.times, c.outputs.sigmas.map((sigma) => 1 - sigma))).toBeLessThan(1e-6);
  });

  const inverted = optionCases.filter((c) => c.inputs.constructor_kwargs.invert_sigmas === true);
  test.each(inverted.map((c) => [c.label, c] as const))('%s: the times and timesteps are diffusers’ inverted arrays', (_, c) => {
    const out = flowMatchEulerSchedule(c.inputs.set_timesteps_kwargs.num_inference_steps, {
      ...optionsOf(c),
      invertSigmas: true,
      convention: 't',
    });
    expect(Array.from(out.times)).toEqual(c.outputs.sigmas);
    expect(Array.from(out.timesteps)).toEqual(c.outputs.timesteps);
  });
});

interface TimestepCase {
  label: string;
  inputs: { shift: number; num_inference_steps: number };
  outputs: { sigmas: number[]; timesteps: number[] };
}
const timestepFixture = readFixture<{ hunyuanvideo: TimestepCase[]; wan: TimestepCase[] }>(
  '8_hunyuanvideo_wan_model_timesteps.json',
);

describe('fixture 8: model timesteps next to the sigmas', () => {
  test.each(timestepFixture.hunyuanvideo.map((c) => [c.label, c] as const))('HunyuanVideo %s: sigmas and σ·1000 bit for bit', (_, c) => {
    const out = hunyuanVideoSchedule(c.inputs.num_inference_steps, { shift: c.inputs.shift, convention: 'sigma' });
    expect(Array.from(out.sigmas)).toEqual(c.outputs.sigmas);
    expect(Array.from(out.timesteps)).toEqual(c.outputs.timesteps);
  });

  test.each(timestepFixture.wan.map((c) => [c.label, c] as const))('Wan2.1 %s: sigmas and integer timesteps bit for bit', (_, c) => {
    const out = wanSchedule(c.inputs.num_inference_steps, { shift: c.inputs.shift, convention: 'sigma' });
    expect(Array.from(out.sigmas)).toEqual(c.outputs.sigmas);
    expect(Array.from(out.timesteps)).toEqual(c.outputs.timesteps);
    expect(out.timesteps[0]).toBe(999);
  });
});

interface Flux2Fixture {
  compute_empirical_mu: { image_seq_len: number; num_steps: number; mu: number }[];
  get_schedule: { call: string; inputs: { num_steps: number; image_seq_len: number }; mu: number; outputs: { timesteps: number[] } }[];
}
const flux2 = readFixture<Flux2Fixture>('11_flux2_schedule.json');

describe('fixture 11: FLUX.2 compute_empirical_mu and get_schedule', () => {
  test.each(flux2.compute_empirical_mu.map((row) => [row.image_seq_len, row.num_steps, row] as const))(
    'flux2Mu(%i, %i) is bit-identical',
    (seqLen, steps, row) => {
      expect(flux2Mu(seqLen, steps)).toBe(row.mu);
    },
  );

  test.each(flux2.get_schedule.map((c) => [c.call, c] as const))('%s bit for bit', (_, c) => {
    const { num_steps: steps, image_seq_len: seqLen } = c.inputs;
    expect(Array.from(flux2Schedule(steps, { seqLen, convention: 'sigma' }).sigmas)).toEqual(c.outputs.timesteps);
    const float64 = flux2Schedule(steps, { seqLen, referenceRounding: false });
    expect(maxAbsDiff(float64.times, c.outputs.timesteps.map((sigma) => 1 - sigma))).toBeLessThan(1e-6);
  });
});

describe('fixture 12: LTX-Video get_normal_shift', () => {
  const rows = readFixture<{ get_normal_shift: { n_tokens: number; mu: number }[] }>('12_ltx_mu.json').get_normal_shift;
  test.each(rows.map((row) => [row.n_tokens, row] as const))('calculateShift(%i, MU_PRESETS.ltx-2) is bit-identical', (tokens, row) => {
    expect(calculateShift(tokens, MU_PRESETS['ltx-2'])).toBe(row.mu);
  });
});
