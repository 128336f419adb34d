import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

/**
 * The app's stages, bottom first: each may import only those before it, and only through their
 * barrels: `index.ts`, or `browser.ts`, the part of a stage that a web page can bundle.
 */
const STAGES = ['backend', 'data', 'media', 'kernels', 'model', 'config', 'sample', 'web', 'eval', 'train', 'ablation', 'cli'];
const BARRELS = ['index.js', 'browser.js'];

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative module specifiers a file imports or re-exports. */
function relativeImports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]!);
}

const files = sourceFiles(SRC).map((path) => relative(SRC, path));

describe('the app is built in stages', () => {
  test('every folder under src is a known stage', () => {
    const folders = new Set(files.filter((file) => file.includes('/')).map((file) => file.split('/')[0]!));
    expect([...folders].sort()).toEqual([...STAGES].sort());
  });

  test.each(files.filter((file) => file.includes('/')))('%s imports only lower stages, through their barrels', (file) => {
    const stage = file.split('/')[0]!;
    const offending = relativeImports(join(SRC, file)).filter((specifier) => {
      if (!specifier.startsWith('../')) return false;
      // tests may use the helpers of the test folder, which no stage imports
      if (file.endsWith('.test.ts') && specifier.startsWith('../../test/')) return false;
      const [, target, ...rest] = specifier.split('/');
      return STAGES.indexOf(target!) >= STAGES.indexOf(stage) || !BARRELS.includes(rest.join('/'));
    });
    expect(offending).toEqual([]);
  });

  /** Every module a file imports, itself included, following relative imports. */
  function reachable(file: string, seen = new Set<string>()): Set<string> {
    if (seen.has(file)) return seen;
    seen.add(file);
    for (const specifier of relativeImports(join(SRC, file))) {
      reachable(relative(SRC, join(SRC, dirname(file), specifier)).replace(/\.js$/, '.ts'), seen);
    }
    return seen;
  }

  const browserSide = ['web/index.ts', ...files.filter((file) => file.endsWith('/browser.ts'))];
  test.each(browserSide)('%s reaches no Node module (a web page bundles it)', (file) => {
    const nodeImports = [...reachable(file)].flatMap((module) =>
      [...readFileSync(join(SRC, module), 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+'(node:[^']+)'/g)].map((match) => `${module}: ${match[1]}`),
    );
    expect(nodeImports).toEqual([]);
  });
});
