import { describe, expect, test } from 'vitest';
import type { DistributionSpec, Rng } from '../src/index.js';
import { calculateShift, timestepDistribution } from '../src/index.js';
import { readFixture } from './fixtures.js';
import { ksCritical } from './statistics.js';

// The golden vectors of the laws beyond SD3's (see test/fixtures/README.md): mpmath and scipy for
// Beta; musubi-tuner, LTX-2's trainer and SimpleTuner run unchanged for their samplers.

const close = (actual: number, expected: number, relative: number, absolute = 0) =>
  Math.abs(actual - expected) <= relative * Math.abs(expected) + absolute;

/**
 * musubi's quantile path takes erfinv(2u − 1): the subtraction rounds u by up to 1.1e-16, which moves
 * its value by 1.1e-16/pdf. Its σ at u is the law's σ quantile at u where σ grows with u (its `shift`
 * samplers: σ = shift(sigmoid(Φ⁻¹(u)))) and 1 − its t quantile at u where σ falls as u grows
 * (`logsnr`: λ = m + s·Φ⁻¹(u), σ = sigmoid(−λ/2)); within that rounding and 1e-13 relative.
 */
function expectMusubiQuantile(spec: DistributionSpec, u: number, sigma: number): void {
  const grows = spec.kind === 'logit-normal';
  const dist = timestepDistribution({ ...spec, convention: grows ? 'sigma' : 't' } as DistributionSpec);
  const x = dist.quantile(u);
  const value = grows ? x : 1 - x;
  expect(Math.abs(value - sigma)).toBeLessThanOrEqual(1e-13 * sigma + 1.2e-16 / dist.pdf(x));
}

/** A generator that hands out given draws, to replay a reference's scripted torch.randn / torch.rand. */
function scriptedRng(normals: number[], uniforms: number[] = []): Rng {
  return {
    normal: () => normals.shift()!,
    uniform: () => uniforms.shift()!,
    state: () => new Uint32Array(4),
  };
}

interface BetaCase {
  alpha: number;
  beta: number;
  x: number[];
  pdf: number[];
  cdf: number[];
  p: number[];
  quantile: number[];
  scipy_pdf: number[];
  scipy_cdf: number[];
  scipy_ppf: number[];
}

describe('laws_beta_mpmath_scipy.json: Beta(α, β) against 50-digit mpmath and scipy.stats.beta', () => {
  const { cases } = readFixture<{ cases: BetaCase[] }>('laws_beta_mpmath_scipy.json');
  test.each(cases.map((c) => [c.alpha, c.beta, c] as const))('Beta(%d, %d): pdf, cdf, quantile', (alpha, beta, c) => {
    const dist = timestepDistribution({ kind: 'beta', alpha, beta });
    const inSigma = timestepDistribution({ kind: 'beta', alpha, beta, convention: 'sigma' });
    c.x.forEach((x, i) => {
      expect(close(dist.pdf(x), c.pdf[i]!, 1e-12)).toBe(true);
      expect(close(dist.pdf(x), c.scipy_pdf[i]!, 1e-12)).toBe(true);
      // The smaller tail is computed directly: relative precision in each tail.
      expect(close(dist.cdf(x), c.cdf[i]!, 1e-12, 1e-16)).toBe(true);
      expect(close(dist.cdf(x), c.scipy_cdf[i]!, 3e-13, 1e-16)).toBe(true);
      // sigma = 1 − T ~ Beta(β, α).
      expect(close(inSigma.cdf(1 - x), 1 - c.cdf[i]!, 1e-12, 2e-16)).toBe(true);
    });
    c.p.forEach((p, i) => {
      // An error of 1e-16 in p is 1e-16/pdf in x: as good as float64 allows.
      const expected = c.quantile[i]!;
      expect(Math.abs(dist.quantile(p) - expected)).toBeLessThanOrEqual(1e-12 * expected + 2e-16 / dist.pdf(expected));
      expect(Math.abs(dist.quantile(p) - c.scipy_ppf[i]!)).toBeLessThanOrEqual(1e-12 * expected + 2e-16 / dist.pdf(expected));
    });
  });
});

