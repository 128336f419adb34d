import * as tf from '@tensorflow/tfjs-core';
import { dawnPrototypes, listenAll } from './dawn-hooks.js';
import { activeWebGpuDevice } from './webgpu.js';

/*
 * What a piece of work costs in calls, which unlike its time is deterministic: the tfjs kernels
 * the engine runs (each registered kernel of the backend is wrapped to count its calls) and, on
 * webgpu, the calls tfjs makes into the device (its methods are listened to while work is counted).
 * tf.profile would count kernels too, but it times every kernel, which on webgpu adds queries,
 * submits and reads of its own.
 */

/** The calls into a WebGPU device. */
export interface GpuWork {
  /** `dispatchWorkgroups` calls: one per GPU program run. */
  dispatches: number;
  bindGroups: number;
  /** Buffers the device allocated (tfjs pools its buffers: in a steady state this should be 0). */
  buffersCreated: number;
  /** `queue.writeBuffer` calls (tfjs writes every program's uniforms this way) and their bytes. */
  bufferWrites: number;
  bytesWritten: number;
  /** Tensor data copied from the CPU (tfjs maps a buffer at creation for each) and its bytes. */
  uploads: number;
  bytesUploaded: number;
  submits: number;
  /** Buffers mapped for reading back to the CPU and their bytes. */
  readbacks: number;
  bytesRead: number;
}

/** What a piece of work cost. */
export interface Work {
  /** tfjs kernels run, in all and by name. */
  kernels: number;
  kernelsByName: Record<string, number>;
  /** On webgpu, the calls into the device; undefined on the other backends. */
  gpu?: GpuWork;
}

const kernelCounts = new Map<string, number>();
const countedBackends = new Set<string>();

function countKernels(backendName: string): void {
  if (countedBackends.has(backendName)) return;
  countedBackends.add(backendName);
  for (const kernel of tf.getKernelsForBackend(backendName)) {
    const { kernelName, kernelFunc } = kernel;
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        kernelCounts.set(kernelName, (kernelCounts.get(kernelName) ?? 0) + 1);
        return kernelFunc(args);
      },
    });
  }
}

const emptyGpuWork = (): GpuWork => ({
  dispatches: 0,
  bindGroups: 0,
  buffersCreated: 0,
  bufferWrites: 0,
  bytesWritten: 0,
  uploads: 0,
  bytesUploaded: 0,
  submits: 0,
  readbacks: 0,
  bytesRead: 0,
});

const gpuCounts = emptyGpuWork();

/** Counts the calls into the device until the returned function is called. */
function countDevice(device: GPUDevice): () => void {
  const prototypes = dawnPrototypes(device);
  return listenAll([
    [
      device,
      'createBuffer',
      (_, [descriptor]) => {
        gpuCounts.buffersCreated += 1;
        if ((descriptor as GPUBufferDescriptor).mappedAtCreation === true) {
          gpuCounts.uploads += 1;
          gpuCounts.bytesUploaded += (descriptor as GPUBufferDescriptor).size;
        }
      },
    ],
    [
      prototypes.buffer,
      'mapAsync',
      (_, [mode, offset = 0, size], buffer) => {
        if (((mode as number) & GPUMapMode.READ) === 0) return;
        gpuCounts.readbacks += 1;
        gpuCounts.bytesRead += (size as number | undefined) ?? (buffer as GPUBuffer).size - (offset as number);
      },
    ],
    [
      device,
      'createBindGroup',
      () => {
        gpuCounts.bindGroups += 1;
      },
    ],
    [
      device.queue,
      'writeBuffer',
      (_, [, , data, , size]) => {
        gpuCounts.bufferWrites += 1;
        gpuCounts.bytesWritten += (size as number | undefined) ?? (data as ArrayBufferLike | ArrayBufferView).byteLength;
      },
    ],
    [
      device.queue,
      'submit',
      () => {
        gpuCounts.submits += 1;
      },
    ],
    [
      prototypes.pass,
      'dispatchWorkgroups',
      () => {
        gpuCounts.dispatches += 1;
      },
    ],
  ]);
}

/**
 * Counts what `work` costs on the current backend: the tfjs kernels it runs and, on webgpu, its
 * calls into the device. The first call installs the kernel counters (they stay, at the cost of
 * one function call per kernel); the device's are on only while work is counted. Run the work
 * once before counting it when only a steady state matters.
 * @param work - the work, e.g. one training step.
 * @returns its result and what it cost.
 */
export async function countWork<T>(work: () => Promise<T> | T): Promise<{ result: T; work: Work }> {
  const backendName = tf.getBackend();
  countKernels(backendName);
  const device = backendName === 'webgpu' ? activeWebGpuDevice() : undefined;
  const stopCounting = device === undefined ? undefined : countDevice(device);
  const kernelsBefore = new Map(kernelCounts);
  const gpuBefore = { ...gpuCounts };
  let result: T;
  try {
    result = await work();
  } finally {
    stopCounting?.();
  }
  const kernelsByName: Record<string, number> = {};
  let kernels = 0;
  for (const [name, count] of kernelCounts) {
    const added = count - (kernelsBefore.get(name) ?? 0);
    if (added === 0) continue;
    kernelsByName[name] = added;
    kernels += added;
  }
  const counted: Work = { kernels, kernelsByName };
  if (device !== undefined) {
    const gpu = emptyGpuWork();
    for (const key of Object.keys(gpu) as (keyof GpuWork)[]) gpu[key] = gpuCounts[key] - gpuBefore[key];
    counted.gpu = gpu;
  }
  return { result, work: counted };
}
