import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs-core';

// The wasm binaries are static files of the site, beside the page's script.
setWasmPaths({ 'tfjs-backend-wasm.wasm': plainWasm, 'tfjs-backend-wasm-simd.wasm': simdWasm, 'tfjs-backend-wasm-threaded-simd.wasm': threadedWasm });

/** The tfjs backends the page tries, best first. */
export const BACKEND_PREFERENCE = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_PREFERENCE)[number];

/** Whether a backend started in this browser, and why not. */
export interface BackendStatus {
  name: BackendName;
  available: boolean;
  /** What the browser said when it did not start. */
  why?: string;
  /** What runs it: the WebGPU adapter, the WebGL renderer, wasm's SIMD. */
  detail?: string;
}

/** What the browser offers for a backend, without starting it: an adapter, a context, a module. */
async function offer(name: BackendName): Promise<{ detail?: string; why?: string }> {
  if (tf.findBackendFactory(name) === null) return { why: 'not registered: this browser lacks its API' };
  if (name === 'webgpu') {
    const adapter = await navigator.gpu?.requestAdapter();
    if (adapter == null) return { why: navigator.gpu === undefined ? 'no navigator.gpu' : 'no WebGPU adapter' };
    // GPUAdapter.info is newer than the WebGPU types the workspace has
    const { vendor, architecture, description } = (adapter as GPUAdapter & { info: { vendor: string; architecture: string; description: string } }).info;
    return { detail: [vendor, architecture, description].filter(Boolean).join(' ') || 'an adapter with no name' };
  }
  if (name === 'webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (gl === null) return { why: 'no WebGL 2 context' };
    const renderer = String(gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { detail: renderer };
  }
  if (name === 'wasm') return typeof WebAssembly === 'object' ? { detail: 'WebAssembly' } : { why: 'no WebAssembly' };
  return { detail: 'JavaScript' };
}

/**
 * Which backends this browser offers, best first, without starting any (starting all four at
 * once makes the GPU process of a software renderer juggle WebGL and WebGPU for nothing).
 */
export async function offeredBackends(): Promise<BackendStatus[]> {
  const statuses: BackendStatus[] = [];
  for (const name of BACKEND_PREFERENCE) {
    try {
      const { detail, why } = await offer(name);
      statuses.push(why === undefined ? { name, available: true, detail } : { name, available: false, why });
    } catch (error) {
      statuses.push({ name, available: false, why: (error as Error).message });
    }
  }
  return statuses;
}

/**
 * Starts a backend; where it fails, marks it unavailable and starts the next offered one.
 * @param statuses - from {@link offeredBackends}; updated where a backend fails to start.
 * @param wanted - the backend to try first (default: the best offered).
 * @returns the backend now running.
 */
export async function startBackend(statuses: BackendStatus[], wanted?: BackendName): Promise<BackendName> {
  const order = [...statuses].sort((a, b) => Number(b.name === wanted) - Number(a.name === wanted));
  for (const status of order) {
    if (!status.available) continue;
    try {
      if (await tf.setBackend(status.name)) return status.name;
      Object.assign(status, { available: false, why: 'tfjs could not start it' });
    } catch (error) {
      Object.assign(status, { available: false, why: (error as Error).message });
    }
  }
  throw new Error('no tfjs backend starts in this browser');
}