interface MusubiFixture {
  logsnr: { logit_mean: number; logit_std: number; u: number[]; sigma: number[] }[];
  rescaled_range: {
    timestep_sampling: 'logsnr' | 'shift';
    min_timestep: number;
    max_timestep: number;
    extra_args: { discrete_flow_shift?: number; logit_mean?: number; logit_std?: number };
    u: number[];
    sigma: number[];
  }[];
  qinglong_components: {
    timestep_sampling: 'qinglong_flux' | 'qinglong_qwen';
    tokens: number;
    u: number[];
    decision_t: number[];
    sigma: number[];
  }[];
  qinglong_ecdf: { timestep_sampling: 'qinglong_flux' | 'qinglong_qwen'; tokens: number; n: number; sigma_grid: number[]; ecdf: number[] }[];
}
const musubi = readFixture<MusubiFixture>('laws_musubi_logsnr_range_qinglong.json');

/** musubi-tuner's qinglong mixes, in this package's terms (weights from its decision thresholds). */
function qinglong(sampling: 'qinglong_flux' | 'qinglong_qwen', tokens: number): DistributionSpec {
  // musubi's get_lin_function(y1=0.5, y2=1.15) is Flux's μ line, calculateShift; qwen's ends at (8192, 0.9).
  const mu = sampling === 'qinglong_flux' ? calculateShift(tokens) : calculateShift(tokens, { maxSeqLen: 8192, maxShift: 0.9 });
  const mid: DistributionSpec = { kind: 'logit-normal', mean: 0, std: 1, shift: Math.exp(mu) };
  const logsnr: DistributionSpec = { kind: 'logsnr', mean: 0, std: 1 };
  const logsnr2: DistributionSpec = { kind: 'logsnr', mean: 5.36, std: 1 };
  return sampling === 'qinglong_flux'
    ? {
        kind: 'mixture',
        components: [
          { weight: 0.79, spec: mid },
          { weight: 0.11, spec: logsnr },
          { weight: 0.1, spec: logsnr2 },
        ],
      }
    : {
        kind: 'mixture',
        components: [
          { weight: 0.95, spec: mid },
          { weight: 0.05, spec: logsnr2 },
        ],
      };
}

describe('laws_musubi_logsnr_range_qinglong.json: musubi-tuner run unchanged', () => {
  test.each(musubi.logsnr.map((c) => [c.logit_mean, c.logit_std, c] as const))('logsnr(%d, %d): σ = sigmoid(−λ/2) at λ = m + s·Φ⁻¹(u) is 1 − quantile(u) in t', (mean, std, c) => {
    c.u.forEach((u, i) => {
      expectMusubiQuantile({ kind: 'logsnr', mean, std }, u, c.sigma[i]!);
    });
  });

  test.each(musubi.rescaled_range.map((c) => [c.timestep_sampling, c.min_timestep, c.max_timestep, c] as const))("%s rescaled into timesteps [%i, %i] is a 'rescale' range", (sampling, minTimestep, maxTimestep, c) => {
    const extra = c.extra_args;
    const of: DistributionSpec =
      sampling === 'logsnr'
        ? { kind: 'logsnr', mean: extra.logit_mean ?? 0, std: extra.logit_std ?? 1 }
        : { kind: 'logit-normal', shift: extra.discrete_flow_shift ?? 1 };
    // musubi's range is of σ = timestep/1000: t ∈ [1 − max/1000, 1 − min/1000].
    const range: DistributionSpec = { kind: 'range', of, tMin: 1 - maxTimestep / 1000, tMax: 1 - minTimestep / 1000, mode: 'rescale' };
    const grows = of.kind === 'logit-normal';
    const dist = timestepDistribution({ ...range, convention: grows ? 'sigma' : 't' });
    c.u.forEach((u, i) => {
      const x = dist.quantile(u);
      expect(Math.abs((grows ? x : 1 - x) - c.sigma[i]!)).toBeLessThanOrEqual(1e-13 * c.sigma[i]! + 1.2e-16 / dist.pdf(x));
    });
  });

  test.each(musubi.qinglong_components.map((c) => [c.timestep_sampling, c] as const))('%s: each item is its component quantile at u', (sampling, c) => {
    const spec = qinglong(sampling, c.tokens) as Extract<DistributionSpec, { kind: 'mixture' }>;
    const thresholds = sampling === 'qinglong_flux' ? [0.79, 0.9] : [0.95];
    c.u.forEach((u, i) => {
      const component = thresholds.filter((threshold) => c.decision_t[i]! >= threshold).length;
      expectMusubiQuantile(spec.components[component]!.spec, u, c.sigma[i]!);
    });
  });

  test.each(musubi.qinglong_ecdf.map((c) => [c.timestep_sampling, c] as const))('%s: 10^6 reference draws follow the mixture cdf (Kolmogorov–Smirnov on a grid)', (sampling, c) => {
    const dist = timestepDistribution({ ...qinglong(sampling, c.tokens), convention: 'sigma' });
    const gap = Math.max(...c.sigma_grid.map((sigma, i) => Math.abs(dist.cdf(sigma) - c.ecdf[i]!)));
    expect(gap).toBeLessThan(ksCritical(c.n));
    // A law a little off is rejected: the mid component at 0.75 instead of 0.79.
    const wrong = qinglong(sampling, c.tokens) as Extract<DistributionSpec, { kind: 'mixture' }>;
    const shares = sampling === 'qinglong_flux' ? [0.75, 0.15, 0.1] : [0.9, 0.1];
    const shifted = timestepDistribution({
      kind: 'mixture',
      components: wrong.components.map((component, i) => ({ ...component, weight: shares[i]! })),
      convention: 'sigma',
    });
    const wrongGap = Math.max(...c.sigma_grid.map((sigma, i) => Math.abs(shifted.cdf(sigma) - c.ecdf[i]!)));
    expect(wrongGap).toBeGreaterThan(ksCritical(c.n));
  });
});

