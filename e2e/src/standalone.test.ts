import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { exec } from './helpers/exec.js';
import { copyRepo, git } from './helpers/repo-copy.js';
import { cleanEnv, pnpm, publishedPackages, REPO_ROOT, tempDir } from './helpers/workspace.js';

const keep = process.env.FLOWDIT_E2E_KEEP === '1';
const cleanup: string[] = [];

afterAll(() => {
  if (!keep) for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

// This file must pass the static check itself, so the escaping paths it plants are assembled
// here rather than written out.
const up = (levels: number) => '../'.repeat(levels);
const upArguments = (levels: number) => Array(levels).fill("'..'").join(', ');
const SHARED_FIXTURES = ['shared', 'fixtures'].join('/');
const CHECK = join(REPO_ROOT, 'scripts', 'check-self-contained.sh');

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** The `file:line` of each finding the check prints. */
function findings(stderr: string): string[] {
  return [...stderr.matchAll(/^ {2}(\S+?:\d+):/gm)].map((match) => match[1] ?? '').sort();
}

describe('scripts/check-self-contained.sh', () => {
  test('names every file that reads outside the repository, and nothing else', async () => {
    const root = await tempDir('self-contained');
    cleanup.push(root);
    await git(['init', '-q', '-b', 'main'], root);
    write(root, '.gitignore', 'ignored.ts\n');
    // Escapes: the shared fixture folder by name, and chains longer than the folder is deep.
    write(root, 'packages/demo/test/loader.ts', `export const FIXTURES = new URL('${up(4)}${SHARED_FIXTURES}/demo/', import.meta.url);\n`);
    write(root, 'packages/demo/src/paths.ts', `import { join } from 'node:path';\nexport const data = join(__dirname, ${upArguments(4)}, 'data');\n`);
    write(root, 'apps/app/README.md', `See [the vectors](${up(2)}${SHARED_FIXTURES.replace('/', '-')}) and [more](${up(3)}elsewhere.md).\n`);
    write(root, 'scripts/setup.sh', `cd "$(dirname "$0")/${up(1)}.."\n`);
    // Inside the repository: up to the root and no further, spreads, other words with dots.
    write(root, 'apps/app/src/ok.ts', `export const root = new URL('${up(3)}', import.meta.url);\nexport const all = [...[1], ...[2]];\n`);
    write(root, 'e2e/README.md', `[the docs](${up(1)}docs/a.md), a range 1..2 and an ellipsis...\n`);
    write(root, 'scripts/test.sh', 'cd "$(dirname "$0")/.."\n');
    // Not searched: dependencies and build output (even when tracked), and files git ignores.
    write(root, 'packages/demo/node_modules/dep/index.js', `require('${up(9)}x');\n`);
    write(root, 'packages/demo/dist/index.js', `import '${up(9)}x';\n`);
    write(root, 'packages/demo/src/ignored.ts', `import '${up(9)}x';\n`);
    await git(['add', '-A'], root);
    await git(['add', '-f', 'packages/demo/node_modules', 'packages/demo/dist'], root);
    // Untracked but not ignored: what the next commit would take, so it counts.
    write(root, 'packages/demo/src/new.ts', `import '${up(4)}outside.js';\n`);

    const dirty = await exec('bash', [CHECK, root], { cwd: root, env: cleanEnv(), allowFailure: true });
    expect(dirty.code, dirty.stdout + dirty.stderr).toBe(1);
    expect(findings(dirty.stderr)).toEqual(
      [
        'apps/app/README.md:1', // climbs 3 from apps/app
        'packages/demo/src/new.ts:1',
        'packages/demo/src/paths.ts:2',
        'packages/demo/test/loader.ts:1', // climbs 4 from packages/demo/test
        'packages/demo/test/loader.ts:1', // and names the shared fixture folder
        'scripts/setup.sh:1',
      ].sort(),
    );
    expect(dirty.stderr).toContain('packages/demo/test/loader.ts:1: names the shared fixture folder outside the repository');
    expect(dirty.stderr).toContain('packages/demo/src/paths.ts:2: climbs 4 folders from a folder 3 below the repository root');

    for (const path of ['packages/demo/test/loader.ts', 'packages/demo/src/paths.ts', 'apps/app/README.md', 'scripts/setup.sh', 'packages/demo/src/new.ts']) {
      rmSync(join(root, path));
    }
    const clean = await exec('bash', [CHECK, root], { cwd: root, env: cleanEnv(), allowFailure: true });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  });
});

interface VitestReport {
  success: boolean;
  numTotalTests: number;
  numFailedTests: number;
  testResults: { name: string; status: string; assertionResults: { status: string }[] }[];
}

/** Test files a package's vitest config includes: src/**\/*.test.ts and test/**\/*.test.ts. */
function testFiles(dir: string): string[] {
  return ['src', 'test'].flatMap((folder) =>
    existsSync(join(dir, folder))
      ? readdirSync(join(dir, folder), { recursive: true, encoding: 'utf8' })
          .filter((path) => path.endsWith('.test.ts'))
          .map((path) => join(folder, path))
      : [],
  );
}

// A copy of the working tree in a temp folder with nothing of ours beside it: a test that reads
// a file outside the repository (by any path, however it is built) fails there.
describe('each published package passes its own tests in a copy of the repository with nothing beside it', () => {
  let repo: Promise<string> | undefined;
  const copy = () => {
    repo ??= copyRepo().then((dir) => {
      cleanup.push(dir);
      return dir;
    });
    return repo;
  };

  test.each(publishedPackages().map((pkg) => [pkg.manifest.name, relative(REPO_ROOT, pkg.dir)] as const))(
    '%s, golden vectors included',
    async (name, path) => {
      const root = await copy();
      const dir = join(root, path);
      expect(existsSync(join(dirname(root), 'shared')), 'a folder named shared sits beside the copy').toBe(false);

      // The golden vectors travel with the package's tests, with the README that says how they were made.
      const fixtures = join(dir, 'test', 'fixtures');
      expect(existsSync(join(fixtures, 'README.md')), `${name}: test/fixtures/README.md (the vectors' provenance)`).toBe(true);
      const vectors = readdirSync(fixtures).filter((file) => file.endsWith('.json'));
      expect(vectors.length, `${name}: golden vectors in test/fixtures`).toBeGreaterThan(0);

      const reportDir = await tempDir('standalone-report');
      cleanup.push(reportDir);
      const reportPath = join(reportDir, 'vitest.json');
      const run = await pnpm(
        ['run', 'test', '--reporter=default', '--reporter=json', `--outputFile.json=${reportPath}`],
        dir,
        {},
        true,
      );
      const tail = `${run.stdout}\n${run.stderr}`.split('\n').slice(-60).join('\n');
      expect(run.code, `${name}: its tests failed in the copy at ${dir}\n${tail}`).toBe(0);

      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as VitestReport;
      expect(report.success).toBe(true);
      expect(report.numFailedTests).toBe(0);
      const results = new Map(report.testResults.map((file) => [relative(realpathSync(dir), file.name), file]));
      // Every test file ran (none was left out of the run).
      const files = testFiles(dir);
      expect([...results.keys()].sort()).toEqual([...files].sort());

      // Each golden-vector file is read by a test file whose tests ran and passed.
      const passed = (file: string) =>
        results.get(file)?.status === 'passed' &&
        (results.get(file)?.assertionResults.filter((test) => test.status === 'passed').length ?? 0) > 0;
      for (const vector of vectors) {
        const readers = files.filter((file) => readFileSync(join(dir, file), 'utf8').includes(vector));
        expect(readers, `${name}: no test file names ${vector}`).not.toEqual([]);
        expect(readers.filter(passed), `${name}: the tests that read ${vector} did not run and pass`).toEqual(readers);
      }
    },
  );
});
