import { parseArgs } from 'node:util';
import { closestKey } from '../config/index.js';

/** A command-line mistake: the message says what was wrong and what is allowed. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One flag: how `parseArgs` reads it and its line in the command's help. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** What the value stands for in the help (`N`, `DIR`); switches have none. */
  value?: string;
  /** The help line's text. */
  help: string;
}

/** The flags of one command, by name (without the leading `--`). */
export type FlagSpecs = Record<string, FlagSpec>;

/** Parsed values of a set of flags: strings, booleans, or lists of them for repeatable flags. */
export type FlagValues<O extends FlagSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean'
    ? O[K]['multiple'] extends true ? boolean[] : boolean
    : O[K]['multiple'] extends true ? string[] : string;
};

/** Every command's `--help`, listed last in its help text. */
const HELP_FLAG = { type: 'boolean', short: 'h', help: 'this help' } as const satisfies FlagSpec;

/** A subcommand of `video-dit`. */
export interface Command {
  /** Its line in `video-dit --help`. */
  summary: string;
  /** Parses the arguments after the command's name and runs it, or prints its help for `--help`. */
  run(args: string[]): Promise<void>;
}

/**
 * A subcommand from its flags and what it does with them. Every command also takes `--help`,
 * which prints its usage line and one line per flag instead of running it.
 * @param name - the command's name, for its help and its messages.
 * @param spec - its summary line, what its help says it does, its flags and the function that runs it.
 * @returns the command.
 */
export function command<O extends FlagSpecs>(
  name: string,
  spec: { summary: string; does: string; flags: O; run: (flags: FlagValues<O>) => Promise<void> },
): Command {
  const flags = { ...spec.flags, help: HELP_FLAG };
  return {
    summary: spec.summary,
    run: async (args) => {
      const values = parseFlags(name, args, flags);
      if (values.help === true) console.log(helpText(`video-dit ${name} [flags]   ${spec.does}`, flags));
      else await spec.run(values);
    },
  };
}

/**
 * A command's help text: its usage line, then one aligned line per flag.
 * @param usage - the first line, e.g. `video-dit sample [flags]   what it does`.
 * @param specs - the command's flags.
 * @returns the text.
 */
export function helpText(usage: string, specs: FlagSpecs): string {
  const names = Object.entries(specs).map(([name, spec]) => `--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`);
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const lines = Object.values(specs).map((spec, i) => `  ${names[i]!.padEnd(width)}${spec.help}`);
  return [usage, '', ...lines].join('\n');
}

/**
 * `parseArgs` with strict checking, whose errors name the flag and suggest the closest valid one.
 * @param command - the subcommand, for messages.
 * @param args - the arguments after the subcommand.
 * @param specs - the flags it accepts.
 * @returns the parsed values.
 * @throws {UsageError} for an unknown flag, a missing value or a stray positional argument.
 */
export function parseFlags<O extends FlagSpecs>(command: string, args: string[], specs: O): FlagValues<O> {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, { type, multiple, short }]) => [
      name,
      { type, ...(multiple === undefined ? {} : { multiple }), ...(short === undefined ? {} : { short }) },
    ]),
  );
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as FlagValues<O>;
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '(-{1,2})([^']+)'/.exec(message);
    if (unknown !== null) {
      const suggestion = closestKey(unknown[2]!, Object.keys(specs));
      throw new UsageError(
        `unknown flag '${unknown[1]}${unknown[2]}'${suggestion === undefined ? '' : ` (did you mean '--${suggestion}'?)`}; run 'video-dit ${command} --help'`,
      );
    }
    throw new UsageError(message);
  }
}

/**
 * Parses a number flag.
 * @param name - the flag, for messages.
 * @param value - its text (undefined: not given).
 * @returns the number, or undefined.
 * @throws {UsageError} when the text is not a finite number.
 */
/** A decimal number as a person writes one: digits, a point, an exponent. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // decimal only: Number() also takes '0x10', '0b1' and '  16 '
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(n)) throw new UsageError(`--${name} must be a decimal number, got '${value}'`);
  return n;
}

/**
 * Turns `--set a.b=value` items into a nested object; values are parsed as JSON where they can be
 * (numbers, booleans, arrays), else kept as strings.
 * @param items - the `key=value` strings.
 * @returns the nested overrides.
 * @throws {UsageError} when an item has no `=`.
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

/**
 * Parsed flags written as arguments again, e.g. for the command that continues a stopped run.
 * @param flags - the parsed flags.
 * @param leaveOut - flags not to repeat.
 * @returns `--name value` (or `--name` for a switch) per flag given, in the order parsed.
 */
export function flagsAsArgs(flags: Readonly<Record<string, unknown>>, leaveOut: readonly string[] = []): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || value === false || name === 'help' || leaveOut.includes(name)) continue;
    for (const item of Array.isArray(value) ? value : [value]) args.push(item === true ? `--${name}` : `--${name} ${String(item)}`);
  }
  return args;
}

/** Training stopped by a signal, cleanly: the message says where and how to continue. */
export class StoppedBySignalError extends Error {
  override name = 'StoppedBySignalError';
  /**
   * @param message - where it stopped and how to resume.
   * @param exitCode - 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
   */
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
