import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Attempt, errorLine } from './attempt.js';
import { quietDawnPolling } from './dawn-polling.js';
import { GpuReadSyncError, GpuUncapturedError } from './errors.js';
import { patchWebGpuKernels } from './webgpu-kernels.js';

/** Makes the WebGPU entry point; the default loads Dawn from the `webgpu` package. */
export type CreateGpu = () => GPU | Promise<GPU>;

/** Called with each uncaptured GPU error; the default makes it an uncaught exception (fatal). */
export type GpuErrorHandler = (error: GpuUncapturedError) => void;

/** A WebGPU adapter found and described, not yet turned into a tfjs backend. */
export interface AdapterProbe {
  gpu: GPU;
  adapter: GPUAdapter;
  software: boolean;
  description: string;
}

/** Adapter limits requested in requestDevice: tfjs's own list plus the storage-buffer count it forgets. */
export const REQUESTED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeInvocationsPerWorkgroup',
] as const;

const MiB = 1024 * 1024;

async function createDawnGpu(): Promise<GPU> {
  const { create } = await import('webgpu');
  return create([]);
}

/** What to install for a hardware adapter on this platform. */
export function webGpuInstallHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'linux':
      return (
        "the GPU's Vulkan driver and the Vulkan loader (Debian/Ubuntu: `apt install libvulkan1 mesa-vulkan-drivers` for AMD/Intel, " +
        'or the NVIDIA driver with its Vulkan ICD); check with `vulkaninfo --summary`. Without a GPU, scripts/setup-lavapipe.sh ' +
        'installs a software adapter (for tests; --backend webgpu only)'
      );
    case 'darwin':
      return 'macOS 13 or later with Metal (any Apple silicon or recent Intel Mac)';
    case 'win32':
      return 'Windows 10 or later with a D3D12 driver for the GPU; check with `dxdiag`';
    default:
      return `a platform with a prebuilt dawn.node (linux, darwin, win32); this is ${platform}`;
  }
}

const LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

/** Where the Vulkan loader looks for driver manifests on Linux (its documented search path). */
function driverManifestDirs(): string[] {
  const env = process.env;
  const home = env.HOME ?? '';
  const config = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const data = [env.XDG_DATA_HOME || path.join(home, '.local/share'), ...(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':')];
  return [...config, '/etc', ...data].filter(Boolean).map((dir) => path.join(dir, 'vulkan', 'icd.d'));
}

function hasJson(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => name.endsWith('.json'));
  } catch {
    return false;
  }
}

/**
 * Why Vulkan (Dawn's backend on Linux) cannot work here, where files alone prove it: a driver
 * file named in the environment that does not exist, no Vulkan loader, or no driver manifest.
 */
function vulkanUnavailable(): string | undefined {
  let named = false;
  for (const variable of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES']) {
    const value = process.env[variable];
    if (!value) continue;
    named = true;
    const missing = value.split(':').filter((file) => file !== '' && !existsSync(file));
    if (missing.length > 0) return `${variable} names ${missing.join(', ')}, which does not exist`;
  }
  if (process.platform !== 'linux') return undefined;
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIBRARY_DIRS];
  if (!dirs.some((dir) => existsSync(path.join(dir, 'libvulkan.so.1')))) return 'no Vulkan loader (libvulkan.so.1) is installed';
  if (!named && !driverManifestDirs().some(hasJson)) return 'no Vulkan driver is installed (no manifest in any vulkan/icd.d folder)';
  return undefined;
}

