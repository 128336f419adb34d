export { type CapturedWork, captureWork, type PassWork, type WorkInput } from './captured-work.js';
export { deviceTensor } from './device-tensor.js';
export { BackendUnavailableError, GpuUncapturedError } from './errors.js';
export { initBackend } from './init-backend.js';
export { type AfterRun, ReplayedWork, type WorkRun } from './replayed-work.js';
export { BACKEND_NAMES, type BackendInfo, type BackendName, backendLabel } from './types.js';
export { countWork, type GpuWork, type Work } from './work-counters.js';
