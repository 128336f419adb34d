export {
  MODEL_PRESETS,
  type ModelConfig,
  type ModelPresetName,
  patchDim,
  tokenCount,
  tokenGrid,
  validateModelConfig,
} from './config.js';
export { ditForward, ditForwardTokens, modelRopeTable, timestepFeatures } from './dit.js';
export { batchMatMul, dense, gelu, layerNorm, silu } from './ops.js';
export { cloneParams, disposeParams, initParams, type ModelParams, param, parameterCount } from './params.js';
export { patchify, patchifyValues, unpatchify } from './patchify.js';
