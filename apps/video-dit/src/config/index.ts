export { closestKey } from './closest-key.js';
export { dataConfig, samplingShift, trainingDistribution, trainingLossWeight, trainingShift, trainingThreads } from './derive.js';
export { presetConfig } from './presets.js';
export { ConfigError, resolveConfig, resolveSampling, resolveStoredConfig, upgradeStoredConfig } from './resolve.js';
export type { Config, SampleOverrides } from './schema.js';
