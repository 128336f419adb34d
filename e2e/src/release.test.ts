import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createProject, install, type PackageManager, runModule } from './helpers/project.js';
import { toRunnableModule } from './helpers/readme.js';
import {
  bumpVersion,
  copyRepo,
  git,
  pendingBumps,
  pendingChangesets,
  treeState,
  writeNpmrc,
} from './helpers/repo-copy.js';
import { packageName, scenariosOf } from './helpers/scenarios.js';
import { freePort, type Registry, startVerdaccio } from './helpers/verdaccio.js';
import { pnpm, publishedPackages, readManifest, type WorkspacePackage } from './helpers/workspace.js';

const keep = process.env.FLOWDIT_E2E_KEEP === '1';
const SUMMARY = `Release check ${randomBytes(4).toString('hex')}: a minor change for users.`;

let registry: Registry | undefined;
let token = '';
let repo = '';
const cleanup: string[] = [];

function live(): Registry {
  if (!registry) throw new Error('verdaccio is not running');
  return registry;
}

/** The published packages of the repository copy, as they are on disk now. */
function packagesOfCopy(): WorkspacePackage[] {
  return publishedPackages(repo);
}

/** `pnpm release` in the copy, the way a maintainer runs it; never throws, returns the result. */
function release() {
  return pnpm(['release'], repo, {}, true);
}

function output(result: { stdout: string; stderr: string }): string {
  return `${result.stdout}\n${result.stderr}`;
}

/** Shows what changesets told the maintainer (its 🦋 lines, without npm's config warnings). */
function logChangesets(result: { stdout: string; stderr: string }): void {
  const lines = output(result)
    .split('\n')
    .filter((line) => line.startsWith('🦋') && !/npm warn|^🦋\s+error\s*$/.test(line));
  console.log(lines.join('\n'));
}

/** Everything the registry holds of our packages: versions, their shasums and dist-tags. */
async function registryState() {
  const state: Record<string, unknown> = {};
  for (const pkg of packagesOfCopy()) {
    const doc = await live().packument(pkg.manifest.name);
    state[pkg.manifest.name] = doc && {
      tags: doc['dist-tags'],
      versions: Object.fromEntries(Object.entries(doc.versions).map(([v, meta]) => [v, meta.dist.shasum])),
    };
  }
  return state;
}

/**
 * Installs the given versions of our packages from verdaccio into a fresh project, with the
 * peers their READMEs name (from the public registry), and runs each package's README example.
 */
async function installFromRegistryAndRun(pm: PackageManager, versions: Map<string, string>) {
  const dir = await createProject(`from-registry-${pm}`);
  cleanup.push(dir);
  writeFileSync(join(dir, '.npmrc'), `@flowdit:registry=${live().url}\n`);
  const scenarios = packagesOfCopy().flatMap(scenariosOf);
  const specs = new Set<string>();
  for (const scenario of scenarios) {
    for (const spec of scenario.installLines.flat()) {
      const name = packageName(spec);
      specs.add(versions.has(name) ? `${name}@${versions.get(name)}` : spec);
    }
  }
  await install(pm, dir, [...specs]);
  for (const [name, version] of versions) {
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'));
    expect(`${installed.name}@${installed.version}`).toBe(`${name}@${version}`);
  }
  const examples = scenarios.flatMap((s) => (s.example ? [s.example] : []));
  expect(examples.length).toBeGreaterThan(0);
  for (const [i, example] of examples.entries()) await runModule(dir, `example-${i}.mjs`, toRunnableModule(example));
}

beforeAll(async () => {
  registry = await startVerdaccio();
  cleanup.push(registry.dir);
  token = await registry.addUser('flowdit-release', randomBytes(12).toString('hex'));
  repo = await copyRepo();
  cleanup.push(repo);
  writeNpmrc(repo, registry.url, token);
}, 180_000);

