// AssemblyScript, compiled by scripts/build-simd-wasm.mjs into src/kernels/simd-wasm.generated.ts:
// the app's SIMD kernels for tfjs's wasm backend, in one module with one memory.

export { activationBytesNeeded, geluBackward, geluForward } from './activations';
export { adaLayerNormBackward, adaLayerNormBytesNeeded, adaLayerNormForward } from './ada-layer-norm';
export { adamwBytesNeeded, adamwUpdate } from './adamw';
export { attentionBackward, attentionBytesNeeded, attentionForward } from './attention';
export { columnSum, columnSumBytesNeeded } from './column-sum';
export { gatedResidualBackward, gatedResidualBytesNeeded, gatedResidualForward } from './gated-residual';
export { base } from './layout';
export { matmul, matmulBytesNeeded } from './matmul';
