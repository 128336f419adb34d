import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  chiSquareCritical,
  chiSquareHistogram,
  expectMonotoneCdf,
  expectQuantileInvertsCdf,
  ksCritical,
  ksStatistic,
  simpson,
} from '../test/statistics.js';
import type { DistributionSpec } from './distributions.js';
import { timestepDistribution } from './distributions.js';
import { createRng } from './rng.js';
import { sampleTimesteps } from './sampling.js';

// HunyuanVideo 1.5 trains on 70 % logit-normal (shift 3) and 30 % uniform.
const hunyuan15: DistributionSpec = {
  kind: 'mixture',
  components: [
    { weight: 0.7, spec: { kind: 'logit-normal', shift: 3 } },
    { weight: 0.3, spec: { kind: 'uniform' } },
  ],
};

// Laws with a finite density on [0, 1], so Simpson's rule integrates them.
const finite: [string, DistributionSpec][] = [
  ['beta(2, 2)', { kind: 'beta', alpha: 2, beta: 2 }],
  ['beta(3, 2) shifted by 3 in sigma', { kind: 'beta', alpha: 3, beta: 2, shift: 3, convention: 'sigma' }],
  ['logsnr(−1, 2)', { kind: 'logsnr', mean: -1, std: 2 }],
  ['knots [1, 3, 0.5, 2]', { kind: 'knots', density: [1, 3, 0.5, 2] }],
  ['knots at uneven positions, shifted by 2 in sigma', { kind: 'knots', density: [0, 2, 1, 1, 4], positions: [0, 0.1, 0.5, 0.6, 1], shift: 2, convention: 'sigma' }],
  ['HunyuanVideo 1.5 mixture', hunyuan15],
  ['HunyuanVideo 1.5 mixture in sigma', { ...hunyuan15, convention: 'sigma' }],
  ['Wan 2.2 high-noise expert (σ ≥ 0.875), truncated', { kind: 'range', of: { kind: 'logit-normal', shift: 5 }, tMin: 0, tMax: 0.125 }],
  ['low-noise expert (σ ≤ 0.875) in sigma', { kind: 'range', of: { kind: 'logit-normal', shift: 5 }, tMin: 0.125, tMax: 1, convention: 'sigma' }],
  ['cosmap rescaled into [0.2, 0.7]', { kind: 'range', of: { kind: 'cosmap' }, tMin: 0.2, tMax: 0.7, mode: 'rescale' }],
  ['a mixture of a range and a beta', { kind: 'mixture', components: [{ weight: 1, spec: { kind: 'range', of: { kind: 'uniform' }, tMin: 0.3, tMax: 0.4 } }, { weight: 2, spec: { kind: 'beta', alpha: 2, beta: 5 } }] }],
];

// Every continuous law, including those with an infinite density at an end.
const continuous: [string, DistributionSpec][] = [
  ...finite,
  ['beta(0.5, 3) in sigma', { kind: 'beta', alpha: 0.5, beta: 3, convention: 'sigma' }],
  ['beta(1.2, 0.4)', { kind: 'beta', alpha: 1.2, beta: 0.4 }],
  ['mixture of logsnr laws (qinglong-like)', { kind: 'mixture', components: [{ weight: 0.79, spec: { kind: 'logit-normal', shift: 1.9 } }, { weight: 0.11, spec: { kind: 'logsnr' } }, { weight: 0.1, spec: { kind: 'logsnr', mean: 5.36 } }] }],
];

/** The interior points of a law's support where its density is finite, for integration checks. */
const pieces = [
  [0, 0.1],
  [0.1, 0.45],
  [0.45, 0.8],
  [0.8, 1],
] as const;

