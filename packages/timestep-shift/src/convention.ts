import { describe } from './validate.js';

/** `'t'`: t = 0 is noise, t = 1 is data (the default). `'sigma'`: sigma = 1 − t, diffusers' convention. */
export type TimeConvention = 't' | 'sigma';

/**
 * Checks a `convention` argument.
 * @param convention - the value passed.
 * @throws {RangeError} when `convention` is not 't' or 'sigma'.
 */
export function assertConvention(convention: unknown): asserts convention is TimeConvention {
  if (convention !== 't' && convention !== 'sigma') {
    throw new RangeError(`convention must be 't' or 'sigma', got ${describe(convention)}`);
  }
}
