import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import * as tf from '@tensorflow/tfjs-core';
import { validationLoss } from '../eval/validation.js';
import { sampleClips, writeSamples } from '../sample/index.js';
import { type RunConfig, resolveRunConfig, resolveSampleShift, trainingThreads, trainRun } from '../train/index.js';
import { type FlagSpecs, HELP_FLAG, helpText, numberFlag, parseFlags, setOverrides, UsageError } from './args.js';
import { BACKEND_FLAG, formatDuration, startBackend } from './shared.js';

const FLAGS = {
  preset: { type: 'string', value: 'tiny|small|base', help: 'starting configuration (default small)' },
  config: { type: 'string', value: 'FILE.json', help: 'configuration overrides (validated; unknown keys are errors)' },
  name: { type: 'string', value: 'NAME', help: "run folder name (default: the preset's, 'sample' for small)" },
  out: { type: 'string', value: 'DIR', help: 'parent folder of runs (default runs)' },
  steps: { type: 'string', value: 'N', help: 'training steps (train.steps)' },
  'batch-size': { type: 'string', value: 'N', help: 'clips per step (train.batchSize)' },
  lr: { type: 'string', value: 'X', help: 'peak learning rate (train.learningRate)' },
  seed: { type: 'string', value: 'N', help: 'seed of weights, clips, noise and timesteps (train.seed)' },
  shift: { type: 'string', value: 'X|auto', help: 'training shift (auto: SD3 rule sqrt(tokens / timesteps.baseTokens))' },
  distribution: { type: 'string', value: 'NAME', help: 'uniform | logit-normal | shifted-logit-normal | mode | cosmap' },
  backend: BACKEND_FLAG,
  set: { type: 'string', multiple: true, value: 'key=value', help: 'any config key, e.g. --set data.shapes=2 (repeatable)' },
  resume: { type: 'boolean', help: 'continue from the newest checkpoint (exactly)' },
  fresh: { type: 'boolean', help: 'delete an earlier run of the same name first' },
  help: HELP_FLAG,
} as const satisfies FlagSpecs;

/** Help text of `video-dit train`. */
export const TRAIN_HELP = helpText('video-dit train [flags]   train a run into <out>/<name>/, then sample it', FLAGS);

function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/**
 * Resolves a run configuration from `train` flags: preset, then the JSON file, then flags.
 * @param args - the arguments after `train`.
 * @returns the configuration and the resume/fresh switches.
 * @throws UsageError or ConfigError naming the bad flag or key.
 */
export async function trainConfigFromArgs(args: string[]): Promise<{ config: RunConfig; resume: boolean; fresh: boolean; help: boolean }> {
  const flags = parseFlags('train', args, FLAGS);
  if (flags.help === true) return { config: resolveRunConfig([{ preset: 'tiny' }]), resume: false, fresh: false, help: true };
  const layers: unknown[] = [];
  if (flags.preset !== undefined) layers.push({ preset: flags.preset });
  let source = 'flags';
  if (flags.config !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.config, 'utf8');
    } catch (error) {
      throw new UsageError(`--config: cannot read ${flags.config}: ${(error as Error).message}`);
    }
    try {
      layers.push(JSON.parse(text));
    } catch (error) {
      throw new UsageError(`--config: ${flags.config} is not valid JSON: ${(error as Error).message}`);
    }
    source = `${flags.config} and flags`;
  }
  const shift = flags.shift === undefined || flags.shift === 'auto' ? flags.shift : numberFlag('shift', flags.shift);
  layers.push(
    compact({
      name: flags.name,
      outDir: flags.out,
      backend: flags.backend,
      train: compact({
        steps: numberFlag('steps', flags.steps),
        batchSize: numberFlag('batch-size', flags['batch-size']),
        learningRate: numberFlag('lr', flags.lr),
        seed: numberFlag('seed', flags.seed),
      }),
      timesteps: compact({ shift, distribution: flags.distribution }),
    }),
  );
  layers.push(setOverrides(flags.set ?? []));
  if (flags.resume === true && flags.fresh === true) throw new UsageError('--resume and --fresh exclude each other');
  return { config: resolveRunConfig(layers, source), resume: flags.resume === true, fresh: flags.fresh === true, help: false };
}

