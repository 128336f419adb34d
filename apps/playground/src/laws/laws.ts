import {
  calculateShift,
  type DistributionSpec,
  MODE_SCALE_MAX,
  resolutionShift,
  SHIFT_PRESETS,
  type ShiftPresetName,
} from '@flowdit/timestep-shift';

/*
 * The laws and shift rules the laws view offers, each one row of a table: its controls and the
 * package call they make. A new law of @flowdit/timestep-shift is one more row of LAWS (and a new
 * way to choose the shift one more row of SHIFT_RULES); the view builds its controls from the rows.
 */

/** A control: a number (slider) or a choice (drop-down). */
export type Control =
  | { type: 'number'; key: string; label: string; min: number; max: number; step: number; value: number; log?: boolean }
  | { type: 'choice'; key: string; label: string; options: readonly string[]; value: string };

/** The values of a row's controls, by key. */
export type ControlValues = Record<string, number | string>;

/** The spec of a law without the shift and convention, which the view adds. */
export type LawSpec = DistributionSpec extends infer S ? (S extends unknown ? Omit<S, 'shift' | 'convention'> : never) : never;

/** A training-time distribution of the package. */
export interface Law {
  id: string;
  label: string;
  controls: readonly Control[];
  /** The package's spec from the controls' values (parameters in t, t = 0 noise). */
  spec(values: ControlValues): LawSpec;
}

/** A way to choose the SD3 shift α applied on top of the law. */
export interface ShiftRule {
  id: string;
  label: string;
  controls: readonly Control[];
  /** α from the controls' values. */
  shift(values: ControlValues): number;
}

const num = (values: ControlValues, key: string) => values[key] as number;

export const LAWS: readonly Law[] = [
  {
    id: 'shifted-logit-normal',
    label: 'shifted logit-normal',
    controls: [{ type: 'number', key: 'std', label: 'std', min: 0.2, max: 3, step: 0.05, value: 1 }],
    // its own shift is the rule's: the view passes it as `shift`
    spec: (v) => ({ kind: 'shifted-logit-normal', std: num(v, 'std') }),
  },
  {
    id: 'logit-normal',
    label: 'logit-normal',
    controls: [
      { type: 'number', key: 'mean', label: 'mean', min: -3, max: 3, step: 0.05, value: 0 },
      { type: 'number', key: 'std', label: 'std', min: 0.2, max: 3, step: 0.05, value: 1 },
    ],
    spec: (v) => ({ kind: 'logit-normal', mean: num(v, 'mean'), std: num(v, 'std') }),
  },
  { id: 'uniform', label: 'uniform', controls: [], spec: () => ({ kind: 'uniform' }) },
  {
    id: 'mode',
    label: 'mode',
    controls: [{ type: 'number', key: 'scale', label: 'scale', min: -1, max: Math.floor(MODE_SCALE_MAX * 100) / 100, step: 0.01, value: 1.29 }],
    spec: (v) => ({ kind: 'mode', scale: num(v, 'scale') }),
  },
  { id: 'cosmap', label: 'CosMap', controls: [], spec: () => ({ kind: 'cosmap' }) },
  {
    id: 'beta',
    label: 'Beta',
    controls: [
      { type: 'number', key: 'alpha', label: 'α', min: 0.5, max: 8, step: 0.05, value: 2 },
      { type: 'number', key: 'beta', label: 'β', min: 0.5, max: 8, step: 0.05, value: 2 },
    ],
    spec: (v) => ({ kind: 'beta', alpha: num(v, 'alpha'), beta: num(v, 'beta') }),
  },
  {
    id: 'logsnr',
    label: 'logsnr (musubi-tuner)',
    controls: [
      { type: 'number', key: 'mean', label: 'mean λ', min: -6, max: 6, step: 0.1, value: -1 },
      { type: 'number', key: 'std', label: 'std λ', min: 0.2, max: 6, step: 0.1, value: 2 },
    ],
    spec: (v) => ({ kind: 'logsnr', mean: num(v, 'mean'), std: num(v, 'std') }),
  },
  {
    id: 'ltx2',
    label: 'LTX-2 stretched',
    controls: [{ type: 'number', key: 'tokens', label: 'tokens', min: 1024, max: 65536, step: 256, value: 4096, log: true }],
    spec: (v) => ({ kind: 'ltx2', tokens: num(v, 'tokens') }),
  },
  {
    id: 'knots',
    label: 'knot density (monotone cubic)',
    controls: [0, 1, 2, 3].map((k) => ({ type: 'number', key: `d${k}`, label: `at ${k}/3`, min: 0, max: 4, step: 0.05, value: [0.5, 2, 1, 0.25][k]! }) as const),
    spec: (v) => ({ kind: 'knots', density: [0, 1, 2, 3].map((k) => num(v, `d${k}`)) }),
  },
  {
    id: 'range',
    label: 'logit-normal in a range',
    controls: [
      { type: 'number', key: 'tMin', label: 't min', min: 0, max: 0.95, step: 0.005, value: 0 },
      { type: 'number', key: 'tMax', label: 't max', min: 0.05, max: 1, step: 0.005, value: 0.125 },
      { type: 'choice', key: 'mode', label: 'mode', options: ['truncate', 'rescale'], value: 'truncate' },
    ],
    // Wan 2.2's high-noise expert keeps σ ≥ 0.875, t ≤ 0.125
    spec: (v) => ({
      kind: 'range',
      of: { kind: 'logit-normal' },
      tMin: num(v, 'tMin'),
      tMax: Math.max(num(v, 'tMax'), num(v, 'tMin') + 0.01),
      mode: v.mode as 'truncate' | 'rescale',
    }),
  },
  {
    id: 'mixture',
    label: 'logit-normal + uniform',
    controls: [{ type: 'number', key: 'share', label: 'logit-normal share', min: 0, max: 1, step: 0.05, value: 0.7 }],
    // HunyuanVideo 1.5 trains with 70 % logit-normal and 30 % uniform
    spec: (v) => ({
      kind: 'mixture',
      components: [
        { weight: num(v, 'share'), spec: { kind: 'logit-normal' } },
        { weight: 1 - num(v, 'share'), spec: { kind: 'uniform' } },
      ],
    }),
  },
];