function isSoftware(adapter: GPUAdapter): boolean {
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const infoFallback = (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return fallback === true || infoFallback === true || adapter.info.architecture === 'software';
}

function describeAdapter(adapter: GPUAdapter, software: boolean): string {
  const { vendor, architecture, device, description } = adapter.info;
  const name = description || device;
  const limits = adapter.limits;
  return (
    `WebGPU adapter vendor '${vendor}', architecture '${architecture}'${name ? ` (${name})` : ''}, ` +
    `${software ? 'software (runs on the CPU)' : 'hardware'}; ` +
    `maxStorageBufferBindingSize ${Math.round(limits.maxStorageBufferBindingSize / MiB)} MiB, ` +
    `maxBufferSize ${Math.round(limits.maxBufferSize / MiB)} MiB, ` +
    `maxStorageBuffersPerShaderStage ${limits.maxStorageBuffersPerShaderStage}`
  );
}

/**
 * Looks for a WebGPU adapter through Dawn, before anything touches `navigator.gpu`; once the
 * backend runs, returns the adapter it runs on.
 * @param createGpu - makes the GPU entry point (default: Dawn; tests inject one)
 * @returns the adapter, or why there is none and what to install
 */
export async function probeWebGpu(createGpu?: CreateGpu): Promise<{ ok: true; probe: AdapterProbe } | { ok: false; why: string; install: string }> {
  if (createGpu === undefined && active !== undefined) return { ok: true, probe: active.probe };
  // Dawn would print the loader's raw warning for what this already explains.
  const unavailable = createGpu === undefined ? vulkanUnavailable() : undefined;
  if (unavailable !== undefined) return { ok: false, why: `no WebGPU adapter: ${unavailable}`, install: webGpuInstallHint() };
  let gpu: GPU;
  try {
    gpu = await (createGpu ?? createDawnGpu)();
  } catch (error) {
    return {
      ok: false,
      why: `the 'webgpu' package (Dawn) failed to load: ${errorLine(error)}`,
      install: 'pnpm install (the webgpu package ships a prebuilt dawn.node for linux-x64/arm64, macOS and Windows)',
    };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { ok: false, why: `requestAdapter failed: ${errorLine(error)}`, install: webGpuInstallHint() };
  }
  if (adapter === null) {
    return {
      ok: false,
      why: `Dawn found no WebGPU adapter: ${vulkanUnavailable() ?? 'no Vulkan driver offers a usable GPU'}`,
      install: webGpuInstallHint(),
    };
  }
  const software = isSoftware(adapter);
  return { ok: true, probe: { gpu, adapter, software, description: describeAdapter(adapter, software) } };
}

/** Exposes WebGPU to tfjs: the constants (GPUBufferUsage, GPUMapMode, ...) and then `navigator.gpu`. */
async function exposeWebGpu(gpu: GPU): Promise<void> {
  const { globals } = await import('webgpu');
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const global = globalThis as { navigator?: object };
  if (global.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    // Node 21+ has a getter-only navigator: define gpu on the object it returns.
    Object.defineProperty(global.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
}

/**
 * tfjs's webgpu readSync (behind dataSync and arraySync) copies through an OffscreenCanvas, which
 * Node lacks: say so, and what to use instead, rather than "OffscreenCanvas is not defined".
 */
function withClearReadSyncError<B extends tf.KernelBackend>(backend: B): B {
  const readSync = backend.readSync.bind(backend);
  // Its warning about slow synchronous reads would precede an error, not a slow read.
  (backend as unknown as { hasReadSyncWarned: boolean }).hasReadSyncWarned = true;
  backend.readSync = (dataId) => {
    try {
      return readSync(dataId);
    } catch (error) {
      if (error instanceof ReferenceError && error.message.includes('OffscreenCanvas')) {
        throw new GpuReadSyncError();
      }
      throw error;
    }
  };
  return backend;
}

/** Throws the error outside the GPU callback, so that it ends the process (or fails the test run). */
export const throwGpuError: GpuErrorHandler = (error) => {
  process.nextTick(() => {
    throw error;
  });
};

/**
 * Dispatches tfjs records before it submits them. Its default, 15, made a `small` training step
 * 29 submits; at 64 it is 7, and the GPU still starts on the first dispatches while the CPU
 * records the rest (on lavapipe the step time did not change: 792 against 784 ms).
 */
const DISPATCHES_PER_SUBMIT = 64;

/** The adapter and device tfjs's webgpu backend runs on, once activated (one per process). */
let active: { probe: AdapterProbe; device: GPUDevice } | undefined;
let gpuErrorHandler: GpuErrorHandler = throwGpuError;

function reportErrors(device: GPUDevice): void {
  device.addEventListener('uncapturederror', (event) => {
    const { error } = event as GPUUncapturedErrorEvent;
    gpuErrorHandler(new GpuUncapturedError(`uncaptured WebGPU ${error.constructor.name}: ${error.message}`));
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') gpuErrorHandler(new GpuUncapturedError(`WebGPU device lost (${info.reason}): ${info.message}`));
  });
}

/** The device the webgpu backend runs on, once activated; tests use it to inject invalid work. */
export function activeWebGpuDevice(): GPUDevice | undefined {
  return active?.device;
}

/**
 * Turns an adapter into tfjs's webgpu backend: a device with the adapter's limits, uncaptured
 * errors reported, `navigator.gpu` set only now, then the backend imported and registered on our device.
 * @param probe - the adapter from `probeWebGpu`
 * @param onGpuError - where uncaptured GPU errors go
 * @returns ready (webgpu is the tfjs backend now), or why not
 */
export async function activateWebGpu(probe: AdapterProbe, onGpuError: GpuErrorHandler = throwGpuError): Promise<Attempt> {
  const { gpu, adapter, software, description } = probe;
  gpuErrorHandler = onGpuError;
  try {
    if (active === undefined) {
      const requiredLimits: Record<string, number> = {};
      for (const limit of REQUESTED_LIMITS) requiredLimits[limit] = adapter.limits[limit];
      const device = await adapter.requestDevice({ requiredLimits });
      reportErrors(device);
      // a read waiting for the GPU would otherwise spin the JavaScript thread until it is done
      quietDawnPolling();
      await exposeWebGpu(gpu);
      const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
      // The package registered a factory that requests its own device without
      // maxStorageBuffersPerShaderStage (tf.addN of 8+ tensors then returns wrong data): use ours.
      if (tf.engine().registryFactory.webgpu !== undefined) tf.removeBackend('webgpu');
      tf.registerBackend('webgpu', () => withClearReadSyncError(new WebGPUBackend(device, adapter.info)), 3);
      tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', DISPATCHES_PER_SUBMIT);
      patchWebGpuKernels(device.limits.maxStorageBuffersPerShaderStage);
      active = { probe, device };
    }
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  } catch (error) {
    return { ok: false, why: `the webgpu backend failed to start on ${description}: ${errorLine(error)}`, install: webGpuInstallHint() };
  }
  return {
    ok: true,
    info: {
      name: 'webgpu',
      description,
      isGpu: !software,
      software,
      memoryBytes: () => (tf.getBackend() === 'webgpu' ? (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU : undefined),
    },
  };
}
