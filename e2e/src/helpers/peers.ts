import { tmpdir } from 'node:os';
import { npm } from './workspace.js';

/**
 * The oldest and newest released versions a peer range allows, as the registry lists them
 * (npm's own semver does the matching; prereleases are excluded as `^4.0.0` excludes them).
 * @param name - the peer, e.g. @tensorflow/tfjs-core
 * @param range - its range from package.json, e.g. ^4.0.0
 * @returns [lowest, highest]; one entry when they are the same
 * @throws {Error} when no released version satisfies the range
 */
export async function peerRangeBounds(name: string, range: string): Promise<string[]> {
  const result = await npm(['view', `${name}@${range}`, 'version', '--json'], tmpdir());
  const parsed = JSON.parse(result.stdout) as string | string[];
  const versions = (Array.isArray(parsed) ? parsed : [parsed])
    .filter((v) => !v.includes('-'))
    .sort(compareVersions);
  const lowest = versions[0];
  const highest = versions.at(-1);
  if (!lowest || !highest) throw new Error(`no released version of ${name} satisfies ${range}`);
  return lowest === highest ? [lowest] : [lowest, highest];
}

/**
 * Orders release versions (x.y.z) numerically.
 * @param a - a version
 * @param b - another
 * @returns negative, zero or positive as a is lower, equal or higher
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
