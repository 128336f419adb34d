import { readFile } from 'node:fs/promises';
import { UsageError } from './args.js';

/**
 * A JSON configuration file given on the command line, parsed.
 * @param flag - the flag that named it, for error messages (e.g. `config`).
 * @param path - the file.
 * @returns the parsed JSON, not yet validated.
 * @throws {UsageError} when the file cannot be read or is not JSON.
 */
export async function readJsonFlagFile(flag: string, path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${flag}: ${path} is not valid JSON: ${(error as Error).message}`);
  }
}
