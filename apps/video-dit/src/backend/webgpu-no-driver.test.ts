import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { BackendUnavailableError, initBackend } from './index.js';

// Vitest runs each test file in its own process: this one's Vulkan loader sees only a driver file that is not there.
const missingDriver = '/nonexistent/lvp_icd.x86_64.json';

describe.skipIf(process.platform !== 'linux')('webgpu when VK_DRIVER_FILES names a missing driver (Linux: Dawn uses Vulkan)', () => {
  beforeAll(() => {
    process.env.VK_DRIVER_FILES = missingDriver;
  });

  test('auto falls back and the line says what was missing', async () => {
    const lines: string[] = [];
    const info = await initBackend('auto', { log: (line) => lines.push(line) });
    expect(info.name).not.toBe('webgpu');
    expect(tf.getBackend()).toBe(info.name);
    expect(lines[0]).toContain(`skipped webgpu (no WebGPU adapter: VK_DRIVER_FILES names ${missingDriver}, which does not exist)`);
  });

  test('forced webgpu fails saying what is missing and what to install', async () => {
    const error = await initBackend('webgpu').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toBe(
      `backend 'webgpu' is unavailable: no WebGPU adapter: VK_DRIVER_FILES names ${missingDriver}, which does not exist. ` +
        "To use it: the GPU's Vulkan driver and the Vulkan loader (Debian/Ubuntu: `apt install libvulkan1 mesa-vulkan-drivers` for AMD/Intel, " +
        'or the NVIDIA driver with its Vulkan ICD); check with `vulkaninfo --summary`. Without a GPU, scripts/setup-lavapipe.sh ' +
        'installs a software adapter (for tests; --backend webgpu only)',
    );
  });
});