interface Ltx2Fixture {
  scripted: { seq_length: number; mu: number; z: number[]; sigma_stretched: number[]; u: number[]; sigma_uniform: number[] }[];
  ecdf: { seq_length: number; n: number; sigma_grid: number[]; ecdf: number[]; count_equal_1: number }[];
}
const ltx2 = readFixture<Ltx2Fixture>('laws_ltx2_stretched_logit_normal.json');

describe('laws_ltx2_stretched_logit_normal.json: LTX-2 trainer ShiftedLogitNormalTimestepSampler run unchanged', () => {
  test.each(ltx2.scripted.map((c) => [c.seq_length, c] as const))('%i tokens: the same normal draw gives the same σ (stretch, reflection at eps, clamp)', (tokens, c) => {
    const stretched = timestepDistribution({ kind: 'ltx2', tokens, uniformShare: 0, convention: 'sigma' });
    c.z.forEach((z, i) => {
      expect(close(stretched.sample(scriptedRng([z])), c.sigma_stretched[i]!, 1e-14, 1e-16)).toBe(true);
    });
    // Its uniform share is σ ~ U[eps, 1): the quantile of the share alone is (1 − eps)·u + eps.
    const uniformOnly = timestepDistribution({ kind: 'ltx2', tokens, uniformShare: 1, convention: 'sigma' });
    c.u.forEach((u, i) => {
      expect(close(uniformOnly.quantile(u), c.sigma_uniform[i]!, 1e-15, 1e-18)).toBe(true);
    });
  });

  test.each(ltx2.ecdf.map((c) => [c.seq_length, c] as const))('%i tokens: 10^6 reference draws follow the exact cdf, atom at σ = 1 included', (tokens, c) => {
    const dist = timestepDistribution({ kind: 'ltx2', tokens, convention: 'sigma' });
    const gap = Math.max(...c.sigma_grid.map((sigma, i) => Math.abs((sigma < 1 ? dist.cdf(sigma) : 1) - c.ecdf[i]!)));
    expect(gap).toBeLessThan(ksCritical(c.n));
    // The clamp's atom: P(σ = 1) = 1 − cdf(1⁻), within 4 binomial standard deviations of the reference share.
    const inT = timestepDistribution({ kind: 'ltx2', tokens });
    const atom = inT.cdf(0);
    expect(Math.abs(c.count_equal_1 / c.n - atom)).toBeLessThan(4 * Math.sqrt((atom * (1 - atom)) / c.n));
    // The other tokens' law is rejected by the same statistic.
    const other = timestepDistribution({ kind: 'ltx2', tokens: tokens * 2, convention: 'sigma' });
    const otherGap = Math.max(...c.sigma_grid.map((sigma, i) => Math.abs((sigma < 1 ? other.cdf(sigma) : 1) - c.ecdf[i]!)));
    expect(otherGap).toBeGreaterThan(ksCritical(c.n));
  });
});

