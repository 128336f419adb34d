import { vi } from 'vitest';
import { runCli } from '../src/cli/cli.js';

/**
 * Runs the CLI in this process with `args`, collecting what it prints.
 * @returns its exit code and its console.log and console.error lines, joined.
 */
export async function invokeCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...items) => void out.push(items.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...items) => void err.push(items.join(' ')));
  try {
    return { code: await runCli(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
