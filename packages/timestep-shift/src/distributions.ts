import { betaCore } from './beta.js';
import { mixtureCore, rescaledCore, truncatedCore } from './composite.js';
import type { TimeConvention } from './convention.js';
import { assertConvention } from './convention.js';
import type { Core } from './core.js';
import { mirrored, shifted } from './core.js';
import { discreteCore } from './discrete.js';
import { knotsCore } from './knots.js';
import { ltx2Mu, ltx2StretchedCores } from './ltx2.js';
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

/** One law of a `mixture` spec and its weight (≥ 0; the weights are divided by their sum). */
export interface MixtureComponent {
  weight: number;
  /** The component's law; leave `convention` out (the mixture's applies) or give the mixture's. */
  spec: DistributionSpec;
}

/** How a `range` spec limits a law to [tMin, tMax]. */
export type RangeMode = 'truncate' | 'rescale';

/**
 * Which training-time distribution, with its parameters (all in the t convention, t = 0 noise;
 * `convention` only picks the values pdf/cdf/quantile/sample take and return).
 */
export type DistributionSpec =
  | ({ kind: 'uniform' } & DistributionOptions)
  | ({ kind: 'logit-normal'; mean?: number; std?: number } & DistributionOptions)
  | { kind: 'shifted-logit-normal'; shift: number; std?: number; convention?: TimeConvention }
  | ({ kind: 'mode'; scale?: number } & DistributionOptions)
  | ({ kind: 'cosmap' } & DistributionOptions)
  | ({ kind: 'beta'; alpha: number; beta: number } & DistributionOptions)
  | ({ kind: 'logsnr'; mean?: number; std?: number } & DistributionOptions)
  | ({ kind: 'ltx2'; tokens: number; std?: number; eps?: number; uniformShare?: number } & DistributionOptions)
  | ({ kind: 'discrete'; values: readonly number[] } & DistributionOptions)
  | ({ kind: 'knots'; density: readonly number[]; positions?: readonly number[] } & DistributionOptions)
  | ({ kind: 'range'; of: DistributionSpec; tMin: number; tMax: number; mode?: RangeMode } & DistributionOptions)
  | ({ kind: 'mixture'; components: readonly MixtureComponent[] } & DistributionOptions);

const KINDS = [
  'uniform',
  'logit-normal',
  'shifted-logit-normal',
  'mode',
  'cosmap',
  'beta',
  'logsnr',
  'ltx2',
  'discrete',
  'knots',
  'range',
  'mixture',
] as const;

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

/** Reads `shift` (default 1) of a spec that takes one. */
function readShift(spec: DistributionOptions): number {
  const shift = spec.shift ?? 1;
  assertPositive('shift', shift);
  return shift;
}

/** A t-convention law with its SD3 shift, seen in `convention` (mirrored in sigma). */
function inConvention(tCore: Core, shift: number, convention: TimeConvention): Core {
  const core = shift === 1 ? tCore : shifted(tCore, shift);
  return convention === 't' ? core : mirrored(core);
}

/** The SD3 shift by α of a law already in `convention`: in sigma σ' = ασ/(1 + (α − 1)σ), the t map with 1/α. */
function shiftedInConvention(core: Core, shift: number, convention: TimeConvention): Core {
  if (shift === 1) return core;
  return shifted(core, convention === 't' ? shift : 1 / shift);
}

/** A law given by its t form and its sigma form (the law of 1 − T), so sigma needs no mirroring. */
function fromBothForms(tCore: Core, sigmaCore: Core, shift: number, convention: TimeConvention): Core {
  return shiftedInConvention(convention === 't' ? tCore : sigmaCore, shift, convention);
}

function assertNumberList(name: string, values: unknown, minLength: number): asserts values is readonly number[] {
  if (!Array.isArray(values) || values.length < minLength) {
    const what = minLength === 1 ? 'a non-empty array of numbers' : `an array of at least ${minLength} numbers`;
    throw new RangeError(`${name} must be ${what}, got ${describeList(values)}`);
  }
}

function describeList(values: unknown): string {
  return Array.isArray(values) ? `[${values.map(describe).join(', ')}]` : describe(values);
}

