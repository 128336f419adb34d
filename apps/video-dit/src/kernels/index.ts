// Importing this stage registers its kernels for the cpu, wasm and webgpu backends.

export { fusedActivationsAvailable, fusedGelu, fusedSilu } from './activations.js';
export { fusedAdaLayerNorm, fusedAdaLayerNormAvailable } from './ada-layer-norm.js';
export { type AdamWResult, type AdamWStep, adamwUpdate } from './adamw.js';
export { type GuardedStep, type InPlaceWeight, type StepStats, WebGpuAdamW } from './adamw-in-place.js';
export { fusedAttention, fusedAttentionAvailable } from './attention.js';
export { columnSum, columnSumAvailable } from './column-sum.js';
export { fusedGatedResidual, fusedGatedResidualAvailable } from './gated-residual.js';
export { matMul2d, matMul2dBias } from './matmul.js';
export { fusedSquaredError, fusedSquaredErrorAvailable } from './squared-error.js';
export { sumOfSquaresOf } from './sum-of-squares.js';
