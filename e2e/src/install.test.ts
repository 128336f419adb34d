import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { entryPoints } from './helpers/entries.js';
import { exec } from './helpers/exec.js';
import { isShippable, type PackedPackage, packPackage } from './helpers/pack.js';
import { compareVersions, peerRangeBounds } from './helpers/peers.js';
import {
  createProject,
  directDependencies,
  install,
  installedCopies,
  lockfileText,
  type PackageManager,
  runModule,
} from './helpers/project.js';
import { codeBlocks, isShellBlock, npmInstallLines, parseNpmInstalls, scriptBlocks, toRunnableModule } from './helpers/readme.js';
import { importedPackages, packageName, readmeOf, scenariosOf } from './helpers/scenarios.js';
import { cleanEnv, publishedPackages, REPO_ROOT, tempDir, type WorkspacePackage } from './helpers/workspace.js';

/** Native or GPU bindings that must never come with our packages: users opt into them. */
const FORBIDDEN = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu'];
const PACKAGE_MANAGERS: PackageManager[] = ['npm', 'pnpm'];
const keep = process.env.FLOWDIT_E2E_KEEP === '1';

const packages = publishedPackages();
const readmes = new Map(packages.map((pkg) => [pkg.manifest.name, readmeOf(pkg)]));

const scenarios = packages.flatMap(scenariosOf);

/** tfjs versions to test a package against: the lowest and highest its peer ranges allow. */
async function tfjsBounds(pkg: WorkspacePackage): Promise<string[]> {
  const peers = Object.entries(pkg.manifest.peerDependencies ?? {}).filter(([name]) => name.startsWith('@tensorflow/'));
  const bounds = await Promise.all(peers.map(([name, range]) => peerRangeBounds(name, range)));
  // tfjs packages are released in lockstep: pin all of them to the same version.
  const lowest = bounds.map((b) => b[0] ?? '').sort(compareVersions).at(-1) ?? '';
  const highest = bounds.map((b) => b.at(-1) ?? '').sort(compareVersions)[0] ?? '';
  return lowest === highest ? [lowest] : [lowest, highest];
}

const bounds = new Map(await Promise.all(packages.map(async (pkg) => [pkg.manifest.name, await tfjsBounds(pkg)] as const)));
const packed = new Map<string, PackedPackage>();
const cleanup: string[] = [];

beforeAll(async () => {
  const outDir = await tempDir('pack');
  cleanup.push(outDir);
  for (const pkg of packages) packed.set(pkg.manifest.name, await packPackage(pkg, outDir));
}, 120_000);

