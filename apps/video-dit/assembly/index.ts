// AssemblyScript, compiled by scripts/build-simd-wasm.mjs into src/kernels/simd-wasm.generated.ts:
// the app's SIMD kernels for tfjs's wasm backend, in one module with one memory.

export { activationBytesNeeded, geluBackward, geluForward } from './activations';
export { attentionBackward, attentionBytesNeeded, attentionForward } from './attention';
export { base } from './layout';
