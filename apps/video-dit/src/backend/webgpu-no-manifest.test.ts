import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BackendUnavailableError } from './errors.js';
import { initBackend } from './init-backend.js';

// Vitest runs each test file in its own process: this one's environment has a Vulkan loader but no
// driver manifest in any folder the loader searches.
const systemManifests = ['/etc/vulkan/icd.d'].some((dir) => existsSync(dir) && readdirSync(dir).some((name) => name.endsWith('.json')));
let root: string;

describe.skipIf(process.platform !== 'linux' || systemManifests)('webgpu with a Vulkan loader but no driver manifest (Linux)', () => {
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'video-dit-vulkan-'));
    mkdirSync(join(root, 'lib'));
    writeFileSync(join(root, 'lib', 'libvulkan.so.1'), '');
    for (const variable of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES']) delete process.env[variable];
    Object.assign(process.env, {
      LD_LIBRARY_PATH: join(root, 'lib'),
      HOME: root,
      XDG_CONFIG_DIRS: join(root, 'config'),
      XDG_DATA_HOME: join(root, 'data'),
      XDG_DATA_DIRS: join(root, 'share'),
    });
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  test('auto skips webgpu without starting Dawn and says that no driver is installed', async () => {
    const lines: string[] = [];
    const info = await initBackend('auto', { log: (line) => lines.push(line) });
    expect(info.name).not.toBe('webgpu');
    expect(lines[0]).toContain('skipped webgpu (no WebGPU adapter: no Vulkan driver is installed (no manifest in any vulkan/icd.d folder))');
  });

  test('forced webgpu fails with the same reason', async () => {
    const error = await initBackend('webgpu').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/^backend 'webgpu' is unavailable: no WebGPU adapter: no Vulkan driver is installed/);
  });
});
