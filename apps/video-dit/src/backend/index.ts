export { BackendUnavailableError, GpuReadSyncError, GpuUncapturedError } from './errors.js';
export { type InitBackendOptions, initBackend } from './init-backend.js';
export { BACKEND_NAMES, type BackendInfo, type BackendName, backendLabel, type LogLine } from './types.js';
export type { CreateGpu, GpuErrorHandler } from './webgpu.js';
