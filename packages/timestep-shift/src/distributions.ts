import type { TimeConvention } from './convention.js';
import { assertConvention } from './convention.js';
import { normalCdf, normalPdf, normalQuantile } from './normal.js';
import type { Rng } from './rng.js';
import { assertRng } from './rng.js';
import { assertFinite, assertPositive, assertUnit, describe } from './validate.js';

/** Options every distribution spec accepts. */
export interface DistributionOptions {
  /** SD3 shift applied on top (pdf/cdf/quantile transformed exactly); default 1. */
  shift?: number;
  /** Convention in which pdf/cdf/quantile/sample take and return values (default 't'). */
  convention?: TimeConvention;
}

/** Which training-time distribution, with its parameters (all in the t convention, t = 0 noise). */
export type DistributionSpec =
  | ({ kind: 'uniform' } & DistributionOptions)
  | ({ kind: 'logit-normal'; mean?: number; std?: number } & DistributionOptions)
  | { kind: 'shifted-logit-normal'; shift: number; std?: number; convention?: TimeConvention }
  | ({ kind: 'mode'; scale?: number } & DistributionOptions)
  | ({ kind: 'cosmap' } & DistributionOptions);

/** A distribution of training times on [0, 1] in a stated convention. */
export interface TimestepDistribution {
  /** The convention of every value this distribution takes and returns. */
  readonly convention: TimeConvention;
  /** The spec it was built from, with defaults filled in. */
  readonly spec: Readonly<DistributionSpec>;
  /** Density at x ∈ [0, 1] (0 at an end where the density vanishes, Infinity where it diverges). */
  pdf(x: number): number;
  /** P(X ≤ x) for x ∈ [0, 1]. */
  cdf(x: number): number;
  /** The x with cdf(x) = p for p ∈ [0, 1]. */
  quantile(p: number): number;
  /** One draw from `rng` (from `createRng(seed)`); a TypeError names a missing one. */
  sample(rng: Rng): number;
}

/** The t-convention core of a distribution; arguments are already validated. */
interface Core {
  pdf(t: number): number;
  cdf(t: number): number;
  quantile(p: number): number;
  sample(rng: Rng): number;
}

/** Upper end of the mode scale for which f_mode is monotone: 2/(π − 2) ≈ 1.7519. */
export const MODE_SCALE_MAX = 2 / (Math.PI - 2);

/**
 * diffusers' `mode` transform `f(u) = 1 − u − s·(cos²(πu/2) − 1 + u)`, written exactly as in
 * `compute_density_for_timestep_sampling` so the same u gives the same float64 value.
 * @param u - a uniform draw in [0, 1].
 * @param scale - the mode scale s in [−1, 2/(π − 2)] (diffusers default 1.29).
 * @returns f(u) in [0, 1]; diffusers uses it in the t convention (0 = noise), and it is symmetric about 1/2.
 * @throws {RangeError} when `u` is outside [0, 1] or `scale` outside [−1, 2/(π − 2)].
 */
export function modeTransform(u: number, scale = 1.29): number {
  assertUnit('u', u);
  assertModeScale(scale);
  return 1 - u - scale * (Math.cos((Math.PI * u) / 2) ** 2 - 1 + u);
}

