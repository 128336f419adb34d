import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { samplingShift } from '../config/index.js';
import { disposeDit } from '../model/index.js';
import { sampleOptionsFor } from '../sample/index.js';
import { loadRunEma, readRunConfig } from '../train/index.js';
import { encodeWebModel } from '../web/index.js';
import { command, type FlagSpecs, type FlagValues, UsageError } from './args.js';
import { displayPath } from './display-path.js';
import { DEFAULT_RUN, RUN_FLAG } from './flags.js';
import { startBackend } from './start-backend.js';

const FLAGS = {
  run: RUN_FLAG,
  out: { type: 'string', value: 'FILE', help: 'the JSON file to write (…/model.json); the weights go beside it in <name>.weights.bin' },
} as const satisfies FlagSpecs;

/**
 * The binary file beside a model JSON file: `model.json` → `model.weights.bin`.
 * @param jsonPath - the JSON file's path.
 * @returns the binary file's name, relative to the JSON file's folder.
 */
export function weightsFileName(jsonPath: string): string {
  return `${basename(jsonPath).replace(/\.json$/, '')}.weights.bin`;
}

/**
 * `video-dit export-web`: a run's newest EMA weights as a JSON file in tfjs's weights format and a
 * binary file beside it, with the model config and the run's sampling, for a static web page.
 */
async function exportWeb(flags: FlagValues<typeof FLAGS>): Promise<void> {
  if (flags.out === undefined) throw new UsageError('--out FILE is required (the JSON file to write, e.g. public/model/model.json)');
  const dir = flags.run ?? DEFAULT_RUN;
  const config = await readRunConfig(dir);
  // The values are copied out as float32; the backend only holds them meanwhile.
  await startBackend('cpu');
  const { ema, step, skipped } = await loadRunEma(dir, config);
  for (const why of skipped) console.log(`passed over a damaged checkpoint: ${why}`);
  try {
    const weightsName = weightsFileName(flags.out);
    const { count, steps, shift, seed, stochasticity = 0 } = sampleOptionsFor(config);
    const sample = { count, steps, shift, seed, stochasticity };
    const { json, weights } = await encodeWebModel(ema, { step, sample, trainingShift: samplingShift(config, 'train') }, weightsName);
    await mkdir(dirname(flags.out), { recursive: true });
    const weightsPath = join(dirname(flags.out), weightsName);
    await writeFile(weightsPath, new Uint8Array(weights));
    await writeFile(flags.out, `${JSON.stringify(json, null, 1)}\n`);
    console.log(`step ${step}: ${displayPath(flags.out)} and ${displayPath(weightsPath)} (${json.weightsManifest[0]!.weights.length} tensors, ${weights.byteLength} bytes)`);
  } finally {
    disposeDit(ema);
  }
}

/** `video-dit export-web`. */
export const exportWebCommand = command('export-web', {
  summary: "export a run's EMA weights for a web page",
  does: "write a run's newest EMA weights as tfjs weights (JSON manifest + binary) for apps/playground",
  flags: FLAGS,
  run: exportWeb,
});
