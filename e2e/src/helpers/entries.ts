import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { importedSpecifiers } from './readme.js';
import { packageName } from './scenarios.js';
import type { WorkspacePackage } from './workspace.js';

export interface EntryPoint {
  /** What a user imports: `@flowdit/rope3d` or `@flowdit/rope3d/layer`. */
  readonly specifier: string;
  /** The packages its built files import, the chunks they share followed: its peers. */
  readonly needs: string[];
}

/**
 * The packages a built module imports, following its relative imports (tsup's shared chunks).
 * @param file - absolute path of a built .js file
 * @param seen - files already read
 * @returns bare package names, node: builtins left out
 */
function packagesImportedBy(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  return importedSpecifiers(readFileSync(file, 'utf8')).flatMap((specifier) => {
    if (specifier.startsWith('.')) return packagesImportedBy(join(dirname(file), specifier), seen);
    return specifier.startsWith('node:') ? [] : [packageName(specifier)];
  });
}

/**
 * A package's entry points (its `exports` map without package.json) and what each needs installed.
 * @param pkg - a built workspace package
 * @returns one entry per subpath, the main entry first
 */
export function entryPoints(pkg: WorkspacePackage): EntryPoint[] {
  if (!pkg.manifest.exports) throw new Error(`${pkg.manifest.name} has no exports map`);
  return Object.entries(pkg.manifest.exports as Record<string, { import?: string }>)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      if (typeof target.import !== 'string') throw new Error(`${pkg.manifest.name} exports ${subpath} without an import condition`);
      return {
        specifier: subpath === '.' ? pkg.manifest.name : `${pkg.manifest.name}/${subpath.slice(2)}`,
        needs: [...new Set(packagesImportedBy(join(pkg.dir, target.import)))].sort(),
      };
    });
}
