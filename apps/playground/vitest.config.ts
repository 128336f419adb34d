import { defineConfig } from 'vitest/config';

// The browser test builds the page and drives Chromium on a 2-core machine shared with other jobs.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
