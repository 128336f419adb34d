import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from './exec.js';

/** The checkout's root: e2e/src/helpers → ../../.. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The pnpm every README and script names; run through npx, so nothing global is needed. */
export const PNPM_SPEC = 'pnpm@10.34.9';

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dependencies?: Record<string, string>;
  exports?: Record<string, unknown>;
}

export interface WorkspacePackage {
  readonly dir: string;
  readonly manifest: PackageJson;
}

/**
 * Reads and parses a package.json.
 * @param dir - the folder that holds it
 * @returns the parsed manifest
 */
export function readManifest(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/**
 * The packages under packages/ that are not private: the ones users install.
 * @param root - the repository root (default: this checkout)
 * @returns them sorted by name
 */
export function publishedPackages(root = REPO_ROOT): WorkspacePackage[] {
  const parent = join(root, 'packages');
  return readdirSync(parent)
    .map((name) => join(parent, name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: readManifest(dir) }))
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/**
 * A fresh folder in the OS temp dir, outside the workspace, so no pnpm-workspace.yaml or .npmrc
 * of ours is found above it.
 * @param label - part of the folder name, to tell runs apart
 * @returns its absolute path
 */
export function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `flowdit-e2e-${label}-`));
}

/**
 * The environment for child commands: ours without what an outer `pnpm test` / turbo / vitest
 * put there (npm_config_*, npm_package_*, TURBO_*, VITEST*), so installs behave as in a user's shell.
 * @param extra - variables to add or override
 * @returns the cleaned environment
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|TURBO_|VITEST|INIT_CWD$|NODE_ENV$|TEST$)/i.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
    TURBO_TELEMETRY_DISABLED: '1',
    TURBO_NO_UPDATE_NOTIFIER: '1',
    DO_NOT_TRACK: '1',
    ...extra,
  };
}

let pnpmBinDir: Promise<string> | undefined;

/**
 * The folder holding the `pnpm` binary that `npx pnpm@10.34.9` runs, resolved once per worker
 * (npx costs a second per call). Prepended to PATH, it is what changesets finds when it spawns `pnpm`.
 * @returns an absolute folder path
 */
export function pnpmBin(): Promise<string> {
  pnpmBinDir ??= exec('npx', ['--yes', '-p', PNPM_SPEC, 'sh', '-c', 'dirname "$(command -v pnpm)"'], {
    cwd: tmpdir(),
    env: cleanEnv(),
  }).then((result) => result.stdout.trim().split('\n').at(-1) ?? '');
  return pnpmBinDir;
}

/**
 * Runs pnpm 10.34.9 with its folder first on PATH.
 * @param args - pnpm arguments
 * @param cwd - where to run
 * @param env - extra environment
 * @param allowFailure - resolve instead of throwing on a non-zero exit
 * @returns the command's result
 */
export async function pnpm(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}, allowFailure = false) {
  const bin = await pnpmBin();
  return exec(join(bin, 'pnpm'), args, {
    cwd,
    env: cleanEnv({ PATH: `${bin}:${process.env.PATH ?? ''}`, ...env }),
    allowFailure,
    timeoutMs: 240_000,
  });
}

/**
 * Runs npm (the one beside this Node).
 * @param args - npm arguments
 * @param cwd - where to run
 * @param env - extra environment
 * @param allowFailure - resolve instead of throwing on a non-zero exit
 * @returns the command's result
 */
export function npm(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}, allowFailure = false) {
  return exec('npm', args, { cwd, env: cleanEnv(env), allowFailure, timeoutMs: 240_000 });
}
