import { existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec.js';
import { cleanEnv, npm, pnpm, tempDir } from './workspace.js';

export type PackageManager = 'npm' | 'pnpm';

/**
 * A fresh user project (package.json with type module) in the OS temp dir.
 * @param label - part of the folder name
 * @returns its path
 */
export async function createProject(label: string): Promise<string> {
  const dir = await tempDir(label);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'flowdit-user-project', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  return dir;
}

/**
 * Adds packages to a project the way a user does: `npm install …` or `pnpm add …`. pnpm runs with
 * the workspace ignored, so it cannot pick up ours.
 * @param pm - which package manager
 * @param dir - the project
 * @param specs - names, name@version or tarball paths
 * @returns the command's result
 * @throws {Error} when the install fails
 */
export function install(pm: PackageManager, dir: string, specs: readonly string[]) {
  if (pm === 'npm') return npm(['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], dir);
  return pnpm(['add', '--config.ignore-workspace=true', '--reporter=append-only', ...specs], dir);
}

export interface InstalledCopy {
  readonly name: string;
  readonly version: string;
  readonly realPath: string;
}

/**
 * Every package folder physically present under a project's node_modules, including pnpm's
 * virtual store (.pnpm) and nested node_modules; symlinks are resolved so a copy counts once.
 * @param projectDir - the project
 * @returns one entry per distinct folder on disk
 */
export function installedCopies(projectDir: string): InstalledCopy[] {
  const seen = new Map<string, InstalledCopy>();
  const visitedModules = new Set<string>();
  const visitPackage = (dir: string): void => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return; // dangling link
    }
    if (seen.has(real)) return;
    const manifestPath = join(real, 'package.json');
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: string; version?: string };
      if (manifest.name) seen.set(real, { name: manifest.name, version: manifest.version ?? '', realPath: real });
    }
    visitModules(join(real, 'node_modules'));
  };
  const visitModules = (modulesDir: string): void => {
    if (!existsSync(modulesDir)) return;
    const real = realpathSync(modulesDir);
    if (visitedModules.has(real)) return;
    visitedModules.add(real);
    for (const entry of readdirSync(real)) {
      const path = join(real, entry);
      if (entry.startsWith('.') && entry !== '.pnpm') continue; // .bin, .modules.yaml, .package-lock.json
      if (entry === '.pnpm') {
        // virtual store: .pnpm/<id>/node_modules/<name>
        for (const id of readdirSync(path)) {
          const nested = join(path, id, 'node_modules');
          if (statSync(join(path, id)).isDirectory()) visitModules(nested);
        }
      } else if (entry.startsWith('@')) {
        for (const scoped of readdirSync(path)) visitPackage(join(path, scoped));
      } else {
        visitPackage(path);
      }
    }
  };
  visitModules(join(projectDir, 'node_modules'));
  return [...seen.values()];
}

/**
 * The lockfile the package manager wrote, as text (package-lock.json or pnpm-lock.yaml).
 * @param pm - which package manager
 * @param dir - the project
 * @returns its contents
 */
export function lockfileText(pm: PackageManager, dir: string): string {
  return readFileSync(join(dir, pm === 'npm' ? 'package-lock.json' : 'pnpm-lock.yaml'), 'utf8');
}

/**
 * Writes a module into the project and runs it with plain node, as a user would.
 * @param dir - the project
 * @param fileName - e.g. example.mjs
 * @param source - JavaScript module source
 * @param allowFailure - resolve instead of throwing on a non-zero exit
 * @returns the command's result
 * @throws {Error} when it exits non-zero and allowFailure is false (the message carries its output)
 */
export function runModule(dir: string, fileName: string, source: string, allowFailure = false) {
  writeFileSync(join(dir, fileName), source);
  return exec(process.execPath, [fileName], { cwd: dir, env: cleanEnv(), timeoutMs: 120_000, allowFailure });
}

/**
 * The packages a user added to a project: its package.json dependencies, which the install
 * commands write.
 * @param dir - the project
 * @returns their names
 */
export function directDependencies(dir: string): Set<string> {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return new Set(Object.keys(manifest.dependencies ?? {}));
}
