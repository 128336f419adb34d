import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CodeBlock, importedSpecifiers, npmInstallLines, scriptBlocks } from './readme.js';
import type { WorkspacePackage } from './workspace.js';

/**
 * The package a spec or import names: `@scope/name/sub` and `@scope/name@^1` → `@scope/name`.
 * @param specOrImport - an install spec or an import specifier
 * @returns the bare package name
 */
export function packageName(specOrImport: string): string {
  const parts = specOrImport.split('/');
  const name = specOrImport.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? '');
  const at = name.indexOf('@', 1);
  return at === -1 ? name : name.slice(0, at);
}

/**
 * A package's README, or '' when it has none (the tests then fail with a message saying so).
 * @param pkg - the package
 * @returns the README text
 */
export function readmeOf(pkg: WorkspacePackage): string {
  const path = join(pkg.dir, 'README.md');
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** One way users install a package: the README's install lines up to one, and the example they enable. */
export interface Scenario {
  readonly pkg: WorkspacePackage;
  /** The README's `npm install` lines a user runs, in order, as written. */
  readonly installLines: string[][];
  /** The README's example (its first ts/js block), in the first scenario that installs all it imports. */
  readonly example: CodeBlock | undefined;
  readonly usesTfjs: boolean;
}

/**
 * The packages a code block imports (subpaths reduced to their package, node: and relative left out).
 * @param block - a ts/js block
 * @returns bare package names
 */
export function importedPackages(block: CodeBlock): string[] {
  return [
    ...new Set(
      importedSpecifiers(block.code)
        .filter((s) => !s.startsWith('.') && !s.startsWith('node:'))
        .map(packageName),
    ),
  ];
}

/**
 * The install scenarios a README describes: line 1 alone, lines 1–2, … The README's example (its
 * first ts/js block; later blocks may be fragments of the text) runs in the first scenario that
 * installs every package it imports.
 * @param pkg - the package
 * @returns one scenario per install line
 */
export function scenariosOf(pkg: WorkspacePackage): Scenario[] {
  const readme = readmeOf(pkg);
  const lines = npmInstallLines(readme);
  const [example] = scriptBlocks(readme);
  const names = (upTo: number) => new Set(lines.slice(0, upTo + 1).flatMap((line) => line.map(packageName)));
  const needed = example ? importedPackages(example) : [];
  const exampleLine = example ? lines.findIndex((_, i) => needed.every((name) => names(i).has(name))) : -1;
  return lines.map((_, i) => {
    const installLines = lines.slice(0, i + 1);
    return {
      pkg,
      installLines,
      example: i === exampleLine ? example : undefined,
      usesTfjs: installLines.flat().some((spec) => spec.startsWith('@tensorflow/')),
    };
  });
}