afterAll(() => {
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  console.log(
    [...packed.values()]
      .map((p) => `${p.name}@${p.version}: tarball ${kB(p.packedBytes)}, unpacked ${kB(p.unpackedBytes)}, ${p.files.length} files`)
      .join('\n'),
  );
  if (!keep) for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function tarballOf(name: string): PackedPackage {
  const tarball = packed.get(name);
  if (!tarball) throw new Error(`${name} was not packed`);
  return tarball;
}

describe.each(packages)('$manifest.name tarball', (pkg) => {
  const name = pkg.manifest.name;

  test('holds only dist, types, README, CHANGELOG, LICENSE and package.json', () => {
    const { files } = tarballOf(name);
    expect(files.filter((path) => !isShippable(path))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
    for (const target of exportTargets(pkg.manifest.exports)) expect(files).toContain(target);
  });

  test('passes publint --strict and attw (esm-only profile) as packed', async () => {
    const { tarball } = tarballOf(name);
    const bin = join(REPO_ROOT, 'node_modules', '.bin');
    await exec(join(bin, 'publint'), ['run', tarball, '--strict'], { cwd: pkg.dir, env: cleanEnv() });
    await exec(join(bin, 'attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], {
      cwd: pkg.dir,
      env: cleanEnv(),
    });
  });

  test('README starts with its install command, which names every required peer', () => {
    const [firstBlock] = codeBlocks(readmes.get(name) ?? '');
    const first = firstBlock && isShellBlock(firstBlock) ? parseNpmInstalls(firstBlock.code)[0] : undefined;
    expect(first, `${name} README: its first code block should be the \`npm install\` line`).toBeDefined();
    const names = (first ?? []).map(packageName);
    expect(names).toContain(name);
    const required = Object.keys(pkg.manifest.peerDependencies ?? {}).filter(
      (peer) => pkg.manifest.peerDependenciesMeta?.[peer]?.optional !== true,
    );
    for (const peer of required) expect(names).toContain(peer);
  });

  test('README states the package size (within 25 % or 1 kB of what pnpm pack makes)', () => {
    const { packedBytes, unpackedBytes } = tarballOf(name);
    // Sizes on lines that talk about the package's size, not other numbers (table memory, …).
    const sizeLines = (readmes.get(name) ?? '').split('\n').filter((l) => /tarball|packed|package size|install size/i.test(l));
    const stated = sizeLines.flatMap((line) =>
      [...line.matchAll(/(\d+(?:\.\d+)?)\s*(?:kB|KB|KiB)\b/g)].map((m) => Number(m[1]) * 1000),
    );
    const close = (bytes: number) => stated.some((s) => Math.abs(s - bytes) <= Math.max(0.25 * bytes, 1000));
    const measured = `${(packedBytes / 1000).toFixed(1)} kB packed, ${(unpackedBytes / 1000).toFixed(1)} kB unpacked`;
    expect(close(packedBytes) || close(unpackedBytes), `${name} README should state its size: ${measured}`).toBe(true);
  });

  test('README example (its first ts/js block) imports only what its install lines add', () => {
    const readme = readmes.get(name) ?? '';
    const [example] = scriptBlocks(readme);
    expect(example, `${name} README has no ts/js example`).toBeDefined();
    const installed = new Set(npmInstallLines(readme).flat().map(packageName));
    const missing = importedPackages(example ?? { lang: '', code: '', line: 0 }).filter((p) => !installed.has(p));
    expect(missing, `${name} README example (line ${example?.line}) imports packages no install line adds`).toEqual([]);
  });
});

/** The files an `exports` map points at, without the leading ./ */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports.replace(/^\.\//, '')];
  if (exports === null || typeof exports !== 'object') return [];
  return Object.values(exports).flatMap(exportTargets);
}

describe.each(PACKAGE_MANAGERS)('installed with %s into a fresh project', (pm) => {
  // One project per package and tfjs version; the README's install lines run in it one after
  // the other, as a user types them, with the checks after each.
  const cases = packages.flatMap((pkg) => {
    const steps = scenarios.filter((s) => s.pkg === pkg);
    const versions = steps.some((s) => s.usesTfjs) ? (bounds.get(pkg.manifest.name) ?? []) : [undefined];
    return versions.map((tfjs) => ({ pkg, steps, tfjs }));
  });

  for (const { pkg, steps, tfjs } of cases) {
    test(`${pkg.manifest.name}, the README's install lines in order${tfjs ? `, tfjs ${tfjs}` : ''}`, async () => {
      expect(steps.length, `${pkg.manifest.name} README has no npm install line`).toBeGreaterThan(0);
      const dir = await createProject(pm);
      cleanup.push(dir);
      const pin = (spec: string) => {
        const name = packageName(spec);
        if (packed.has(name)) return tarballOf(name).tarball;
        if (name.startsWith('@tensorflow/') && tfjs) return `${name}@${tfjs}`;
        return spec;
      };
      for (const step of steps) {
        const line = step.installLines.at(-1) ?? [];
        const where = `${dir} after \`${pm} ${pm === 'npm' ? 'install' : 'add'} ${line.join(' ')}\``;
        await install(pm, dir, line.map(pin));

        const copies = installedCopies(dir);
        const names = copies.map((c) => c.name);
        for (const forbidden of FORBIDDEN) {
          expect(names, `${forbidden} installed in ${where}`).not.toContain(forbidden);
          expect(lockfileText(pm, dir), `${forbidden} in the lockfile of ${where}`).not.toMatch(
            new RegExp(`["'/ ]${forbidden.replace('/', '\\/')}[@"':]`),
          );
        }
        if (!step.usesTfjs) {
          expect(names.filter((n) => n.startsWith('@tensorflow/')), `tfjs in ${where}`).toEqual([]);
        } else {
          const cores = copies.filter((c) => c.name === '@tensorflow/tfjs-core');
          expect(cores.map((c) => c.version), `copies of tfjs-core in ${where}`).toEqual([tfjs]);
          for (const copy of copies.filter((c) => c.name.startsWith('@tensorflow/tfjs-'))) {
            expect(`${copy.name}@${copy.version}`, where).toBe(`${copy.name}@${tfjs}`);
          }
        }

        // Every entry point whose peers are installed loads; one whose (optional) peer is not
        // installed yet fails saying which package is missing.
        const added = directDependencies(dir);
        const entries = entryPoints(pkg);
        const loadable = entries.filter((entry) => entry.needs.every((need) => added.has(need)));
        const imports = loadable.map((entry) => `await import(${JSON.stringify(entry.specifier)});`).join('\n');
        await runModule(dir, 'entry-points.mjs', `${imports}\nconsole.log('ok');\n`);
        for (const entry of entries.filter((e) => !loadable.includes(e))) {
          const missing = entry.needs.filter((need) => !added.has(need));
          const result = await runModule(dir, 'entry-point-missing-peer.mjs', `await import(${JSON.stringify(entry.specifier)});\n`, true);
          expect(result.code, `${entry.specifier} imported in ${where} without ${missing.join(', ')}`).not.toBe(0);
          expect(result.stderr, `${entry.specifier} in ${where}`).toContain(`Cannot find package '${missing[0]}'`);
        }

        if (step.example) await runModule(dir, 'readme-example.mjs', toRunnableModule(step.example));
      }
    });
  }
});

/** A module that prints, as its last line, the JSON of what `body` computes, with the flowdit.* classes tfjs serialization knows. */
function reportingModule(body: string): string {
  return [
    "import '@tensorflow/tfjs-backend-cpu';",
    "import * as tf from '@tensorflow/tfjs-core';",
    "await tf.setBackend('cpu');",
    "const registered = () => Object.keys(tf.serialization.SerializationMap.getMap().classNameMap).filter((name) => name.startsWith('flowdit.'));",
    body,
    '',
  ].join('\n');
}

function lastJsonLine(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as Record<string, unknown>;
}

describe('@flowdit/rope3d keeps its main entry free of tfjs-layers', () => {
  test('with tfjs-core alone ropeTable and applyRope run and nothing registers; /layer registers flowdit.Rope3D once tfjs-layers is added, its unnamed layers called rope3d, rope3d_1', async () => {
    const name = '@flowdit/rope3d';
    const tfjs = bounds.get(name)?.at(-1);
    const dir = await createProject('rope3d-core-only');
    cleanup.push(dir);
    await install('npm', dir, [tarballOf(name).tarball, `@tensorflow/tfjs-core@${tfjs}`, `@tensorflow/tfjs-backend-cpu@${tfjs}`]);
    expect(installedCopies(dir).map((copy) => copy.name), `${dir}: the optional peer was installed`).not.toContain('@tensorflow/tfjs-layers');

    // One pair on a [1, 1, 2] grid: the first token stays, the second turns by 1 rad.
    const coreOnly = await runModule(
      dir,
      'core-only.mjs',
      reportingModule(
        [
          `const { applyRope, ropeTable } = await import('${name}');`,
          "const table = ropeTable({ grid: [1, 1, 2], headDim: 2, axisDims: [0, 0, 2] });",
          'const rotated = Array.from(applyRope(tf.tensor4d([1, 0, 1, 0], [1, 2, 1, 2]), table).dataSync());',
          'console.log(JSON.stringify({ rotated, registered: registered() }));',
        ].join('\n'),
      ),
    );
    const core = lastJsonLine(coreOnly.stdout);
    const expected = [1, 0, Math.cos(1), Math.sin(1)];
    expect(core.rotated).toHaveLength(4);
    (core.rotated as number[]).forEach((value, i) => {
      expect(value).toBeCloseTo(expected[i] ?? Number.NaN, 6);
    });
    expect(core.registered, `importing ${name} registered classes`).toEqual([]);

    await install('npm', dir, [`@tensorflow/tfjs-layers@${tfjs}`]);
    const withLayers = await runModule(
      dir,
      'with-layers.mjs',
      reportingModule(
        [
          `await import('${name}');`,
          'const afterMain = registered();',
          `const { Rope3D } = await import('${name}/layer');`,
          "const afterLayer = registered();",
          "const registeredClass = tf.serialization.SerializationMap.getMap().classNameMap['flowdit.Rope3D']?.[0];",
          "const names = [1, 2].map(() => new Rope3D({ grid: [1, 1, 2], headDim: 2, axisDims: [0, 0, 2] }).name);",
          'console.log(JSON.stringify({ afterMain, afterLayer, isRope3D: registeredClass === Rope3D, names }));',
        ].join('\n'),
      ),
    );
    expect(lastJsonLine(withLayers.stdout)).toEqual({
      afterMain: [],
      afterLayer: ['flowdit.Rope3D'],
      isRope3D: true,
      names: ['rope3d', 'rope3d_1'],
    });
  });
});