function assertModeScale(scale: number): void {
  if (typeof scale !== 'number' || !(scale >= -1 && scale <= MODE_SCALE_MAX)) {
    throw new RangeError(
      `scale must be in [-1, 2/(π-2) ≈ ${MODE_SCALE_MAX.toFixed(6)}] (where f_mode is monotone), got ${describe(scale)}`,
    );
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function logitNormalCore(mean: number, std: number): Core {
  return {
    pdf(t) {
      if (t === 0 || t === 1) return 0;
      const z = (Math.log(t) - Math.log1p(-t) - mean) / std;
      return normalPdf(z) / (std * t * (1 - t));
    },
    cdf(t) {
      if (t === 0 || t === 1) return t;
      return normalCdf((Math.log(t) - Math.log1p(-t) - mean) / std);
    },
    quantile(p) {
      if (p === 0 || p === 1) return p;
      return sigmoid(mean + std * normalQuantile(p));
    },
    sample: (rng) => sigmoid(mean + std * rng.normal()),
  };
}

const uniformCore: Core = {
  pdf: () => 1,
  cdf: (t) => t,
  quantile: (p) => p,
  sample: (rng) => rng.uniform(),
};

// CosMap (SD3 paper): t = 1 − 1/(tan(πu/2) + 1), density 2/(π(1 − 2t + 2t²)), symmetric about 1/2.
const cosmapCore: Core = {
  pdf: (t) => 2 / (Math.PI * (1 - 2 * t + 2 * t * t)),
  cdf: (t) => (2 / Math.PI) * Math.atan2(t, 1 - t),
  quantile(p) {
    const s = Math.sin((Math.PI * p) / 2);
    return s / (s + Math.cos((Math.PI * p) / 2));
  },
  sample(rng) {
    const p = rng.uniform();
    const s = Math.sin((Math.PI * p) / 2);
    return s / (s + Math.cos((Math.PI * p) / 2));
  },
};

function modeCore(scale: number): Core {
  // With V = 1 − U, T = F(V) = (1 + s)·V − s·sin²(πV/2) is increasing, so cdf = F⁻¹ and
  // quantile = F, and small t keep their relative precision.
  const forward = (v: number) => (1 + scale) * v - scale * Math.sin((Math.PI * v) / 2) ** 2;
  const slope = (v: number) => 1 + scale - ((scale * Math.PI) / 2) * Math.sin(Math.PI * v);
  const inverse = (t: number): number => {
    if (t === 0 || t === 1) return t;
    let lo = 0;
    let hi = 1;
    let v = t;
    for (let iteration = 0; iteration < 200; iteration++) {
      const residual = forward(v) - t;
      if (residual === 0) return v;
      if (residual > 0) hi = v;
      else lo = v;
      const derivative = slope(v);
      let next = v - residual / derivative;
      // Newton where it stays inside the bracket, bisection where the slope vanishes or it jumps out.
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (next === v || hi - lo <= Number.EPSILON * hi) return next;
      v = next;
    }
    return v;
  };
  return {
    pdf(t) {
      const derivative = slope(inverse(t));
      return derivative <= 0 ? Number.POSITIVE_INFINITY : 1 / derivative;
    },
    cdf: inverse,
    quantile: forward,
    sample(rng) {
      const u = rng.uniform();
      return 1 - u - scale * (Math.cos((Math.PI * u) / 2) ** 2 - 1 + u);
    },
  };
}

function shifted(core: Core, shift: number): Core {
  // t' = t / (t + α(1 − t)) and back t = α t' / (1 + (α − 1) t'); dt/dt' = α / (1 + (α − 1) t')².
  const forward = (t: number) => t / (t + shift * (1 - t));
  const backward = (t: number) => (shift * t) / (1 + (shift - 1) * t);
  return {
    pdf(t) {
      const denominator = 1 + (shift - 1) * t;
      return (core.pdf(backward(t)) * shift) / (denominator * denominator);
    },
    cdf: (t) => core.cdf(backward(t)),
    quantile: (p) => forward(core.quantile(p)),
    sample: (rng) => forward(core.sample(rng)),
  };
}

function mirrored(core: Core): Core {
  return {
    pdf: (x) => core.pdf(1 - x),
    cdf: (x) => 1 - core.cdf(1 - x),
    quantile: (p) => 1 - core.quantile(1 - p),
    sample: (rng) => 1 - core.sample(rng),
  };
}

function resolveCore(spec: DistributionSpec, convention: TimeConvention): { core: Core; spec: DistributionSpec } {
  const kind = (spec as { kind?: unknown }).kind;
  switch (spec.kind) {
    case 'logit-normal':
    case 'shifted-logit-normal': {
      const std = spec.std ?? 1;
      assertPositive('std', std);
      let mean: number;
      let full: DistributionSpec;
      if (spec.kind === 'logit-normal') {
        mean = spec.mean ?? 0;
        assertFinite('mean', mean);
        const shift = spec.shift ?? 1;
        assertPositive('shift', shift);
        full = { kind: 'logit-normal', mean, std, shift, convention };
        // Shifting a logit-normal moves its location exactly: logit(t') = logit(t) − ln α.
        mean -= Math.log(shift);
      } else {
        assertPositive('shift', spec.shift);
        full = { kind: 'shifted-logit-normal', shift: spec.shift, std, convention };
        mean = -Math.log(spec.shift);
      }
      // In sigma, 1 − T is logit-normal with the opposite location: no mirroring round-off.
      return { core: logitNormalCore(convention === 't' ? mean : -mean, std), spec: full };
    }
    case 'uniform':
    case 'cosmap':
    case 'mode': {
      const shift = spec.shift ?? 1;
      assertPositive('shift', shift);
      let core: Core;
      let full: DistributionSpec;
      if (spec.kind === 'mode') {
        const scale = spec.scale ?? 1.29;
        assertModeScale(scale);
        core = modeCore(scale);
        full = { kind: 'mode', scale, shift, convention };
      } else {
        core = spec.kind === 'uniform' ? uniformCore : cosmapCore;
        full = { kind: spec.kind, shift, convention };
      }
      if (shift !== 1) core = shifted(core, shift);
      return { core: convention === 't' ? core : mirrored(core), spec: full };
    }
    default:
      throw new RangeError(
        `kind must be one of 'uniform', 'logit-normal', 'shifted-logit-normal', 'mode', 'cosmap', got ${describe(kind)}`,
      );
  }
}

/**
 * Builds a training-time distribution with sample/pdf/cdf/quantile in an explicit convention.
 *
 * - `uniform`: t ~ U[0, 1] (rectified flow's default).
 * - `logit-normal`: logit(t) ~ N(mean, std²) in t (SD3's best: mean 0, std 1).
 * - `shifted-logit-normal`: logit(t) + ln(shift) ~ N(0, std²), i.e. a logit-normal(0, std) shifted by `shift`.
 * - `mode`: t = f_mode(u; scale), heavy tails (diffusers `mode_scale`, default 1.29).
 * - `cosmap`: t = 1 − 1/(tan(πu/2) + 1) (SD3 paper).
 *
 * An optional `shift` applies the SD3 map on top, exactly (pdf by change of variables).
 * @param spec - the distribution and its parameters; `convention` (default 't') picks t or sigma values.
 * @returns the distribution.
 * @throws {RangeError} when given an unknown kind or convention, std ≤ 0, a shift that is not finite and > 0,
 *   a non-finite mean, or a mode scale outside [−1, 2/(π − 2)].
 * @throws {TypeError} when `spec` is not an object.
 */
export function timestepDistribution(spec: DistributionSpec): TimestepDistribution {
  if (typeof spec !== 'object' || spec === null) {
    throw new TypeError(`spec must be an object like { kind: 'logit-normal' }, got ${describe(spec)}`);
  }
  const convention = spec.convention ?? 't';
  assertConvention(convention);
  const { core, spec: full } = resolveCore(spec, convention);
  const name = convention === 't' ? 't' : 'sigma';
  return Object.freeze({
    convention,
    spec: Object.freeze(full),
    pdf(x: number) {
      assertUnit(name, x);
      return core.pdf(x);
    },
    cdf(x: number) {
      assertUnit(name, x);
      return core.cdf(x);
    },
    quantile(p: number) {
      assertUnit('p', p);
      return core.quantile(p);
    },
    sample(rng: Rng) {
      assertRng(rng);
      return core.sample(rng);
    },
  });
}
