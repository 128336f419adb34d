import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { type Attempt, errorLine } from './attempt.js';

/** tfjs-node packages, GPU build first. Both are optional dependencies of the app. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
export type TensorflowPackage = (typeof TENSORFLOW_PACKAGES)[number];

/** Where a tfjs-node package stands on this machine, found without importing it. */
export type TensorflowBinding =
  | { state: 'not-installed'; packageName: TensorflowPackage }
  | { state: 'no-binding'; packageName: TensorflowPackage; bindingPath: string }
  | { state: 'present'; packageName: TensorflowPackage; bindingPath: string };

const INSTALL_GPU =
  'an NVIDIA driver with CUDA 11.2 and cuDNN 8.1 (libtensorflow 2.9.1), network access to storage.googleapis.com ' +
  'while installing, then `pnpm rebuild @tensorflow/tfjs-node-gpu` (npm: `npm rebuild @tensorflow/tfjs-node-gpu`); ' +
  'for the CPU build, `pnpm rebuild @tensorflow/tfjs-node`';

/**
 * Finds whether a tfjs-node package and its native binding are installed, the way the package itself
 * looks for it (node-pre-gyp), without importing it: a failed import still registers its kernels.
 * @param packageName - `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`
 * @returns the state, with the binding's expected path where the package is installed
 */
export function findTensorflowBinding(packageName: TensorflowPackage): TensorflowBinding {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve(`${packageName}/package.json`);
  } catch {
    return { state: 'not-installed', packageName };
  }
  let bindingPath: string;
  try {
    const nodePreGyp = createRequire(packageJson)('@mapbox/node-pre-gyp') as { find(packageJsonPath: string): string };
    bindingPath = nodePreGyp.find(packageJson);
  } catch (error) {
    return { state: 'no-binding', packageName, bindingPath: `(unknown: ${errorLine(error)})` };
  }
  return { state: existsSync(bindingPath) ? 'present' : 'no-binding', packageName, bindingPath };
}

/** One line for packages that cannot load: which are absent, which lack their binding. */
export function describeMissing(bindings: readonly TensorflowBinding[]): string {
  const names = (state: TensorflowBinding['state']) => bindings.filter((b) => b.state === state).map((b) => b.packageName);
  const parts: string[] = [];
  const notInstalled = names('not-installed');
  const noBinding = names('no-binding');
  if (notInstalled.length > 0) parts.push(`${notInstalled.join(' and ')} not installed`);
  if (noBinding.length > 0) {
    parts.push(
      `${noBinding.join(' and ')} installed without ${noBinding.length > 1 ? 'their' : 'its'} native binding (tfjs_binding.node and libtensorflow, which the install script downloads)`,
    );
  }
  return parts.join('; ');
}

interface NodeBackendFields {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

/**
 * Activates tfjs-node-gpu (or tfjs-node) where its native binding is present.
 * @param options.requireGpu - only accept tfjs-node-gpu running on a CUDA device (what `auto` wants)
 * @returns ready, or why not and what to install
 */
export async function activateTensorflow(options: { requireGpu: boolean }): Promise<Attempt> {
  const bindings = TENSORFLOW_PACKAGES.map(findTensorflowBinding);
  const present = bindings.find(
    (binding) => binding.state === 'present' && (!options.requireGpu || binding.packageName === '@tensorflow/tfjs-node-gpu'),
  );
  if (present === undefined) return { ok: false, why: describeMissing(bindings), install: INSTALL_GPU };
  const packageName: string = present.packageName;
  try {
    await import(packageName);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
  } catch (error) {
    return { ok: false, why: `${packageName} failed to load: ${errorLine(error)}`, install: INSTALL_GPU };
  }
  const backend = tf.backend() as unknown as NodeBackendFields;
  const onGpu = backend.isUsingGpuDevice === true;
  if (options.requireGpu && !onGpu) {
    return {
      ok: false,
      why: `${packageName} loaded but libtensorflow found no CUDA GPU (check \`nvidia-smi\`, CUDA 11.2 and cuDNN 8.1 on LD_LIBRARY_PATH)`,
      install: INSTALL_GPU,
    };
  }
  return {
    ok: true,
    info: {
      name: 'tensorflow',
      description: onGpu
        ? `${packageName}: libtensorflow 2.9.1 on a CUDA GPU (its log above names the device)`
        : `${packageName}: libtensorflow 2.9.1 on the CPU${backend.isGPUPackage ? ' (no CUDA GPU found)' : ''}`,
      isGpu: onGpu,
      software: false,
      memoryBytes: () => undefined,
    },
  };
}
