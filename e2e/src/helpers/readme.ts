import ts from 'typescript';

export interface CodeBlock {
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
}

/**
 * Every fenced code block of a markdown file.
 * @param markdown - the file's text
 * @returns the blocks in order, with their language tag (lower case, '' when none)
 */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[2] ?? '```';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] ?? '').trimStart().startsWith(fence); j++) body.push(lines[j] ?? '');
    blocks.push({ lang: (open[3] ?? '').toLowerCase(), code: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

const SCRIPT_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'mts']);
const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'zsh', '']);

/**
 * The README's TypeScript / JavaScript examples.
 * @param markdown - the README
 * @returns the ts/js blocks in order
 */
export function scriptBlocks(markdown: string): CodeBlock[] {
  return codeBlocks(markdown).filter((block) => SCRIPT_LANGS.has(block.lang));
}

/**
 * The package lists of the `npm install` lines in a piece of shell:
 * `npm install a b@1  # comment` → ['a', 'b@1']. Flags (`--save-dev`) and comments are dropped.
 * @param shell - shell code, one command a line (a leading `$ ` prompt is allowed)
 * @returns one array per install line
 */
export function parseNpmInstalls(shell: string): string[][] {
  const installs: string[][] = [];
  for (const raw of shell.split('\n')) {
    const line = raw
      .replace(/^\s*\$\s*/, '')
      .replace(/(^|\s)#.*$/, '')
      .trim();
    const match = /^npm\s+(?:install|i|add)\s+(.+)$/.exec(line);
    if (!match) continue;
    installs.push((match[1] ?? '').split(/\s+/).filter((word) => word !== '' && !word.startsWith('-')));
  }
  return installs;
}

/**
 * The README's `npm install` lines (in shell blocks), in order.
 * @param markdown - the README
 * @returns one package list per install line
 */
export function npmInstallLines(markdown: string): string[][] {
  return codeBlocks(markdown)
    .filter((block) => isShellBlock(block))
    .flatMap((block) => parseNpmInstalls(block.code));
}

/**
 * Whether a block is shell (sh, bash, console, … or untagged).
 * @param block - a code block
 * @returns true for shell
 */
export function isShellBlock(block: CodeBlock): boolean {
  return SHELL_LANGS.has(block.lang);
}

/**
 * Turns a README example into a Node ES module: TypeScript types are erased (tsc's
 * transpileModule, the same erasure a user's build does), imports stay as written.
 * @param block - the example
 * @returns JavaScript source to write to an .mjs file
 */
export function toRunnableModule(block: CodeBlock): string {
  if (!['ts', 'typescript', 'mts'].includes(block.lang)) return block.code;
  const out = ts.transpileModule(block.code, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
    reportDiagnostics: true,
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const text = errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n');
    throw new Error(`README example at line ${block.line} is not valid TypeScript:\n${text}`);
  }
  return out.outputText;
}

/**
 * Package names a module imports (static `import … from 'x'` and `import('x')`), subpaths kept.
 * @param code - the module source
 * @returns the specifiers
 */
export function importedSpecifiers(code: string): string[] {
  const specifiers = new Set<string>();
  for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
    if (match[1]) specifiers.add(match[1]);
  }
  return [...specifiers];
}