/** An inner spec of a range or mixture: its convention, if given, must be the outer one. */
function resolveInner(name: string, spec: DistributionSpec, convention: TimeConvention) {
  if (typeof spec !== 'object' || spec === null) {
    throw new TypeError(`${name} must be a distribution spec like { kind: 'logit-normal' }, got ${describe(spec)}`);
  }
  if (spec.convention !== undefined && spec.convention !== convention) {
    throw new RangeError(
      `${name}.convention must be left out or equal the outer spec's ${describe(convention)} (tMin, tMax and every parameter are in t), got ${describe(spec.convention)}`,
    );
  }
  return resolveCore(spec, convention);
}

function resolveCore(spec: DistributionSpec, convention: TimeConvention): { core: Core; spec: DistributionSpec } {
  const kind = (spec as { kind?: unknown }).kind;
  switch (spec.kind) {
    case 'logit-normal':
    case 'shifted-logit-normal':
    case 'logsnr': {
      const std = spec.std ?? 1;
      assertPositive('std', std);
      let mean: number;
      let scale = std;
      let full: DistributionSpec;
      if (spec.kind === 'shifted-logit-normal') {
        assertPositive('shift', spec.shift);
        full = { kind: 'shifted-logit-normal', shift: spec.shift, std, convention };
        mean = -Math.log(spec.shift);
      } else {
        mean = spec.mean ?? 0;
        assertFinite('mean', mean);
        const shift = readShift(spec);
        full = { kind: spec.kind, mean, std, shift, convention };
        // log-SNR λ ~ N(m, s²) with σ = sigmoid(−λ/2): t = sigmoid(λ/2), so logit(t) ~ N(m/2, (s/2)²).
        if (spec.kind === 'logsnr') {
          mean /= 2;
          scale = std / 2;
        }
        // Shifting a logit-normal moves its location exactly: logit(t') = logit(t) − ln α.
        mean -= Math.log(shift);
      }
      // In sigma, 1 − T is logit-normal with the opposite location: no mirroring round-off.
      return { core: logitNormalCore(convention === 't' ? mean : -mean, scale), spec: full };
    }
    case 'uniform':
    case 'cosmap':
    case 'mode': {
      const shift = readShift(spec);
      if (spec.kind === 'mode') {
        const scale = spec.scale ?? 1.29;
        assertModeScale(scale);
        return { core: inConvention(modeCore(scale), shift, convention), spec: { kind: 'mode', scale, shift, convention } };
      }
      const core = spec.kind === 'uniform' ? uniformCore : cosmapCore;
      return { core: inConvention(core, shift, convention), spec: { kind: spec.kind, shift, convention } };
    }
    case 'beta': {
      assertPositive('alpha', spec.alpha);
      assertPositive('beta', spec.beta);
      const shift = readShift(spec);
      // 1 − T ~ Beta(β, α) when T ~ Beta(α, β).
      const core = fromBothForms(betaCore(spec.alpha, spec.beta), betaCore(spec.beta, spec.alpha), shift, convention);
      return { core, spec: { kind: 'beta', alpha: spec.alpha, beta: spec.beta, shift, convention } };
    }
    case 'ltx2': {
      assertPositive('tokens', spec.tokens);
      const std = spec.std ?? 1;
      assertPositive('std', std);
      const eps = spec.eps ?? 1e-3;
      if (typeof eps !== 'number' || !(eps >= 0 && eps < 1)) {
        throw new RangeError(`eps must be a number in [0, 1), got ${describe(eps)}`);
      }
      const uniformShare = spec.uniformShare ?? 0.1;
      assertUnit('uniformShare', uniformShare);
      const shift = readShift(spec);
      const forms = ltx2StretchedCores(ltx2Mu(spec.tokens), std, eps);
      // LTX-2's uniform share is uniform on σ ∈ [eps, 1), i.e. t ∈ (0, 1 − eps].
      const stretched =
        uniformShare === 0
          ? forms
          : {
              t: mixtureCore([forms.t, rescaledCore(uniformCore, 0, 1 - eps)], [1 - uniformShare, uniformShare]),
              sigma: mixtureCore([forms.sigma, rescaledCore(uniformCore, eps, 1)], [1 - uniformShare, uniformShare]),
            };
      return {
        core: fromBothForms(stretched.t, stretched.sigma, shift, convention),
        spec: { kind: 'ltx2', tokens: spec.tokens, std, eps, uniformShare, shift, convention },
      };
    }
    case 'discrete': {
      assertNumberList('values', spec.values, 1);
      spec.values.forEach((value, i) => {
        assertUnit(`values[${i}]`, value);
      });
      const shift = readShift(spec);
      return {
        core: discreteCore(discreteValues(spec.values, shift, convention)),
        spec: { kind: 'discrete', values: Object.freeze([...spec.values]), shift, convention },
      };
    }
    case 'knots': {
      const { density } = spec;
      assertNumberList('density', density, 2);
      density.forEach((value, i) => {
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          throw new RangeError(`density[${i}] must be a finite number >= 0, got ${describe(value)}`);
        }
      });
      if (!density.some((value) => value > 0)) {
        throw new RangeError(`density must have a value > 0, got ${describeList(density)}`);
      }
      const positions = spec.positions ?? density.map((_, i) => i / (density.length - 1));
      assertKnotPositions(positions, density.length);
      const shift = readShift(spec);
      return {
        core: inConvention(knotsCore(positions, density), shift, convention),
        spec: { kind: 'knots', density: Object.freeze([...density]), positions: Object.freeze([...positions]), shift, convention },
      };
    }
    case 'range': {
      const shift = readShift(spec);
      const { tMin, tMax } = spec;
      assertUnit('tMin', tMin);
      assertUnit('tMax', tMax);
      if (!(tMin < tMax)) throw new RangeError(`tMin must be < tMax, got tMin ${describe(tMin)} and tMax ${describe(tMax)}`);
      const mode = spec.mode ?? 'truncate';
      if (mode !== 'truncate' && mode !== 'rescale') {
        throw new RangeError(`mode must be 'truncate' or 'rescale', got ${describe(mode)}`);
      }
      const inner = resolveInner('of', spec.of, convention);
      const [a, b] = convention === 't' ? [tMin, tMax] : [1 - tMax, 1 - tMin];
      if (mode === 'truncate' && !(inner.core.cdf(b) - inner.core.cdf(a) > 0)) {
        throw new RangeError(
          `the range [tMin, tMax] = [${tMin}, ${tMax}] is empty: the law in \`of\` (${inner.spec.kind}) puts probability ${inner.core.cdf(b) - inner.core.cdf(a)} on it; use 'rescale' or a range it covers`,
        );
      }
      const core = mode === 'truncate' ? truncatedCore(inner.core, a, b) : rescaledCore(inner.core, a, b);
      return {
        core: shiftedInConvention(core, shift, convention),
        spec: { kind: 'range', of: Object.freeze(inner.spec), tMin, tMax, mode, shift, convention },
      };
    }
    case 'mixture': {
      const shift = readShift(spec);
      const { components } = spec;
      if (!Array.isArray(components) || components.length === 0) {
        throw new RangeError(`components must be a non-empty array of { weight, spec }, got ${describeList(components)}`);
      }
      const weights = components.map((component, i) => {
        const weight = (component as Partial<MixtureComponent> | null)?.weight;
        if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
          throw new RangeError(`components[${i}].weight must be a finite number >= 0, got ${describe(weight)}`);
        }
        return weight;
      });
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      if (!(total > 0)) throw new RangeError(`the weights of components must not sum to 0, got ${describeList(weights)}`);
      const inner = components.map((component, i) => resolveInner(`components[${i}].spec`, component.spec, convention));
      const core = mixtureCore(
        inner.map((resolved) => resolved.core),
        weights.map((weight) => weight / total),
      );
      return {
        core: shiftedInConvention(core, shift, convention),
        spec: {
          kind: 'mixture',
          components: Object.freeze(
            inner.map((resolved, i) => Object.freeze({ weight: weights[i]!, spec: Object.freeze(resolved.spec) })),
          ),
          shift,
          convention,
        },
      };
    }
    default:
      throw new RangeError(`kind must be one of ${KINDS.map((name) => `'${name}'`).join(', ')}, got ${describe(kind)}`);
  }
}

