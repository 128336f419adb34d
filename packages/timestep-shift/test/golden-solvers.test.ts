import { describe, expect, test } from 'vitest';
import { eulerStep, flowUniPC, heunStep, stochasticEulerStep } from '../src/index.js';
import { maxAbsDiff, readFixture } from './fixtures.js';

// Fixture 9: the references' step functions run on a toy model (see test/fixtures/README.md).

interface SolverCase {
  label: string;
  sample_dtype: string;
  schedule_sigmas: number[];
  inputs?: { noise_per_step: number[][] };
  options?: { solver_order: number; solver_type: 'bh1' | 'bh2'; disable_corrector: number[] };
  outputs: { after_each_step: number[][] };
}
interface SolverFixture {
  model: { a: number; b: number; c: number };
  x_init: number[];
  cases: SolverCase[];
}
const fixture = readFixture<SolverFixture>('9_solver_steps.json');
const { a, b, c } = fixture.model;
// The references' model outputs noise − data (dx/dσ); this package's velocity is its negation, in t.
const velocityAt = (x: ArrayLike<number>, t: number) => Float64Array.from(x, (value) => -(a * value + b * (1 - t) + c));
const byLabel = (prefix: string) => fixture.cases.filter((c) => c.label.startsWith(prefix)).map((c) => [c.label, c] as const);

// float32 references: each step rounds the sample and the product; the float64 steps stay within a few ulps per step.
const FLOAT32_STEP = 2e-6;

describe('fixture 9: Euler (diffusers FlowMatchEulerDiscreteScheduler, HunyuanVideo FlowMatchDiscreteScheduler)', () => {
  test.each([...byLabel('euler_'), ...byLabel('hunyuanvideo_euler')])('%s', (_, c) => {
    const times = c.schedule_sigmas.map((sigma) => 1 - sigma);
    let x: Float64Array = Float64Array.from(fixture.x_init);
    c.outputs.after_each_step.forEach((expected, i) => {
      x = eulerStep(x, velocityAt(x, times[i]!), times[i]!, times[i + 1]!);
      expect(maxAbsDiff(x, expected)).toBeLessThan(FLOAT32_STEP * (i + 1));
    });
  });
});

describe('fixture 9: stochastic Euler (diffusers stochastic_sampling)', () => {
  test.each(byLabel('stochastic_'))('%s', (_, c) => {
    const times = c.schedule_sigmas.map((sigma) => 1 - sigma);
    let x: Float64Array = Float64Array.from(fixture.x_init);
    c.outputs.after_each_step.forEach((expected, i) => {
      x = stochasticEulerStep(x, velocityAt(x, times[i]!), times[i]!, times[i + 1]!, c.inputs!.noise_per_step[i]!);
      expect(maxAbsDiff(x, expected)).toBeLessThan(FLOAT32_STEP * (i + 1));
    });
  });
});

describe('fixture 9: Heun (diffusers FlowMatchHeunDiscreteScheduler)', () => {
  test.each(byLabel('heun_'))('%s', (_, c) => {
    const times = c.schedule_sigmas.map((sigma) => 1 - sigma);
    let x: Float64Array = Float64Array.from(fixture.x_init);
    const steps = times.length - 1;
    let allowed = 0;
    for (let i = 0; i < steps; i++) {
      x = heunStep(x, times[i]!, times[i + 1]!, velocityAt);
      // The reference's entries 1, 3, … are the corrected samples; its last entry is the Euler-only last step.
      const expected = c.outputs.after_each_step[Math.min(2 * i + 1, 2 * steps - 2)]!;
      // The reference recovers the second velocity as (x − (x − σ'·v))/σ' in float32: a cancellation
      // worth about 2^-24·|x|/σ' in v, half of it weighted by the step.
      const sigmaNext = 1 - times[i + 1]!;
      const cancellation = sigmaNext > 0 ? (2 ** -23 * Math.max(...x.map(Math.abs)) * (times[i + 1]! - times[i]!)) / sigmaNext : 0;
      allowed += FLOAT32_STEP + cancellation;
      expect(maxAbsDiff(x, expected)).toBeLessThan(allowed);
    }
  });
});

describe('fixture 9: flow UniPC (Wan FlowUniPCMultistepScheduler, diffusers UniPCMultistepScheduler)', () => {
  test.each([...byLabel('wan_unipc'), ...byLabel('diffusers_unipc')])('%s', (_, c) => {
    const float64 = c.sample_dtype === 'torch.float64';
    const options = c.options!;
    const run = flowUniPC(c.schedule_sigmas, {
      convention: 'sigma',
      order: options.solver_order,
      solverType: options.solver_type,
      disableCorrector: options.disable_corrector,
    });
    let x: Float64Array = Float64Array.from(fixture.x_init);
    c.outputs.after_each_step.forEach((expected, i) => {
      x = run.step(x, velocityAt(x, 1 - c.schedule_sigmas[i]!));
      if (expected.includes(null as never)) {
        // bh1 ends in NaN in the reference (−∞·0 on the step to σ = 0); here the limit, the last data estimate.
        expect(x.every(Number.isFinite)).toBe(true);
        return;
      }
      expect(maxAbsDiff(x, expected)).toBeLessThan(float64 ? 1e-12 : FLOAT32_STEP * (i + 1));
    });
    expect(run.stepIndex).toBe(run.steps);
  });
});
