import { BACKEND_NAMES } from '../backend/index.js';
import type { SampleOverrides } from '../config/index.js';
import { type FlagSpec, type FlagValues, numberFlag } from './args.js';

/** `--run`, the run folder that `sample` and `eval` read. */
export const RUN_FLAG = { type: 'string', value: 'DIR', help: 'the run folder (default runs/sample)' } as const satisfies FlagSpec;

/** The run folder `--run` names when it is not given. */
export const DEFAULT_RUN = 'runs/sample';

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
 * What the shared sampling flags replace in a run's sampling section.
 * @param flags - the parsed `--steps`, `--shift` and `--stochasticity` (each may be missing).
 * @returns the overrides; `--shift train` is the training shift.
 * @throws {UsageError} when a value is not a number (or `train` for `--shift`).
 */
export function samplingOverrides(flags: FlagValues<typeof SAMPLING_FLAGS>): SampleOverrides {
  return {
    steps: numberFlag('steps', flags.steps),
    shift: flags.shift === 'train' ? 'train' : numberFlag('shift', flags.shift),
    stochasticity: numberFlag('stochasticity', flags.stochasticity),
  };
}
