import { defineConfig } from 'vite';

// A static site: relative URLs, so that dist/ can be served from any folder.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 4096, reportCompressedSize: false },
});
