export { AdamW, type AdamWOptions, clipByGlobalNorm, learningRateAt, updateEma } from './adamw.js';
export {
  assignFrom,
  CHECKPOINT_FORMAT,
  type CheckpointData,
  type CheckpointManifest,
  checkpointSteps,
  latestCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type TensorGroup,
} from './checkpoint.js';
export {
  closestKey,
  ConfigError,
  presetConfig,
  type RunConfig,
  type RunConfigOverrides,
  resolveRunConfig,
  runConfigSchema,
  runDataConfig,
  type TimestepConfig,
} from './config.js';
export {
  loadRunWeights,
  type MetricsLine,
  type RunPaths,
  readMetrics,
  readRunConfig,
  runPaths,
  type TrainRunOptions,
  trainRun,
  writeLossCurve,
} from './run.js';
export {
  NonFiniteLossError,
  resolveSampleShift,
  resolveTrainingShift,
  type StepResult,
  Trainer,
  trainingDistribution,
  trainingThreads,
} from './trainer.js';
export { type BatchShard, flattenTensors, shardGradients, splitBatch, unflatten } from './gradients.js';
export { GradientWorkers, type ShardResult } from './parallel.js';
