import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exec } from './exec.js';
import { cleanEnv, pnpm, REPO_ROOT, readManifest, tempDir } from './workspace.js';

/**
 * Runs git in a folder.
 * @param args - git arguments
 * @param cwd - the repository
 * @returns stdout, trimmed
 * @throws {Error} when git fails
 */
export async function git(args: readonly string[], cwd: string): Promise<string> {
  return (await exec('git', args, { cwd, env: cleanEnv() })).stdout.trim();
}

/**
 * A copy of this checkout's working tree (tracked and untracked, not ignored files: the work as
 * it is now, committed or not) in a temp folder, as a fresh git repository with one commit,
 * its root and packages/* dependencies installed offline from the pnpm store. The real tree is
 * never written to.
 * @returns the copy's path
 */
export async function copyRepo(): Promise<string> {
  const dir = await tempDir('repo');
  const listed = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
  });
  for (const path of new Set(listed.stdout.split('\0').filter(Boolean))) {
    const source = join(REPO_ROOT, path);
    if (!existsSync(source) || !lstatSync(source).isFile()) continue; // deleted, or a link
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    copyFileSync(source, join(dir, path));
  }
  await git(['init', '-q', '-b', 'main'], dir);
  await git(['config', 'user.name', 'flowdit e2e'], dir);
  await git(['config', 'user.email', 'e2e@flowdit.invalid'], dir);
  await git(['config', 'commit.gpgsign', 'false'], dir);
  await git(['config', 'tag.gpgsign', 'false'], dir);
  // The registry token lives in .npmrc, which must never be committed.
  writeFileSync(join(dir, '.git', 'info', 'exclude'), '.npmrc\n');
  await git(['add', '-A'], dir);
  await git(['commit', '-q', '-m', 'snapshot of the working tree'], dir);
  // turbo's local cache: where the checkout's build already ran with the same inputs (turbo runs
  // it before these tests), `pnpm release` restores dist/ from it as it would in the checkout.
  const turboCache = join(REPO_ROOT, '.turbo', 'cache');
  if (existsSync(turboCache)) cpSync(turboCache, join(dir, '.turbo', 'cache'), { recursive: true });
  await pnpm(
    ['install', '--offline', '--frozen-lockfile', '--ignore-scripts', '--filter', readManifest(dir).name, '--filter', './packages/*'],
    dir,
  );
  return dir;
}

/**
 * Points the copy's `@flowdit` scope at a registry, with a token, as a maintainer's .npmrc does.
 * @param dir - the repository copy
 * @param url - registry URL ending in /
 * @param token - auth token
 * @param extra - more .npmrc lines
 */
export function writeNpmrc(dir: string, url: string, token: string, extra: readonly string[] = []): void {
  const host = url.replace(/^https?:/, '');
  writeFileSync(join(dir, '.npmrc'), [`@flowdit:registry=${url}`, `${host}:_authToken=${token}`, ...extra, ''].join('\n'));
}

export interface TreeState {
  readonly head: string;
  readonly status: string;
  readonly tags: string;
  /** sha256 of every tracked file, so a change to any of them shows. */
  readonly contents: string;
}

/**
 * What must not change when a release fails: HEAD, the working tree's status, the tags and the
 * tracked files' contents.
 * @param dir - the repository
 * @returns a comparable snapshot
 */
export async function treeState(dir: string): Promise<TreeState> {
  const files = (await git(['ls-files', '-z'], dir)).split('\0').filter(Boolean);
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file);
    hash.update(existsSync(join(dir, file)) ? readFileSync(join(dir, file)) : 'deleted');
  }
  return {
    head: await git(['rev-parse', 'HEAD'], dir),
    status: await git(['status', '--porcelain'], dir),
    tags: await git(['tag', '--list'], dir),
    contents: hash.digest('hex'),
  };
}

/**
 * The changeset files waiting in .changeset/ (everything but README.md).
 * @param dir - the repository
 * @returns their file names
 */
export function pendingChangesets(dir: string): string[] {
  return readdirSync(join(dir, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
}

export type Bump = 'major' | 'minor' | 'patch';

/**
 * The bump each package gets from the changesets waiting in .changeset/ (the largest wins), read
 * from their front matter as `changeset version` reads it.
 * @param dir - the repository
 * @returns package name → bump
 */
export function pendingBumps(dir: string): Map<string, Bump> {
  const order: Bump[] = ['patch', 'minor', 'major'];
  const bumps = new Map<string, Bump>();
  for (const file of pendingChangesets(dir)) {
    const text = readFileSync(join(dir, '.changeset', file), 'utf8');
    const front = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
    for (const match of front.matchAll(/^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/gm)) {
      const name = match[1] ?? '';
      const bump = match[2] as Bump;
      const current = bumps.get(name);
      if (!current || order.indexOf(bump) > order.indexOf(current)) bumps.set(name, bump);
    }
  }
  return bumps;
}

/**
 * Applies a semver bump to x.y.z.
 * @param version - the current version
 * @param bump - major, minor or patch
 * @returns the next version
 */
export function bumpVersion(version: string, bump: Bump): string {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}
