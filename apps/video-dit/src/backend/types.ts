/** The tfjs backends the app can run on. */
export type BackendName = 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

/** All backend names, fastest first: the order `auto` tries them in. */
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'tensorflow', 'wasm', 'cpu'];

/** What `initBackend` chose and why. */
export interface BackendInfo {
  /** What `tf.getBackend()` now is. */
  name: BackendName;
  /** One line: why this one (e.g. "auto: no WebGPU adapter; wasm (SIMD) is the fastest CPU backend"). */
  reason: string;
  /** Device details: adapter vendor/architecture/limits, CUDA device, SIMD. */
  description: string;
  /** True when the work runs on GPU hardware (a software WebGPU adapter is not). */
  isGpu: boolean;
  /** True for a software WebGPU adapter (lavapipe, SwiftShader): correct but CPU-speed. */
  software: boolean;
  /** GPU memory held by tensors in bytes, where the backend reports it; otherwise undefined. */
  memoryBytes(): number | undefined;
}

/** Where `initBackend` sends its one-line messages (the chosen backend, skipped ones). */
export type LogLine = (line: string) => void;

/**
 * A short label for tables and logs: the backend name, and for the GPU backends where the work runs.
 * @param info - what `initBackend` returned
 * @returns e.g. `wasm`, `webgpu (hardware)`, `webgpu (software)`, `tensorflow (CUDA)`, `tensorflow (CPU)`
 */
export function backendLabel(info: Pick<BackendInfo, 'name' | 'isGpu' | 'software'>): string {
  switch (info.name) {
    case 'webgpu':
      return `webgpu (${info.software ? 'software' : 'hardware'})`;
    case 'tensorflow':
      return `tensorflow (${info.isGpu ? 'CUDA' : 'CPU'})`;
    default:
      return info.name;
  }
}