/**
 * `video-dit train`: trains, checkpoints, then samples from the EMA weights and reports the
 * validation loss by timestep bucket.
 * @param args - the arguments after `train`.
 */
export async function trainCommand(args: string[]): Promise<void> {
  const { config, resume, fresh, help } = await trainConfigFromArgs(args);
  if (help) {
    console.log(TRAIN_HELP);
    return;
  }
  const started = performance.now();
  const backend = await startBackend(config.backend);
  // Only GPU backends report their memory; elsewhere the figure is left out.
  const memory = (): string => {
    const bytes = backend.memoryBytes();
    return bytes === undefined ? '' : ` | GPU memory ${(bytes / 2 ** 20).toFixed(1)} MiB`;
  };
  const total = config.train.steps;
  const tty = process.stdout.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'train {bar} {value}/{total} | loss {loss} | {speed} steps/s{memory} | ETA {eta_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let barStarted = false;
  const threads = trainingThreads(config, backend.name);
  const sharing =
    threads > 1
      ? `, each shared by ${threads} CPU threads`
      : config.train.threads > 1
        ? ` (train.threads = ${config.train.threads} unused: ${backend.name} runs the whole batch at once)`
        : '';
  console.log(`run ${config.name}: ${config.preset} model, ${total} steps of batch ${config.train.batchSize}${sharing}`);
  const cores = availableParallelism();
  if (threads > cores) {
    console.log(`  note: ${threads} threads on ${cores} core${cores === 1 ? '' : 's'} take turns; --set train.threads=${cores} is faster here (and gives slightly different numbers)`);
  }
  const { trainer, paths } = await trainRun(config, {
    resume,
    fresh,
    onStep: (result, stepsPerSecond) => {
      if (bar === undefined) return;
      const payload = { loss: result.loss.toFixed(4), speed: stepsPerSecond.toFixed(2), memory: memory() };
      if (!barStarted) {
        bar.start(total, result.step, payload);
        barStarted = true;
      } else bar.update(result.step, payload);
    },
    onMetrics: (line) => {
      if (tty) return;
      if (line.kind === 'train') {
        const eta = (total - line.step) / line.stepsPerSecond;
        console.log(
          `step ${line.step}/${total}  loss ${line.loss.toFixed(4)}  ${line.stepsPerSecond.toFixed(2)} steps/s  elapsed ${formatDuration(line.elapsedSeconds)}  ETA ${formatDuration(eta)}${memory()}`,
        );
      } else {
        console.log(`step ${line.step}  validation loss ${line.loss.toFixed(4)}`);
      }
    },
  });
  bar?.stop();
  try {
    const trainSeconds = (performance.now() - started) / 1000;
    console.log(`trained to step ${trainer.step} in ${formatDuration(trainSeconds)}; shift ${trainer.shift.toFixed(3)}`);
    const { sample, model } = config;
    const shift = resolveSampleShift(config);
    const clips = await sampleClips(trainer.ema, model, {
      count: sample.count,
      steps: sample.steps,
      shift,
      seed: sample.seed,
      stochasticity: sample.stochasticity,
    });
    const written = await writeSamples(paths.samples, clips, [model.frames, model.height, model.width]);
    console.log(`samples: ${written.contactSheet} and ${written.gifs.length} GIFs (EMA weights, ${sample.steps} Euler steps, shift ${shift.toFixed(3)}, stochasticity ${sample.stochasticity})`);
    const validation = await validationLoss(trainer.ema, model, trainer.data, { clips: config.data.validationClips });
    console.log(
      `validation loss ${validation.loss.toFixed(4)} by t bucket (0 = noise): ${validation.buckets
        .map((b) => `[${b.from.toFixed(1)},${b.to.toFixed(1)}) ${b.loss.toFixed(4)}`)
        .join('  ')}`,
    );
    console.log(`run folder: ${paths.dir} (config.json, metrics.jsonl, loss-curve.png, samples/, checkpoints/); total ${formatDuration((performance.now() - started) / 1000)}`);
  } finally {
    trainer.dispose();
    tf.disposeVariables();
  }
}
