export { logBeta, logGamma, regularizedIncompleteBeta } from './beta.js';
export type { TimeConvention } from './convention.js';
export type {
  DistributionOptions,
  DistributionSpec,
  MixtureComponent,
  RangeMode,
  TimestepDistribution,
} from './distributions.js';
export { MODE_SCALE_MAX, modeTransform, timestepDistribution } from './distributions.js';
export type { FillOptions, NormalMethod } from './fill-timesteps.js';
export { fillTimesteps } from './fill-timesteps.js';
export type { BellWeightOptions, LossWeighting, SnrWeightOptions } from './loss-weights.js';
export { bellWeight, debiasedWeight, densityRatioWeight, flowSnr, lossWeight, minSnrWeight } from './loss-weights.js';
export { erfc, normalCdf, normalPdf, normalQuantile } from './normal.js';
export type { Rng } from './rng.js';
export { createRng, restoreRng } from './rng.js';
export type { SampleOptions } from './sampling.js';
export { sampleTimesteps } from './sampling.js';
export type {
  FlowMatchEulerOptions,
  Flux2ScheduleOptions,
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
  flux2Schedule,
  fluxSchedule,
  hunyuanVideoSchedule,
  trainingTableLookup,
  wanSchedule,
} from './schedules.js';
export type { CalculateShiftOptions, MuPreset, MuPresetName, ShiftPreset, ShiftPresetName, TimeShiftOptions } from './shift.js';
export {
  calculateShift,
  exponentialTimeShift,
  flux2Mu,
  inverseShiftSigma,
  inverseShiftT,
  linearTimeShift,
  MU_PRESETS,
  muPreset,
  resolutionShift,
  SHIFT_PRESETS,
  shiftPreset,
  shiftSigma,
  shiftT,
  stretchToTerminal,
} from './shift.js';
export type { FlowUniPC, FlowUniPCOptions, StepCoefficients, StochasticEulerOptions, VelocityField } from './solvers.js';
export { eulerStep, flowUniPC, heunStep, stochasticEulerCoefficients, stochasticEulerStep } from './solvers.js';
export type { RoundRobinState, RoundRobinStream, StratifiedStream, StratifiedStreamState } from './stream.js';
export { restoreStratifiedStream, roundRobinStream, stratifiedStream } from './stream.js';
export { fillStandardNormal } from './ziggurat.js';
