import type { Attempt } from './attempt.js';
import { activateCpu, activateWasm } from './cpu-backends.js';
import { BackendUnavailableError } from './errors.js';
import { activateTensorflow } from './tensorflow.js';
import { BACKEND_NAMES, type BackendInfo, type BackendName, type LogLine } from './types.js';
import { activateWebGpu, type CreateGpu, type GpuErrorHandler, probeWebGpu } from './webgpu.js';

/** Options of `initBackend`. */
export interface InitBackendOptions {
  /** Receives the chosen backend's line and its device line; default: nothing is printed. */
  log?: LogLine;
  /** Makes the WebGPU entry point (default: Dawn from the `webgpu` package); tests inject one with no adapter. */
  createGpu?: CreateGpu;
  /** Receives uncaptured GPU errors; default: thrown as an uncaught exception, which ends the run. */
  onGpuError?: GpuErrorHandler;
}

async function attemptForced(name: BackendName, options: InitBackendOptions): Promise<{ attempt: Attempt; note: string }> {
  switch (name) {
    case 'cpu':
      return { attempt: await activateCpu(), note: 'forced' };
    case 'wasm':
      return { attempt: await activateWasm(), note: 'forced' };
    case 'tensorflow':
      return { attempt: await activateTensorflow({ requireGpu: false }), note: 'forced' };
    case 'webgpu': {
      const found = await probeWebGpu(options.createGpu);
      if (!found.ok) return { attempt: found, note: 'forced' };
      const note = found.probe.software
        ? 'forced: a software adapter, which runs on the CPU (auto never picks it)'
        : 'forced';
      return { attempt: await activateWebGpu(found.probe, options.onGpuError), note };
    }
  }
}

async function attemptAuto(options: InitBackendOptions): Promise<{ attempt: Attempt; note: string }> {
  const skipped: string[] = [];
  const found = await probeWebGpu(options.createGpu);
  if (!found.ok) {
    skipped.push(`webgpu (${found.why})`);
  } else if (found.probe.software) {
    skipped.push('webgpu (only a software adapter, slower than wasm; --backend webgpu forces it)');
  } else {
    const attempt = await activateWebGpu(found.probe, options.onGpuError);
    if (attempt.ok) return { attempt, note: 'auto: a hardware WebGPU adapter' };
    skipped.push(`webgpu (${attempt.why})`);
  }
  const tensorflow = await activateTensorflow({ requireGpu: true });
  if (tensorflow.ok) return { attempt: tensorflow, note: `auto: tfjs-node-gpu on a CUDA GPU; skipped ${skipped.join(', ')}` };
  skipped.push(`tensorflow (${tensorflow.why})`);
  const wasm = await activateWasm();
  if (wasm.ok) return { attempt: wasm, note: `auto: no GPU backend, and wasm is the fastest CPU backend; skipped ${skipped.join('; ')}` };
  skipped.push(`wasm (${wasm.why})`);
  return { attempt: await activateCpu(), note: `auto: the fallback that runs everywhere; skipped ${skipped.join('; ')}` };
}

/**
 * Picks the tfjs backend and makes it current. `auto` tries a hardware WebGPU adapter, then
 * tfjs-node-gpu on a CUDA GPU, then wasm, then cpu, and says which it took and why.
 * @param request - `auto` or a backend name (`--backend NAME`)
 * @param options - where lines are logged; test hooks for the GPU
 * @returns what is running now, why, and on what device
 * @throws {BackendUnavailableError} when a forced backend cannot load: why, and what to install
 * @throws {RangeError} when `request` is not `auto` or a backend name
 */
export async function initBackend(request: BackendName | 'auto', options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (request !== 'auto' && !BACKEND_NAMES.includes(request)) {
    throw new RangeError(`backend must be 'auto' or one of ${BACKEND_NAMES.join(', ')}; got '${String(request)}'`);
  }
  const { attempt, note } = request === 'auto' ? await attemptAuto(options) : await attemptForced(request, options);
  if (!attempt.ok) {
    throw new BackendUnavailableError(request === 'auto' ? 'cpu' : request, attempt.why, attempt.install);
  }
  const info: BackendInfo = { ...attempt.info, reason: note };
  options.log?.(`backend ${info.name}: ${info.reason}`);
  options.log?.(`  device: ${info.description}`);
  return info;
}
