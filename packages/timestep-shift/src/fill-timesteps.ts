import type { DistributionSpec, TimestepDistribution } from './distributions.js';
import type { Rng } from './rng.js';
import { assertRng, assertSeededRng } from './rng.js';
import { assertFloatArray, describe } from './validate.js';
import { fillFromZiggurat } from './ziggurat.js';

/** How {@link fillTimesteps} draws the normals of a logit-normal law. */
export type NormalMethod = 'ziggurat' | 'inverse-cdf';

/** Options of {@link fillTimesteps}. */
export interface FillOptions {
  /**
   * `'ziggurat'` (the default): the fast ziggurat normal of `fillStandardNormal`. `'inverse-cdf'`:
   * `rng.normal()`, so the values are those of `sampleTimesteps(dist, out.length, rng)`, bit for bit.
   */
  normal?: NormalMethod;
}

/** The logit-normal laws as `sigmoid(location + scale·z)`, z ~ N(0, 1), in the law's own convention. */
interface LogisticOfNormal {
  location: number;
  scale: number;
}

// The keys of the specs `timestepDistribution` fills in for the two logit-normal kinds. A spec with
// any other key is a law this file does not know (a range, say), and draws through `dist.sample`.
const LOGIT_NORMAL_KEYS = new Set(['kind', 'mean', 'std', 'shift', 'convention']);

function logisticOfNormal(spec: Readonly<DistributionSpec>): LogisticOfNormal | undefined {
  if (spec.kind !== 'logit-normal' && spec.kind !== 'shifted-logit-normal') return undefined;
  if (!Object.keys(spec).every((key) => LOGIT_NORMAL_KEYS.has(key))) return undefined;
  // The shift moves the location exactly, logit(t') = logit(t) − ln α, and the sigma convention
  // mirrors it: the same arithmetic as `timestepDistribution`, so the law is the same to the bit.
  const tLocation = spec.kind === 'logit-normal' ? (spec.mean ?? 0) - Math.log(spec.shift ?? 1) : -Math.log(spec.shift);
  return { location: spec.convention === 'sigma' ? -tLocation : tLocation, scale: spec.std ?? 1 };
}

/**
 * Fills `out` with independent training times drawn from `dist`, allocating nothing per draw:
 * the bulk path for large batches and for reusing one buffer across steps. The logit-normal laws
 * (`logit-normal` and `shifted-logit-normal`, any shift and convention) draw their normal with the
 * ziggurat by default and apply the sigmoid and the shift in one expression; every other law, and
 * `normal: 'inverse-cdf'`, draws as `dist.sample(rng)` does. For stratified batches use
 * `sampleTimesteps(dist, n, rng, { stratified: true })`, which stays on the inverse cdf.
 * @param dist - the distribution; its convention (t = 0 noise, or sigma = 1 − t) is that of the values.
 * @param out - the array to fill (any length); a Float32Array gets each value rounded to float32,
 *   so values within 3e-8 of 1 become 1.
 * @param rng - the seeded generator. With the ziggurat it must come from `createRng(seed)` or
 *   `restoreRng(state)`, and `restoreRng(rng.state())` resumes the sequence exactly; filling `a`
 *   then `b` gives the same values as filling one array of both lengths.
 * @param options - `normal`: `'ziggurat'` (default) or `'inverse-cdf'`.
 * @returns `out`, holding values in [0, 1].
 * @throws {TypeError} when `dist` is not a distribution, `out` is not a Float64Array or
 *   Float32Array, or `rng` is not a generator (the package's own, where the ziggurat is used).
 * @throws {RangeError} when `normal` is not `'ziggurat'` or `'inverse-cdf'`.
 */
export function fillTimesteps<T extends Float64Array | Float32Array>(
  dist: TimestepDistribution,
  out: T,
  rng: Rng,
  options: FillOptions = {},
): T {
  const candidate = dist as Partial<TimestepDistribution> | null | undefined;
  if (typeof candidate?.sample !== 'function' || typeof candidate.spec !== 'object' || candidate.spec === null) {
    throw new TypeError(`dist must be a distribution from timestepDistribution(spec), got ${describe(dist)}`);
  }
  assertFloatArray('out', out);
  const normal = options.normal ?? 'ziggurat';
  if (normal !== 'ziggurat' && normal !== 'inverse-cdf') {
    throw new RangeError(`normal must be 'ziggurat' or 'inverse-cdf', got ${describe(normal)}`);
  }
  const law = normal === 'ziggurat' ? logisticOfNormal(dist.spec) : undefined;
  if (law === undefined) {
    assertRng(rng);
    for (let i = 0; i < out.length; i++) out[i] = dist.sample(rng);
    return out;
  }
  assertSeededRng(rng);
  fillFromZiggurat(rng, out, law.location, law.scale, true);
  return out;
}