interface KnotsCase {
  weights: number[];
  x: number[];
  pdf_grid: number[];
  cdf_grid: number[];
  u: number[];
  sample_at_u: number[];
}

describe('laws_simpletuner_cubic_knots.json: SimpleTuner CubicSplineDistribution run unchanged', () => {
  const { cases } = readFixture<{ cases: KnotsCase[] }>('laws_simpletuner_cubic_knots.json');
  test.each(cases.map((c) => [JSON.stringify(c.weights), c] as const))('knots %s: density, cdf and draws (SimpleTuner samples σ)', (_, c) => {
    // SimpleTuner's knots are of σ; in t the list is reversed.
    const dist = timestepDistribution({ kind: 'knots', density: [...c.weights].reverse(), convention: 'sigma' });
    const peak = Math.max(...c.pdf_grid);
    c.x.forEach((sigma, i) => {
      // Its float32 grid and trapezoid normalisation against the exact integral: float32 rounding.
      expect(Math.abs(dist.pdf(sigma) - c.pdf_grid[i]!)).toBeLessThan(2e-6 * peak);
      expect(Math.abs(dist.cdf(sigma) - c.cdf_grid[i]!)).toBeLessThan(2e-6);
    });
    c.u.forEach((u, i) => {
      // It inverts the grid cdf linearly: within a grid cell's share of the density's curvature.
      expect(Math.abs(dist.quantile(u) - c.sample_at_u[i]!)).toBeLessThan(1e-5);
    });
  });
});

interface HunyuanFixture {
  cases: { snr_type: 'mix' | 'lognorm'; train_timestep_shift: number; n: number; sigma_grid: number[]; ecdf: number[] }[];
}

describe('laws_hunyuanvideo15_mix.json: HunyuanVideo 1.5 TimestepSampler and timestep_transform run unchanged', () => {
  const { cases } = readFixture<HunyuanFixture>('laws_hunyuanvideo15_mix.json');
  // Its sampler rescales into [1e-5, 1 − 1e-5] and then shifts; 'mix' is 70 % logit-normal, 30 % uniform.
  const law = (snrType: 'mix' | 'lognorm', shift: number): DistributionSpec => ({
    kind: 'range',
    of:
      snrType === 'mix'
        ? {
            kind: 'mixture',
            components: [
              { weight: 0.7, spec: { kind: 'logit-normal' } },
              { weight: 0.3, spec: { kind: 'uniform' } },
            ],
          }
        : { kind: 'logit-normal' },
    tMin: 1e-5,
    tMax: 1 - 1e-5,
    mode: 'rescale',
    shift,
    convention: 'sigma',
  });
  const gapTo = (spec: DistributionSpec, c: HunyuanFixture['cases'][number]) => {
    const dist = timestepDistribution(spec);
    return Math.max(...c.sigma_grid.map((sigma, i) => Math.abs(dist.cdf(sigma) - c.ecdf[i]!)));
  };

  test.each(cases.map((c) => [c.snr_type, c] as const))("snr_type '%s' with shift 3: 10^6 reference draws follow the exact cdf", (snrType, c) => {
    expect(gapTo(law(snrType, c.train_timestep_shift), c)).toBeLessThan(ksCritical(c.n));
    // The other sampler, or the validation shift 5, is rejected by the same statistic.
    expect(gapTo(law(snrType === 'mix' ? 'lognorm' : 'mix', c.train_timestep_shift), c)).toBeGreaterThan(ksCritical(c.n));
    expect(gapTo(law(snrType, 5), c)).toBeGreaterThan(ksCritical(c.n));
  });
});

interface PchipCase {
  positions: number[];
  density: number[];
  t: number[];
  pdf: number[];
  cdf: number[];
}

describe('laws_knots_scipy_pchip.json: the knot density against scipy PchipInterpolator, uneven knots included', () => {
  const { cases } = readFixture<{ cases: PchipCase[] }>('laws_knots_scipy_pchip.json');
  test.each(cases.map((c) => [JSON.stringify(c.positions), c] as const))('positions %s', (_, c) => {
    const dist = timestepDistribution({ kind: 'knots', density: c.density, positions: c.positions });
    c.t.forEach((t, i) => {
      expect(close(dist.pdf(t), c.pdf[i]!, 1e-13, 1e-15)).toBe(true);
      expect(close(dist.cdf(t), c.cdf[i]!, 1e-13, 1e-15)).toBe(true);
    });
  });
});
