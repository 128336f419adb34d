import { defineConfig } from 'vitest/config';

// These tests install packages from registries and run a real npm registry: minutes, not ms.
// Each child command has its own, shorter timeout that kills its process group.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // The files mostly wait on npm, pnpm and the registry: two at a time even on 2 cores.
    maxWorkers: 2,
  },
});
