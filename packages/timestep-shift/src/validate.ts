/**
 * Formats a value for an error message so NaN, -0 and strings are unambiguous.
 * @param value - the value to show.
 * @returns its text: strings quoted, -0 as "-0", everything else through String.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && Object.is(value, -0)) return '-0';
  return String(value);
}

/**
 * Checks a positive argument.
 * @param name - the argument's name, for the message.
 * @param value - the value passed.
 * @throws {RangeError} when `value` is not a finite number > 0.
 */
export function assertPositive(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, got ${describe(value)}`);
  }
}

/**
 * Checks a finite argument.
 * @param name - the argument's name, for the message.
 * @param value - the value passed.
 * @throws {RangeError} when `value` is not a finite number.
 */
export function assertFinite(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number, got ${describe(value)}`);
  }
}

/**
 * Checks an argument in [0, 1].
 * @param name - the argument's name, for the message.
 * @param value - the value passed.
 * @throws {RangeError} when `value` is not a number in [0, 1].
 */
export function assertUnit(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a number in [0, 1], got ${describe(value)}`);
  }
}

/**
 * Checks an integer argument.
 * @param name - the argument's name, for the message.
 * @param value - the value passed.
 * @param min - the smallest allowed value.
 * @throws {RangeError} when `value` is not an integer >= `min`.
 */
export function assertInteger(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${describe(value)}`);
  }
}

/**
 * Checks an output array of floats.
 * @param name - the argument's name, for the message.
 * @param value - the value passed.
 * @throws {TypeError} when `value` is not a Float64Array or Float32Array.
 */
export function assertFloatArray(name: string, value: unknown): asserts value is Float64Array | Float32Array {
  if (!(value instanceof Float64Array || value instanceof Float32Array)) {
    const shown = Array.isArray(value) || ArrayBuffer.isView(value) ? value.constructor.name : describe(value);
    throw new TypeError(`${name} must be a Float64Array or Float32Array, got ${shown}`);
  }
}