describe('the new laws', () => {
  test.each(finite)('%s: density integrates to 1 and to cdf differences', (_, spec) => {
    const dist = timestepDistribution(spec);
    // A range's density jumps at its ends (and the inner range's at 0.3 and 0.4): integrate each
    // piece strictly inside, so no endpoint takes the value of its neighbour.
    const ends = spec.kind === 'range' ? [spec.tMin, spec.tMax].map((t) => (dist.convention === 't' ? t : 1 - t)) : [];
    const cuts = [...new Set([0, 1, 0.3, 0.4, ...ends])].sort((a, b) => a - b);
    let total = 0;
    for (let i = 0; i + 1 < cuts.length; i++) total += simpson(dist.pdf, cuts[i]! + 1e-13, cuts[i + 1]! - 1e-13, 20000);
    expect(total).toBeCloseTo(1, 7);
    if (spec.kind === 'range' || spec.kind === 'mixture') return;
    for (const [a, b] of pieces) expect(simpson(dist.pdf, a, b, 4000)).toBeCloseTo(dist.cdf(b) - dist.cdf(a), 8);
  });

  test.each(continuous)('%s: quantile(cdf(x)) = x and cdf(quantile(p)) = p', (_, spec) => {
    expectQuantileInvertsCdf(timestepDistribution(spec), 1e-3);
  });

  test.each(continuous)('%s: cdf is monotone from 0 to 1', (_, spec) => {
    expectMonotoneCdf(timestepDistribution(spec));
  });

  test.each(continuous.filter(([name]) => /mixture|expert|beta\(0.5/.test(name)))('%s: 2·10^5 seeded draws match the cdf', (_, spec) => {
    const dist = timestepDistribution(spec);
    const n = 200_000;
    const sample = sampleTimesteps(dist, n, createRng(99));
    expect(ksStatistic(sample, dist.cdf)).toBeLessThan(ksCritical(n));
    const { statistic, degreesOfFreedom } = chiSquareHistogram(sample, dist.cdf, 50);
    expect(statistic).toBeLessThan(chiSquareCritical(degreesOfFreedom));
  });

  test('logsnr(m, s) is the logit-normal with mean m/2 and std s/2', () => {
    const logsnr = timestepDistribution({ kind: 'logsnr', mean: 1.4, std: 0.8, shift: 2 });
    const same = timestepDistribution({ kind: 'logit-normal', mean: 0.7, std: 0.4, shift: 2 });
    for (const t of [0.01, 0.3, 0.5, 0.77, 0.99]) {
      expect(logsnr.pdf(t)).toBe(same.pdf(t));
      expect(logsnr.cdf(t)).toBe(same.cdf(t));
    }
  });

  test('beta(1, 1) is the uniform law, and sigma ~ Beta(β, α)', () => {
    const flat = timestepDistribution({ kind: 'beta', alpha: 1, beta: 1 });
    const mirrored = timestepDistribution({ kind: 'beta', alpha: 2, beta: 5, convention: 'sigma' });
    const swapped = timestepDistribution({ kind: 'beta', alpha: 5, beta: 2 });
    for (const x of [0, 0.2, 0.5, 0.9, 1]) {
      expect(flat.cdf(x)).toBeCloseTo(x, 14);
      expect(mirrored.cdf(x)).toBe(swapped.cdf(x));
    }
  });

  test('knots with equal values are the uniform law; two knots give a linear density', () => {
    const flat = timestepDistribution({ kind: 'knots', density: [2, 2, 2, 2] });
    const line = timestepDistribution({ kind: 'knots', density: [1, 3] });
    for (const t of [0, 0.1, 0.5, 0.93]) {
      expect(flat.pdf(t)).toBeCloseTo(1, 15);
      expect(flat.cdf(t)).toBeCloseTo(t, 15);
      // density (1 + 2t)/2, cdf (t + t²)/2
      expect(line.pdf(t)).toBeCloseTo((1 + 2 * t) / 2, 15);
      expect(line.cdf(t)).toBeCloseTo((t + t * t) / 2, 15);
    }
  });

  test('the knot density is monotone between knots (no overshoot below 0 next to a zero knot)', () => {
    const dist = timestepDistribution({ kind: 'knots', density: [0, 5, 0, 0, 1] });
    for (let i = 0; i <= 1000; i++) expect(dist.pdf(i / 1000)).toBeGreaterThanOrEqual(0);
    expect(dist.pdf(0.5)).toBe(0);
    expect(dist.pdf(0.6)).toBe(0);
  });
});

describe('ranges', () => {
  const inner: DistributionSpec[] = [
    { kind: 'logit-normal', mean: 0.3, std: 1.2 },
    { kind: 'mode', scale: 1.29, shift: 3 },
    { kind: 'beta', alpha: 2, beta: 4 },
    { kind: 'cosmap', shift: 5 },
    hunyuan15,
  ];
  const bounds = fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
    .filter(([a, b]) => Math.abs(a - b) > 1e-3)
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);

  test('truncated: the cdf is 0 at tMin and 1 at tMax, the density outside is 0, every draw inside', () => {
    fc.assert(
      fc.property(fc.constantFrom(...inner), bounds, fc.constantFrom('t' as const, 'sigma' as const), (of, [tMin, tMax], convention) => {
        const dist = timestepDistribution({ kind: 'range', of, tMin, tMax, convention });
        const [a, b] = convention === 't' ? [tMin, tMax] : [1 - tMax, 1 - tMin];
        expect(dist.cdf(a)).toBe(0);
        expect(dist.cdf(b)).toBe(1);
        expect(dist.quantile(0)).toBe(a);
        expect(dist.quantile(1)).toBe(b);
        if (a > 0) expect(dist.pdf(a / 2)).toBe(0);
        const rng = createRng(3);
        for (let i = 0; i < 20; i++) {
          const x = dist.sample(rng);
          expect(x).toBeGreaterThanOrEqual(a);
          expect(x).toBeLessThanOrEqual(b);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('truncated keeps the shape: the density is the law’s divided by F(b) − F(a)', () => {
    const base = timestepDistribution({ kind: 'logit-normal', shift: 5 });
    const expert = timestepDistribution({ kind: 'range', of: { kind: 'logit-normal', shift: 5 }, tMin: 0, tMax: 0.125 });
    const mass = base.cdf(0.125);
    for (const t of [0.01, 0.05, 0.1, 0.12]) {
      expect(expert.pdf(t)).toBeCloseTo(base.pdf(t) / mass, 12);
      expect(expert.cdf(t)).toBeCloseTo(base.cdf(t) / mass, 14);
    }
    // quantile(F(a) + u·(F(b) − F(a))): the truncated law's quantile is the law's at that probability.
    expect(expert.quantile(0.3)).toBe(base.quantile(0.3 * mass));
  });

  test('rescaled maps the whole law affinely: quantile tMin + (tMax − tMin)·q(p)', () => {
    const base = timestepDistribution({ kind: 'mode' });
    const squeezed = timestepDistribution({ kind: 'range', of: { kind: 'mode' }, tMin: 0.1, tMax: 0.6, mode: 'rescale' });
    for (const p of [0, 0.2, 0.5, 0.9, 1]) expect(squeezed.quantile(p)).toBeCloseTo(0.1 + 0.5 * base.quantile(p), 15);
    expect(squeezed.pdf(0.35)).toBeCloseTo(base.pdf(0.5) / 0.5, 12);
  });
});

describe('mixtures', () => {
  const component = fc.constantFrom<DistributionSpec>(
    { kind: 'uniform' },
    { kind: 'logit-normal', mean: -1, std: 0.5 },
    { kind: 'logsnr', mean: 5.36 },
    { kind: 'beta', alpha: 2, beta: 2 },
    { kind: 'cosmap', shift: 3 },
    { kind: 'knots', density: [0.2, 1, 3] },
  );
  const components = fc.array(fc.record({ weight: fc.double({ min: 0, max: 10, noNaN: true }), spec: component }), {
    minLength: 1,
    maxLength: 4,
  });

  test('the density integrates to 1 and the quantile inverts the cdf to 1e-13', () => {
    fc.assert(
      fc.property(
        components.filter((list) => list.some((c) => c.weight > 1e-3)),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (list, p) => {
          const dist = timestepDistribution({ kind: 'mixture', components: list });
          expect(simpson(dist.pdf, 0, 1, 4000)).toBeCloseTo(1, 6);
          expect(dist.cdf(1)).toBe(1);
          expect(Math.abs(dist.cdf(dist.quantile(p)) - p)).toBeLessThanOrEqual(1e-13);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('weights are divided by their sum; a zero weight drops its component', () => {
    const a = timestepDistribution({ kind: 'mixture', components: [{ weight: 7, spec: { kind: 'uniform' } }, { weight: 3, spec: { kind: 'beta', alpha: 2, beta: 2 } }] });
    const b = timestepDistribution({ kind: 'mixture', components: [{ weight: 0.7, spec: { kind: 'uniform' } }, { weight: 0.3, spec: { kind: 'beta', alpha: 2, beta: 2 } }, { weight: 0, spec: { kind: 'logsnr' } }] });
    for (const t of [0.1, 0.5, 0.8]) {
      expect(a.cdf(t)).toBeCloseTo(0.7 * t + 0.3 * (3 * t * t - 2 * t * t * t), 15);
      expect(b.cdf(t)).toBeCloseTo(a.cdf(t), 15);
    }
    const rng = createRng(4);
    for (let i = 0; i < 50; i++) expect(Number.isFinite(b.sample(rng))).toBe(true);
  });

  test('the spec records each component with its defaults', () => {
    const dist = timestepDistribution(hunyuan15);
    expect(dist.spec).toEqual({
      kind: 'mixture',
      components: [
        { weight: 0.7, spec: { kind: 'logit-normal', mean: 0, std: 1, shift: 3, convention: 't' } },
        { weight: 0.3, spec: { kind: 'uniform', shift: 1, convention: 't' } },
      ],
      shift: 1,
      convention: 't',
    });
  });

  test('a shift on a mixture or a range applies after it, in either convention', () => {
    const mixed = timestepDistribution({ ...hunyuan15, shift: 2 });
    const inSigma = timestepDistribution({ ...hunyuan15, shift: 2, convention: 'sigma' });
    const unshifted = timestepDistribution(hunyuan15);
    const range = timestepDistribution({ kind: 'range', of: hunyuan15, tMin: 0.1, tMax: 0.9, mode: 'rescale', shift: 2 });
    for (const t of [0.05, 0.3, 0.8]) {
      const moved = t / (t + 2 * (1 - t));
      expect(mixed.cdf(moved)).toBeCloseTo(unshifted.cdf(t), 14);
      expect(inSigma.cdf(1 - moved)).toBeCloseTo(1 - unshifted.cdf(t), 13);
      expect(range.quantile(unshifted.cdf(t))).toBeCloseTo(
        ((0.1 + 0.8 * t) / (0.1 + 0.8 * t + 2 * (0.9 - 0.8 * t))),
        13,
      );
    }
  });
});

describe('ltx2 and discrete laws (with atoms)', () => {
  test('ltx2: support [eps, 1] in σ, its atom at σ = 1 is cdf(0) in t, uniform share 10 %', () => {
    const sigma = timestepDistribution({ kind: 'ltx2', tokens: 4096, convention: 'sigma' });
    const t = timestepDistribution({ kind: 'ltx2', tokens: 4096 });
    const stretchedOnly = timestepDistribution({ kind: 'ltx2', tokens: 4096, uniformShare: 0 });
    expect(sigma.cdf(0.0009)).toBe(0);
    expect(sigma.quantile(0)).toBe(1e-3);
    const atom = t.cdf(0);
    expect(atom).toBeGreaterThan(0);
    // The atom is the stretched part's 0.9 share of P(Z > 3.0902) plus the reflected tail.
    expect(atom).toBeCloseTo(0.9 * stretchedOnly.cdf(0), 15);
    expect(stretchedOnly.cdf(0)).toBeCloseTo(0.001, 5);
    expect(t.quantile(atom / 2)).toBe(0);
    expect(sigma.quantile(1 - atom / 2)).toBe(1);
    // Away from the atom, the two conventions mirror each other.
    for (const x of [0.1, 0.5, 0.9]) expect(sigma.cdf(1 - x)).toBeCloseTo(1 - t.cdf(x), 14);
    const n = 200_000;
    const sample = sampleTimesteps(t, n, createRng(5));
    expect(ksStatistic(sample, t.cdf)).toBeLessThan(ksCritical(n));
  });

  test('ltx2 honours shift in both conventions', () => {
    const t = timestepDistribution({ kind: 'ltx2', tokens: 2048, shift: 3 });
    const sigma = timestepDistribution({ kind: 'ltx2', tokens: 2048, shift: 3, convention: 'sigma' });
    const base = timestepDistribution({ kind: 'ltx2', tokens: 2048 });
    for (const x of [0.1, 0.4, 0.8]) {
      expect(t.cdf(x / (x + 3 * (1 - x)))).toBeCloseTo(base.cdf(x), 14);
      expect(sigma.cdf(1 - x / (x + 3 * (1 - x)))).toBeCloseTo(1 - base.cdf(x), 13);
    }
  });

  test('discrete: equal mass per listed value, the generalised inverse, draws from the list', () => {
    const dist = timestepDistribution({ kind: 'discrete', values: [0.9, 0.1, 0.5, 0.5] });
    expect(dist.cdf(0.1)).toBe(0.25);
    expect(dist.cdf(0.49)).toBe(0.25);
    expect(dist.cdf(0.5)).toBe(0.75);
    expect(dist.quantile(0.25)).toBe(0.1);
    expect(dist.quantile(0.2500001)).toBe(0.5);
    expect(dist.quantile(0.3)).toBe(0.5);
    expect(dist.pdf(0.5)).toBe(Number.POSITIVE_INFINITY);
    expect(dist.pdf(0.3)).toBe(0);
    const tenths = timestepDistribution({ kind: 'discrete', values: Array.from({ length: 10 }, (_, i) => i / 10) });
    expect(tenths.quantile(0.3)).toBe(0.2);
    const rng = createRng(8);
    const counts = new Map<number, number>();
    for (let i = 0; i < 4000; i++) {
      const x = dist.sample(rng);
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0.1, 0.5, 0.9]);
    expect(counts.get(0.5)! / 4000).toBeCloseTo(0.5, 1);
  });

  test('discrete in sigma with a shift: each value shifted, then 1 − t, cdf right-continuous', () => {
    const dist = timestepDistribution({ kind: 'discrete', values: [0.25, 0.5], shift: 3, convention: 'sigma' });
    const moved = [0.25, 0.5].map((t) => 1 - t / (t + 3 * (1 - t)));
    expect(dist.cdf(moved[1]!)).toBe(0.5);
    expect(dist.cdf(moved[0]!)).toBe(1);
    expect(dist.quantile(0.5)).toBe(moved[1]);
  });
});

describe('bad input of the new laws', () => {
  test.each([
    ['beta alpha 0', { kind: 'beta', alpha: 0, beta: 2 }, /alpha must be a finite number > 0, got 0/],
    ['beta beta −1', { kind: 'beta', alpha: 2, beta: -1 }, /beta must be a finite number > 0, got -1/],
    ['logsnr std 0', { kind: 'logsnr', std: 0 }, /std must be a finite number > 0, got 0/],
    ['ltx2 without tokens', { kind: 'ltx2' }, /tokens must be a finite number > 0, got undefined/],
    ['ltx2 eps 1', { kind: 'ltx2', tokens: 1024, eps: 1 }, /eps must be a number in \[0, 1\), got 1/],
    ['ltx2 uniform share 1.5', { kind: 'ltx2', tokens: 1024, uniformShare: 1.5 }, /uniformShare must be a number in \[0, 1\], got 1.5/],
    ['discrete empty', { kind: 'discrete', values: [] }, /values must be a non-empty array of numbers, got \[\]/],
    ['discrete value 1.2', { kind: 'discrete', values: [0.5, 1.2] }, /values\[1\] must be a number in \[0, 1\], got 1.2/],
    ['knots one value', { kind: 'knots', density: [1] }, /density must be an array of at least 2 numbers, got \[1\]/],
    ['knots negative', { kind: 'knots', density: [1, -2, 1] }, /density\[1\] must be a finite number >= 0, got -2/],
    ['knots all zero', { kind: 'knots', density: [0, 0] }, /density must have a value > 0, got \[0, 0\]/],
    ['knots not increasing', { kind: 'knots', density: [1, 2, 3, 4], positions: [0, 0.6, 0.4, 1] }, /positions must be strictly increasing, got positions\[2\] = 0.4 after 0.6/],
    ['knots not from 0 to 1', { kind: 'knots', density: [1, 2], positions: [0.1, 1] }, /positions must run from 0 to 1, got \[0.1, 1\]/],
    ['knots positions of another length', { kind: 'knots', density: [1, 2], positions: [0, 0.5, 1] }, /positions must be an array of 2 numbers/],
    ['range tMin = tMax', { kind: 'range', of: { kind: 'uniform' }, tMin: 0.5, tMax: 0.5 }, /tMin must be < tMax, got tMin 0.5 and tMax 0.5/],
    ['range tMin > tMax', { kind: 'range', of: { kind: 'uniform' }, tMin: 0.7, tMax: 0.2 }, /tMin must be < tMax, got tMin 0.7 and tMax 0.2/],
    ['range tMax 1.5', { kind: 'range', of: { kind: 'uniform' }, tMin: 0, tMax: 1.5 }, /tMax must be a number in \[0, 1\], got 1.5/],
    ['range tMin −0.1', { kind: 'range', of: { kind: 'uniform' }, tMin: -0.1, tMax: 0.5 }, /tMin must be a number in \[0, 1\], got -0.1/],
    ['empty range', { kind: 'range', of: { kind: 'discrete', values: [0.9] }, tMin: 0.1, tMax: 0.2 }, /the range \[tMin, tMax\] = \[0.1, 0.2\] is empty: the law in `of` \(discrete\) puts probability 0 on it/],
    ['range mode', { kind: 'range', of: { kind: 'uniform' }, tMin: 0, tMax: 0.5, mode: 'clip' }, /mode must be 'truncate' or 'rescale', got "clip"/],
    ['range with shift 0', { kind: 'range', of: { kind: 'uniform' }, tMin: 0, tMax: 0.5, shift: 0 }, /shift must be a finite number > 0, got 0/],
    ['range of another convention', { kind: 'range', of: { kind: 'uniform', convention: 'sigma' }, tMin: 0, tMax: 0.5 }, /of.convention must be left out or equal the outer spec's "t".*got "sigma"/],
    ['mixture empty', { kind: 'mixture', components: [] }, /components must be a non-empty array of \{ weight, spec \}, got \[\]/],
    ['mixture negative weight', { kind: 'mixture', components: [{ weight: 1, spec: { kind: 'uniform' } }, { weight: -0.5, spec: { kind: 'uniform' } }] }, /components\[1\].weight must be a finite number >= 0, got -0.5/],
    ['mixture weights summing to 0', { kind: 'mixture', components: [{ weight: 0, spec: { kind: 'uniform' } }] }, /the weights of components must not sum to 0, got \[0\]/],
    ['mixture of a bad law', { kind: 'mixture', components: [{ weight: 1, spec: { kind: 'beta', alpha: 1, beta: 0 } }] }, /beta must be a finite number > 0, got 0/],
  ])('%s', (_, spec, message) => {
    expect(() => timestepDistribution(spec as DistributionSpec)).toThrow(RangeError);
    expect(() => timestepDistribution(spec as DistributionSpec)).toThrow(message);
  });

  test('a missing inner spec is a TypeError that names it', () => {
    expect(() => timestepDistribution({ kind: 'range', tMin: 0, tMax: 1 } as never)).toThrow(
      /of must be a distribution spec like \{ kind: 'logit-normal' \}, got undefined/,
    );
  });
});
