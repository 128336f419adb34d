// Builds the static site into dist/ with vite, then prints the size of the page's script and of each
// entry point of the two packages as a browser bundle (esbuild, minified; the tfjs peers left out,
// as an app bundles them once for everything). It fails when a package entry needs a Node module
// (esbuild's browser platform cannot resolve one) or when importing only ropeTable and applyRope
// pulls in @tensorflow/tfjs-layers.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

await build({ root, logLevel: 'warn' });

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const rows = [];
for (const file of (await readdir(join(dist, 'assets'))).filter((name) => /\.(js|wasm)$/.test(name)).sort()) {
  const bytes = await readFile(join(dist, 'assets', file));
  rows.push({ what: `page: assets/${file.replace(/-[\w-]{8}\./, '.')}`, minified: bytes.length, gzip: gzipSync(bytes).length });
}

const entries = [
  ['@flowdit/timestep-shift', "export * from '@flowdit/timestep-shift';"],
  ['@flowdit/timestep-shift/tfjs', "export * from '@flowdit/timestep-shift/tfjs';"],
  ['@flowdit/rope3d', "export * from '@flowdit/rope3d';"],
  ['@flowdit/rope3d: ropeTable only', "export { ropeTable } from '@flowdit/rope3d';"],
  ['@flowdit/rope3d: ropeTable + applyRope', "export { applyRope, ropeTable } from '@flowdit/rope3d';"],
  ['@flowdit/rope3d/layer', "export * from '@flowdit/rope3d/layer';"],
];
const bundle = (contents, external) =>
  esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    external,
    logLevel: 'silent',
  });
for (const [what, contents] of entries) {
  const { outputFiles } = await bundle(contents, ['@tensorflow/*']);
  const bytes = outputFiles[0].contents;
  rows.push({ what, minified: bytes.length, gzip: gzipSync(bytes).length });
}

// With tfjs bundled too: what a user who imports only the tables and applyRope ships.
const { metafile, outputFiles } = await bundle("export { applyRope, ropeTable } from '@flowdit/rope3d';", []);
const layers = Object.keys(metafile.inputs).filter((input) => input.includes('tfjs-layers'));
if (layers.length > 0) throw new Error(`importing ropeTable and applyRope bundles tfjs-layers: ${layers.slice(0, 3).join(', ')}`);
rows.push({ what: 'ropeTable + applyRope with tfjs-core bundled (no tfjs-layers)', minified: outputFiles[0].contents.length, gzip: gzipSync(outputFiles[0].contents).length });

const width = Math.max(...rows.map((row) => row.what.length));
console.log(`playground: bundle sizes (minified, gzip; package entries without their tfjs peers)`);
for (const row of rows) console.log(`  ${row.what.padEnd(width)}  ${kB(row.minified).padStart(10)}  ${kB(row.gzip).padStart(9)}`);
await writeFile(join(dist, 'bundle-sizes.json'), `${JSON.stringify(rows, null, 1)}\n`);
