import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';
import { cleanEnv, pnpm, type WorkspacePackage } from './workspace.js';

export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  readonly tarball: string;
  /** Paths inside the tarball, without the leading `package/`. */
  readonly files: string[];
  /** Bytes of the .tgz (what npm downloads). */
  readonly packedBytes: number;
  /** Bytes of the files inside (what lands in node_modules). */
  readonly unpackedBytes: number;
}

/**
 * `pnpm pack`s a built workspace package into a folder, exactly what `pnpm publish` would upload.
 * @param pkg - the package
 * @param outDir - where the .tgz goes
 * @returns the tarball with its file list and sizes
 * @throws {Error} when the package has not been built (no dist/) or packing fails
 */
export async function packPackage(pkg: WorkspacePackage, outDir: string): Promise<PackedPackage> {
  if (!existsSync(join(pkg.dir, 'dist'))) {
    throw new Error(
      `${pkg.manifest.name} has no dist/: build first (npx pnpm@10.34.9 --filter "./packages/*" build; turbo does it for pnpm test)`,
    );
  }
  const result = await pnpm(['pack', '--pack-destination', outDir], pkg.dir);
  const tarball = result.stdout
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .reverse()
    .find((line) => line.endsWith('.tgz'));
  if (!tarball) throw new Error(`pnpm pack printed no .tgz path:\n${result.stdout}`);
  const listing = await exec('tar', ['-tvzf', tarball], { cwd: outDir, env: cleanEnv() });
  const files: string[] = [];
  let unpackedBytes = 0;
  for (const line of listing.stdout.trim().split('\n')) {
    // -rw-r--r-- 0/0   1234 1985-10-26 08:15 package/dist/index.js
    const fields = line.trim().split(/\s+/);
    const path = fields.slice(5).join(' ');
    if (!path.startsWith('package/') || line.startsWith('d')) continue;
    files.push(path.slice('package/'.length));
    unpackedBytes += Number(fields[2]);
  }
  return {
    name: pkg.manifest.name,
    version: pkg.manifest.version,
    tarball,
    files: files.sort(),
    packedBytes: statSync(tarball).size,
    unpackedBytes,
  };
}

/**
 * Files a published package may ship: its build output and the documents users read.
 * @param path - a path inside the tarball
 * @returns whether it belongs there
 */
export function isShippable(path: string): boolean {
  return (
    /^dist\/.+\.(js|mjs|d\.ts|d\.mts|js\.map|d\.ts\.map)$/.test(path) ||
    /^(README|CHANGELOG|LICENSE)(\.md)?$/i.test(path) ||
    path === 'package.json'
  );
}
