import { parseArgs } from 'node:util';
import { closestKey } from '../train/config.js';

/** A command-line mistake: the message says what was wrong and what is allowed. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Flag definitions in `parseArgs` form. */
export type FlagOptions = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** Parsed values of a set of flags. */
export type FlagValues<O extends FlagOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>['values'];

/**
 * `parseArgs` with strict checking, whose errors name the flag and suggest the closest valid one.
 * @param command - the subcommand, for messages.
 * @param args - the arguments after the subcommand.
 * @param options - the flags it accepts.
 * @returns the parsed values.
 * @throws UsageError for an unknown flag, a missing value or a stray positional argument.
 */
export function parseFlags<O extends FlagOptions>(command: string, args: string[], options: O): FlagValues<O> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '(-{1,2})([^']+)'/.exec(message);
    if (unknown !== null) {
      const suggestion = closestKey(unknown[2]!, Object.keys(options));
      throw new UsageError(
        `video-dit ${command}: unknown flag '${unknown[1]}${unknown[2]}'${suggestion === undefined ? '' : ` (did you mean '--${suggestion}'?)`}; run 'video-dit ${command} --help'`,
      );
    }
    throw new UsageError(`video-dit ${command}: ${message}`);
  }
}

/**
 * Parses a number flag.
 * @param name - the flag, for messages.
 * @param value - its text (undefined: not given).
 * @returns the number, or undefined.
 * @throws UsageError when the text is not a finite number.
 */
export function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

/**
 * Turns `--set a.b=value` items into a nested object; values are parsed as JSON where they can be
 * (numbers, booleans, arrays), else kept as strings.
 * @param items - the `key=value` strings.
 * @returns the nested overrides.
 * @throws UsageError when an item has no `=`.
 */
export function setOverrides(items: readonly string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects key=value (e.g. train.steps=500), got '${item}'`);
    const keys = item.slice(0, eq).split('.');
    const text = item.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      node[key] = typeof next === 'object' && next !== null ? next : {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
  }
  return root;
}
