export { MODEL_PRESETS, type ModelConfig, patchDim, tokenCount, validateModelConfig } from './config.js';
export { scalar } from './constants.js';
export { cloneDit, createDit, type Dit, disposeDit, ditForward, ditForwardTokens } from './dit.js';
export { assignParams, type ModelParams, param } from './params.js';
export { patchifyValues, unpatchify, unpatchifyValues } from './patchify.js';
