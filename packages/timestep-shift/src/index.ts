export type { TimeConvention } from './convention.js';
export type { DistributionOptions, DistributionSpec, TimestepDistribution } from './distributions.js';
export { MODE_SCALE_MAX, modeTransform, timestepDistribution } from './distributions.js';
export type { FillOptions, NormalMethod } from './fill-timesteps.js';
export { fillTimesteps } from './fill-timesteps.js';
export type { LossWeighting } from './loss-weights.js';
export { lossWeight } from './loss-weights.js';
export { erfc, normalCdf, normalPdf, normalQuantile } from './normal.js';
export type { Rng } from './rng.js';
export { createRng, restoreRng } from './rng.js';
export type { SampleOptions } from './sampling.js';
export { sampleTimesteps } from './sampling.js';
export type {
  FlowMatchEulerOptions,
  FluxScheduleOptions,
  Schedule,
  ScheduleIn,
  ScheduleOptions,
  SigmaSchedule,
  TimeSchedule,
  TrainingTable,
  TrainingTableOptions,
} from './schedules.js';
export {
  flowMatchEulerSchedule,
  flowMatchTrainingTable,
  fluxSchedule,
  hunyuanVideoSchedule,
  trainingTableLookup,
  wanSchedule,
} from './schedules.js';
export type { CalculateShiftOptions, ShiftPreset, ShiftPresetName, TimeShiftOptions } from './shift.js';
export {
  calculateShift,
  exponentialTimeShift,
  inverseShiftSigma,
  inverseShiftT,
  linearTimeShift,
  resolutionShift,
  SHIFT_PRESETS,
  shiftPreset,
  shiftSigma,
  shiftT,
  stretchToTerminal,
} from './shift.js';
export { fillStandardNormal } from './ziggurat.js';
