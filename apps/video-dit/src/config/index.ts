export { closestKey } from './closest-key.js';
export { dataConfig, samplingShift, trainingDistribution, trainingShift, trainingThreads } from './derive.js';
export { presetConfig } from './presets.js';
export { ConfigError, resolveConfig, resolveSampling } from './resolve.js';
export {
  type Config,
  PRESET_NAMES,
  type PresetName,
  type SampleConfig,
  type SampleOverrides,
  type TimestepConfig,
  type TrainConfig,
} from './schema.js';
