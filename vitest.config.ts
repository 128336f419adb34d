import { defineConfig } from 'vitest/config';

// One command from the root runs every package's and app's own vitest config.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'e2e'],
  },
});
