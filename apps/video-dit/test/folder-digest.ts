import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under `dir` with its SHA-256, by path relative to `dir`. */
export async function folderDigest(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path.slice(dir.length + 1)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return files;
}

/**
 * Makes `dir` look like another run of the app (a config, metrics, a checkpoint), for tests that
 * check a command on one run leaves every other run as it was.
 */
export async function makeNeighbourRun(dir: string): Promise<void> {
  const checkpoint = join(dir, 'checkpoints', 'step-00000002');
  await mkdir(checkpoint, { recursive: true });
  await writeFile(join(dir, 'config.json'), '{"name":"neighbour"}\n');
  await writeFile(join(dir, 'metrics.jsonl'), '{"kind":"train","step":1,"loss":1}\n');
  await writeFile(join(checkpoint, 'manifest.json'), '{}\n');
  await writeFile(join(checkpoint, 'tensors.safetensors'), new Uint8Array(4096).map((_, i) => (i * 31) & 0xff));
}
