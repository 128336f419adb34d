import type { BackendName } from './types.js';

/**
 * A backend was asked for by name (`--backend NAME`) and cannot load here.
 * The message says why and what to install; `backend`, `why` and `install` hold the parts.
 */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';

  /**
   * @param backend - the backend that was asked for
   * @param why - one line: what is missing or what failed
   * @param install - one line: what to install or run to make it work
   */
  constructor(
    readonly backend: BackendName,
    readonly why: string,
    readonly install: string,
  ) {
    super(`backend '${backend}' is unavailable: ${why}. To use it: ${install}`);
  }
}

/** An uncaptured WebGPU error (validation, out of memory, internal): results computed since are not to be trusted. */
export class GpuUncapturedError extends Error {
  override readonly name = 'GpuUncapturedError';
}

/** A synchronous read (dataSync, arraySync) of data on the GPU, which the webgpu backend cannot do in Node. */
export class GpuReadSyncError extends Error {
  override readonly name = 'GpuReadSyncError';

  constructor() {
    super(
      'dataSync()/arraySync() cannot read a tensor back from the GPU in Node (tfjs-backend-webgpu reads synchronously through OffscreenCanvas); use `await tensor.data()` or `await tensor.array()`',
    );
  }
}
