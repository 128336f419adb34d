import { defineConfig } from 'vitest/config';

// The statistical and fixture tests draw 10^6 samples or build tables: about a second each on a
// quiet machine, many times that when CI shares two cores, so the default 5 s is too tight.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
