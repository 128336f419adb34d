import type { BackendInfo } from '../backend/index.js';
import { BACKEND_NAMES, initBackend } from '../backend/index.js';
import { type FlagSpec, numberFlag, UsageError } from './args.js';

/**
 * Starts the requested tfjs backend and prints which one runs and why.
 * @param request - 'auto' or a backend name.
 * @returns the backend's description.
 * @throws UsageError for an unknown name; BackendUnavailableError when a forced one cannot load.
 */
export async function startBackend(request: string): Promise<BackendInfo> {
  if (request !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(request)) {
    throw new UsageError(`--backend must be auto or one of ${BACKEND_NAMES.join(', ')}, got '${request}'`);
  }
  return initBackend(request as 'auto', { log: (line) => console.log(line) });
}

/** Formats seconds as `1m05s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** `--run`, the run folder that `sample` and `eval` read. */
export const RUN_FLAG = { type: 'string', value: 'DIR', help: 'the run folder (default runs/sample)' } as const satisfies FlagSpec;

/** Flags that `sample` and `eval` share: how to sample the run. */
export const SAMPLING_FLAGS = {
  steps: { type: 'string', value: 'N', help: "Euler steps (default: the run's sample.steps)" },
  shift: { type: 'string', value: 'X|train', help: "inference shift (default: the run's sample.shift; train = the training shift)" },
  stochasticity: { type: 'string', value: 'η', help: "fresh-noise fraction per step, in [0, 1) (default: the run's sample.stochasticity)" },
} as const satisfies Record<string, FlagSpec>;

/** `--backend`, which every command that runs a model takes. */
export const BACKEND_FLAG = {
  type: 'string',
  value: 'NAME',
  help: `auto | ${BACKEND_NAMES.join(' | ')} (default: the preset's or the run's; auto: a GPU backend, else wasm, else cpu)`,
} as const satisfies FlagSpec;

/**
 * Parses the `--shift` value of `sample` and `eval`.
 * @param value - the flag's text, if given.
 * @returns a number, 'train', or undefined when not given.
 * @throws UsageError when it is neither a number nor 'train'.
 */
export function sampleShiftFlag(value: string | undefined): number | 'train' | undefined {
  return value === undefined || value === 'train' ? value : numberFlag('shift', value);
}
