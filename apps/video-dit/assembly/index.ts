// AssemblyScript, compiled by scripts/build-simd-wasm.mjs into src/kernels/simd-wasm.generated.ts:
// the app's SIMD kernels for tfjs's wasm backend, in one module that imports tfjs's memory and
// works on the tensors where they lie.

export { geluBackward, geluForward } from './activations';
export { adaLayerNormBackward, adaLayerNormForward } from './ada-layer-norm';
export { adamwUpdate } from './adamw';
export { attentionBackward, attentionForward, attentionScratchBytes } from './attention';
export { columnSum } from './column-sum';
export { gatedResidualBackward, gatedResidualForward } from './gated-residual';
export { matmul, matmulScratchBytes } from './matmul';