afterAll(async () => {
  // Also reached when a test failed or timed out: verdaccio never outlives the suite.
  await registry?.stop();
  if (!keep) for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.sequential('release with changesets against a local npm registry (verdaccio)', () => {
  const initial = new Map<string, string>();
  const next = new Map<string, string>();

  test('pnpm release publishes the current versions, tags them in git and never the private app', async () => {
    for (const pkg of packagesOfCopy()) initial.set(pkg.manifest.name, pkg.manifest.version);
    const result = await release();
    expect(result.code, output(result)).toBe(0);
    for (const [name, version] of initial) {
      const doc = await live().packument(name);
      expect(Object.keys(doc?.versions ?? {}), `${name} on the registry`).toEqual([version]);
      expect(doc?.['dist-tags'].latest).toBe(version);
    }
    const tags = (await git(['tag', '--list'], repo)).split('\n');
    expect(tags.sort()).toEqual([...initial].map(([name, version]) => `${name}@${version}`).sort());
    expect(await git(['status', '--porcelain'], repo)).toBe('');
    for (const app of ['video-dit', 'playground', '@flowdit/e2e']) expect(await live().packument(app)).toBeUndefined();
  });

  test('the published versions install from the registry with npm and their README examples run', async () => {
    await installFromRegistryAndRun('npm', initial);
  });

  test('publishing the same versions again is refused with a clear message and changes nothing', async () => {
    const before = { tree: await treeState(repo), registry: await registryState() };
    const result = await release();
    const text = output(result);
    logChangesets(result);
    for (const [name, version] of initial) {
      expect(text).toContain(`${name} is not being published because version ${version} is already published`);
    }
    expect(text).toContain('No unpublished projects to publish');
    expect({ tree: await treeState(repo), registry: await registryState() }).toEqual(before);
  });

  test('a changeset, then pnpm version-packages, bumps the versions and writes the CHANGELOGs', async () => {
    const names = [...initial.keys()];
    // What `pnpm changeset` writes: front matter with a bump per package, then the summary.
    const bumps = names.map((name, i) => `'${name}': ${i === 0 ? 'minor' : 'patch'}`);
    writeFileSync(join(repo, '.changeset', 'e2e-release-check.md'), `---\n${bumps.join('\n')}\n---\n\n${SUMMARY}\n`);
    await git(['add', '.changeset'], repo);
    await git(['commit', '-q', '-m', 'Add a changeset'], repo);
    const expected = pendingBumps(repo);

    await pnpm(['version-packages'], repo);

    expect(pendingChangesets(repo)).toEqual([]);
    for (const pkg of packagesOfCopy()) {
      const bump = expected.get(pkg.manifest.name);
      if (!bump) throw new Error(`no bump for ${pkg.manifest.name} in ${[...expected]}`);
      const version = bumpVersion(initial.get(pkg.manifest.name) ?? '', bump);
      next.set(pkg.manifest.name, version);
      expect(readManifest(pkg.dir).version).toBe(version);
      const changelog = readFileSync(join(pkg.dir, 'CHANGELOG.md'), 'utf8');
      const entry = changelog.slice(changelog.indexOf(`## ${version}`));
      expect(changelog).toContain(`## ${version}`);
      expect(entry).toContain(SUMMARY);
    }
    expect(readManifest(join(repo, 'apps', 'video-dit')).version).toBe('0.0.0');
    // The maintainer commits the version bump (what the changesets bot's "Version Packages" PR holds).
    await git(['add', '-A'], repo);
    await git(['commit', '-q', '-m', 'Version Packages'], repo);
  });

  test('an unreachable registry: release fails saying so, and the tree and tags stay as they were', async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}/`;
    const before = await treeState(repo);
    // npm would retry a refused connection for about a minute; the outcome is the same.
    writeNpmrc(repo, deadUrl, token, ['fetch-retries=0']);
    try {
      const result = await release();
      logChangesets(result);
      expect(result.code).not.toBe(0);
      expect(output(result)).toMatch(/ECONNREFUSED/);
      expect(output(result)).toContain(new URL(deadUrl).host);
    } finally {
      writeNpmrc(repo, live().url, token);
    }
    expect(await treeState(repo)).toEqual(before);
    for (const [name, version] of next) {
      expect(Object.keys((await live().packument(name))?.versions ?? {})).not.toContain(version);
    }
  });

  test('a refused token: release fails saying so, nothing is published and no tag is made', async () => {
    const before = { tree: await treeState(repo), registry: await registryState() };
    writeNpmrc(repo, live().url, 'not-a-valid-token');
    try {
      const result = await release();
      logChangesets(result);
      expect(result.code).not.toBe(0);
      expect(output(result)).toMatch(/E401|E403|unauthori[sz]ed|authenticat/i);
    } finally {
      writeNpmrc(repo, live().url, token);
    }
    expect({ tree: await treeState(repo), registry: await registryState() }).toEqual(before);
  });

  test('pnpm release publishes the new versions as latest and tags them', async () => {
    const result = await release();
    expect(result.code, output(result)).toBe(0);
    const tags = (await git(['tag', '--list'], repo)).split('\n');
    for (const [name, version] of next) {
      const doc = await live().packument(name);
      expect(Object.keys(doc?.versions ?? {}).sort()).toEqual([initial.get(name), version].sort());
      expect(doc?.['dist-tags'].latest).toBe(version);
      expect(tags).toContain(`${name}@${version}`);
      expect(tags).toContain(`${name}@${initial.get(name)}`);
    }
  });

  test('the new versions install by their numbers with pnpm and their README examples run', async () => {
    await installFromRegistryAndRun('pnpm', next);
  });

  test('verdaccio stops by its process id', async () => {
    const { pid, url } = live();
    await live().stop();
    expect(live().alive()).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(fetch(new URL('-/ping', url))).rejects.toThrow();
  });
});