const PRESET_NAMES = Object.keys(SHIFT_PRESETS) as ShiftPresetName[];

export const SHIFT_RULES: readonly ShiftRule[] = [
  {
    id: 'shift',
    label: 'shift α',
    controls: [{ type: 'number', key: 'shift', label: 'α', min: 0.25, max: 32, step: 0.01, value: 1, log: true }],
    shift: (v) => num(v, 'shift'),
  },
  {
    id: 'preset',
    label: 'preset',
    controls: [{ type: 'choice', key: 'preset', label: 'model', options: PRESET_NAMES, value: 'hunyuanvideo' }],
    shift: (v) => SHIFT_PRESETS[v.preset as ShiftPresetName].shift,
  },
  {
    id: 'resolution',
    label: 'resolution (SD3)',
    controls: [
      { type: 'number', key: 'frames', label: 'frames', min: 1, max: 129, step: 1, value: 1 },
      { type: 'number', key: 'height', label: 'height', min: 64, max: 2048, step: 16, value: 1024 },
      { type: 'number', key: 'width', label: 'width', min: 64, max: 2048, step: 16, value: 1024 },
      { type: 'number', key: 'base', label: 'base side', min: 64, max: 1024, step: 16, value: 256 },
    ],
    // α = √(m/n) over pixels; the base is a single square frame of the given side
    shift: (v) => resolutionShift(num(v, 'frames') * num(v, 'height') * num(v, 'width'), num(v, 'base') ** 2),
  },
  {
    id: 'flux',
    label: 'Flux μ (tokens)',
    controls: [{ type: 'number', key: 'tokens', label: 'tokens', min: 256, max: 16384, step: 64, value: 4096, log: true }],
    shift: (v) => Math.exp(calculateShift(num(v, 'tokens'))),
  },
];

/** A curve of the view: a law and a shift rule with their values. */
export interface CurveSetting {
  law: string;
  lawValues: ControlValues;
  rule: string;
  ruleValues: ControlValues;
}

/** The defaults of a row's controls. */
export function defaults(controls: readonly Control[]): ControlValues {
  return Object.fromEntries(controls.map((control) => [control.key, control.value]));
}

/** A row of a table by id. */
export function byId<T extends { id: string }>(rows: readonly T[], id: string): T {
  const row = rows.find((candidate) => candidate.id === id);
  if (row === undefined) throw new RangeError(`no row '${id}'; rows: ${rows.map((r) => r.id).join(', ')}`);
  return row;
}

/** The root README's figure: the shifted logit-normal at shifts 1, 3 and 7. */
export function defaultCurves(): CurveSetting[] {
  return [1, 3, 7].map((shift) => ({
    law: 'shifted-logit-normal',
    lawValues: defaults(byId(LAWS, 'shifted-logit-normal').controls),
    rule: 'shift',
    ruleValues: { shift },
  }));
}
