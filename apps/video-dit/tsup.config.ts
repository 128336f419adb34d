import { defineConfig } from 'tsup';

export default defineConfig({
  // cli/main is the `video-dit` bin; index is the library the benchmark drives; train/gradient-worker
  // is the script of the worker threads that share a batch (train.threads), train/batch-worker the
  // one that draws batches ahead of a webgpu run's steps.
  entry: {
    'cli/main': 'src/cli/main.ts',
    index: 'src/index.ts',
    'train/gradient-worker': 'src/train/gradient-worker.ts',
    'train/batch-worker': 'src/train/batch-worker.ts',
  },
  outDir: 'dist',
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'es2022',
  banner: { js: '#!/usr/bin/env node' },
});