function assertKnotPositions(positions: unknown, count: number): asserts positions is readonly number[] {
  if (!Array.isArray(positions) || positions.length !== count) {
    throw new RangeError(`positions must be an array of ${count} numbers (one per density value), got ${describeList(positions)}`);
  }
  if (positions[0] !== 0 || positions[count - 1] !== 1) {
    throw new RangeError(`positions must run from 0 to 1, got ${describeList(positions)}`);
  }
  for (let i = 1; i < count; i++) {
    if (typeof positions[i] !== 'number' || !(positions[i] > positions[i - 1])) {
      throw new RangeError(
        `positions must be strictly increasing, got positions[${i}] = ${describe(positions[i])} after ${describe(positions[i - 1])}`,
      );
    }
  }
}

/**
 * The values of a `discrete` spec as the law returns them: each shifted (t' = t/(t + α(1 − t))), then
 * in sigma 1 − t'; list order kept.
 */
export function discreteValues(values: readonly number[], shift: number, convention: TimeConvention): number[] {
  return values.map((value) => {
    const moved = shift === 1 ? value : value / (value + shift * (1 - value));
    return convention === 't' ? moved : 1 - moved;
  });
}

/**
 * Builds a training-time distribution with sample/pdf/cdf/quantile in an explicit convention.
 * Every parameter is in t (t = 0 noise, t = 1 data); `convention` picks the values it takes and returns.
 *
 * - `uniform`: t ~ U[0, 1] (rectified flow's default).
 * - `logit-normal`: logit(t) ~ N(mean, std²) in t (SD3's best: mean 0, std 1).
 * - `shifted-logit-normal`: logit(t) + ln(shift) ~ N(0, std²), i.e. a logit-normal(0, std) shifted by `shift`.
 * - `mode`: t = f_mode(u; scale), heavy tails (diffusers `mode_scale`, default 1.29).
 * - `cosmap`: t = 1 − 1/(tan(πu/2) + 1) (SD3 paper).
 * - `beta`: t ~ Beta(alpha, beta) (so sigma ~ Beta(beta, alpha)); cdf the regularized incomplete beta.
 * - `logsnr`: musubi-tuner's law: log-SNR λ ~ N(mean, std²) and σ = sigmoid(−λ/2), so t = sigmoid(λ/2)
 *   is the logit-normal with mean `mean`/2 and std `std`/2.
 * - `ltx2`: LTX-2's trainer's stretched shifted logit-normal for `tokens` (its μ line through 1024 → 0.95
 *   and 4096 → 2.05, logit(σ) ~ N(μ, std²) stretched between its percentiles, reflected at `eps`,
 *   clamped, so it has an atom at t = 0), mixed with `uniformShare` (0.1) of σ ~ U[eps, 1).
 * - `discrete`: one of `values` (t), each listed value with equal chance; `pdf` is Infinity on a value.
 * - `knots`: density proportional to the monotone (PCHIP) cubic through `density` at `positions`
 *   (default equally spaced from t = 0 to 1), normalised by its exact integral.
 * - `range`: the law `of` limited to [tMin, tMax] (in t): `mode: 'truncate'` (default) keeps its shape
 *   (conditioned on the range, drawn as quantile(F(a) + u·(F(b) − F(a)))), `'rescale'` maps the whole
 *   law affinely onto the range (t ↦ tMin + (tMax − tMin)·t). Wan 2.2's experts split at σ = 0.875
 *   (text-to-video; 0.9 image-to-video): its high-noise expert is `{ tMin: 0, tMax: 0.125 }`.
 * - `mixture`: Σ wᵢ·lawᵢ over `components` (weights divided by their sum); the quantile solves
 *   cdf(x) = p by a bracketed Newton–bisection, to float64 rounding.
 *
 * An optional `shift` applies the SD3 map on top, exactly (pdf by change of variables); on a `range`
 * or `mixture` it applies after the range or the mix (HunyuanVideo 1.5 rescales, then shifts).
 * @param spec - the distribution and its parameters; `convention` (default 't') picks t or sigma values.
 * @returns the distribution.
 * @throws {RangeError} when given an unknown kind or convention, std ≤ 0, a shift that is not finite and > 0,
 *   a non-finite mean, a mode scale outside [−1, 2/(π − 2)], Beta parameters ≤ 0, a value or bound outside
 *   [0, 1], tMin ≥ tMax, a range the law puts no probability on, weights that are negative or sum to 0,
 *   an empty list, knot positions that are not strictly increasing from 0 to 1, or negative density values.
 * @throws {TypeError} when `spec` (or an inner spec) is not an object.
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
