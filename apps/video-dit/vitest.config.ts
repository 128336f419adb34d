import { defineConfig } from 'vitest/config';

// Training tests start worker threads and run several steps: a few seconds each on a quiet
// machine, many times that when CI shares two cores, so the default 5 s is too tight.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
