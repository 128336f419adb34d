import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Attempt, errorLine } from './attempt.js';
import { patchWasmKernels } from './wasm-kernels.js';

/** Activates the pure-JavaScript cpu backend, which runs everywhere. */
export async function activateCpu(): Promise<Attempt> {
  try {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
    // The cpu backend's first write prints advice to install tfjs-node; the reason line already says why cpu runs.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  } catch (error) {
    return { ok: false, why: `the cpu backend failed: ${errorLine(error)}`, install: 'pnpm install (@tensorflow/tfjs-backend-cpu)' };
  }
  return {
    ok: true,
    info: { name: 'cpu', description: 'plain JavaScript kernels on one core (the slowest backend)', isGpu: false, software: false, memoryBytes: () => undefined },
  };
}

/**
 * Activates the wasm backend with SIMD and no threads (Node gives the wasm backend no workers).
 * The .wasm files ship in the package's dist/ folder; pointing at them by file path lets the
 * backend read them with fs, wherever the app's code was bundled to.
 */
export async function activateWasm(): Promise<Attempt> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(path.join(packageDir, 'dist') + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false (see the warning above)');
    patchWasmKernels();
  } catch (error) {
    return {
      ok: false,
      why: `the wasm backend failed to start: ${errorLine(error)}`,
      install: 'pnpm install (@tensorflow/tfjs-backend-wasm ships its .wasm files in dist/) on Node >= 20',
    };
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  return {
    ok: true,
    info: {
      name: 'wasm',
      description: simd
        ? 'WebAssembly with SIMD, one thread (the app\'s own SIMD kernels)'
        : 'WebAssembly without SIMD (this Node lacks wasm SIMD: expect it to be several times slower)',
      isGpu: false,
      software: false,
      memoryBytes: () => undefined,
    },
  };
}
