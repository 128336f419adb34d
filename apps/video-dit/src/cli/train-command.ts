import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BackendInfo } from '../backend/index.js';
import { type Config, resolveConfig, trainingThreads } from '../config/index.js';
import { describeValidation, validationLoss } from '../eval/index.js';
import { sampleOptionsFor, sampleToFolder } from '../sample/index.js';
import { readRunConfig, trainToFolder } from '../train/index.js';
import { command, type FlagSpecs, type FlagValues, flagsAsArgs, numberFlag, StoppedBySignalError, setOverrides, UsageError } from './args.js';
import { readJsonFlagFile } from './config-file.js';
import { displayPath } from './display-path.js';
import { BACKEND_FLAG } from './flags.js';
import { formatDuration, trainingProgress } from './progress.js';
import { startBackend } from './start-backend.js';
import { catchStopSignals, SIGNAL_EXIT_CODES } from './stop-signals.js';

const FLAGS = {
  preset: { type: 'string', value: 'tiny|small|base', help: 'starting configuration (default small)' },
  config: { type: 'string', value: 'FILE.json', help: 'configuration overrides (validated; unknown keys are errors)' },
  name: { type: 'string', value: 'NAME', help: "run folder name (default: the preset's, 'sample' for small)" },
  out: { type: 'string', value: 'DIR', help: 'parent folder of runs (default runs)' },
  steps: { type: 'string', value: 'N', help: 'training steps (train.steps)' },
  'batch-size': { type: 'string', value: 'N', help: 'clips per step (train.batchSize)' },
  lr: { type: 'string', value: 'X', help: 'peak learning rate (train.learningRate)' },
  seed: { type: 'string', value: 'N', help: 'seed of weights, clips, noise and timesteps (train.seed)' },
  shift: { type: 'string', value: 'X|auto', help: 'training shift (auto: SD3 rule sqrt(frames·height·width / timesteps.basePixels))' },
  distribution: { type: 'string', value: 'NAME', help: 'timestep law (timesteps.kind): shifted-logit-normal | logit-normal | mode | uniform | cosmap (laws with parameters, ranges and mixtures: --config)' },
  backend: BACKEND_FLAG,
  capture: { type: 'string', value: 'auto|off', help: 'on webgpu, record a step once and replay it (train.capture, default auto)' },
  set: { type: 'string', multiple: true, value: 'key=value', help: 'any config key, e.g. --set data.shapes=2 (repeatable)' },
  resume: { type: 'boolean', help: 'continue from the newest checkpoint (exactly)' },
  fresh: { type: 'boolean', help: 'delete an earlier run of the same name first' },
} as const satisfies FlagSpecs;

function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/**
 * Resolves a run configuration from `train` flags: preset, then the JSON file, then flags.
 * @param flags - the parsed flags.
 * @returns the configuration and the resume/fresh switches.
 * @throws {UsageError} or {@link ConfigError} naming the bad flag or key.
 */
async function trainRequest(flags: FlagValues<typeof FLAGS>): Promise<{ config: Config; resume: boolean; fresh: boolean }> {
  const layers: unknown[] = [];
  if (flags.preset !== undefined) layers.push({ preset: flags.preset });
  let source = 'flags';
  if (flags.config !== undefined) {
    layers.push(await readJsonFlagFile('config', flags.config));
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
        capture: flags.capture,
      }),
      timesteps: compact({ shift, kind: flags.distribution }),
    }),
  );
  layers.push(setOverrides(flags.set ?? []));
  if (flags.resume === true && flags.fresh === true) throw new UsageError('--resume and --fresh exclude each other');
  const config = resolveConfig(layers, source);
  if (flags.resume !== true) return { config, resume: false, fresh: flags.fresh === true };
  return { config: await resumedConfig(config, layers, source), resume: true, fresh: false };
}

/** What a resume may change of a run's configuration: how long and where it runs, not what it computes. */
const CHANGEABLE_ON_RESUME = ['backend', 'train.steps', 'train.logEvery', 'train.checkpointEvery', 'train.keepCheckpoints', 'train.validateEvery', 'train.threads', 'train.capture'];

/** Every leaf of a configuration, by its dotted key. */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) for (const [path, leaf] of leaves(inner, prefix === '' ? key : `${prefix}.${key}`)) found.set(path, leaf);
  } else {
    found.set(prefix, JSON.stringify(value));
  }
  return found;
}

/**
 * A resumed run's configuration: the run's own, with only what the flags may change on a resume
 * taken from them (said in the run's first lines).
 * @throws {UsageError} naming each key the flags would change that a resume must keep.
 */
async function resumedConfig(fromFlags: Config, layers: unknown[], source: string): Promise<Config> {
  let stored: Config;
  try {
    stored = await readRunConfig(join(fromFlags.outDir, fromFlags.name));
  } catch {
    // no run there: training says so
    return fromFlags;
  }
  const flagLayers = layers.filter((layer) => !(typeof layer === 'object' && layer !== null && 'preset' in layer));
  const requested = layers.find((layer): layer is { preset: string } => typeof layer === 'object' && layer !== null && 'preset' in layer);
  if (requested !== undefined && requested.preset !== stored.preset) {
    throw new UsageError(`--resume: the run was trained from preset ${stored.preset}, not ${requested.preset}`);
  }
  const config = resolveConfig([stored, ...flagLayers], source);
  const before = leaves(stored);
  const changed = [...leaves(config)].filter(([key, value]) => before.get(key) !== value).map(([key]) => key);
  const refused = changed.filter((key) => !CHANGEABLE_ON_RESUME.includes(key));
  if (refused.length > 0) {
    const detail = refused.map((key) => `${key} (run ${before.get(key) ?? 'unset'}, now ${leaves(config).get(key)})`).join(', ');
    throw new UsageError(`--resume continues the run as it was configured; these would change: ${detail}`);
  }
  for (const key of changed) console.log(`  resume changes ${key}: ${before.get(key) ?? 'unset'} → ${leaves(config).get(key)}`);
  return config;
}

/** The run's first line: what trains, and how its batches are shared. */
function describeRun(config: Config, backend: BackendInfo): string[] {
  const threads = trainingThreads(config.train, backend.name);
  const sharing =
    threads > 1
      ? `, each shared by ${threads} CPU threads`
      : config.train.threads > 1
        ? ` (train.threads = ${config.train.threads} unused: ${backend.name} runs the whole batch at once)`
        : '';
  const lines = [`run ${config.name}: ${config.preset} model, ${config.train.steps} steps of batch ${config.train.batchSize}${sharing}`];
  if (backend.name === 'webgpu') {
    lines.push(
      config.train.capture === 'auto'
        ? '  capture auto: a step is recorded once and replayed while its shapes hold (--capture off runs op by op)'
        : '  capture off: every step runs op by op',
    );
  }
  const cores = availableParallelism();
  if (threads > cores) {
    lines.push(
      `  note: ${threads} threads on ${cores} core${cores === 1 ? '' : 's'} take turns; --set train.threads=${cores} is faster here (and gives slightly different numbers)`,
    );
  }
  return lines;
}

/** Trains, checkpoints, then samples from the EMA model and reports the validation loss by timestep bucket. */
async function train(flags: FlagValues<typeof FLAGS>): Promise<void> {
  const { config, resume, fresh } = await trainRequest(flags);
  const started = performance.now();
  const backend = await startBackend(config.backend);
  for (const line of describeRun(config, backend)) console.log(line);
  // Only GPU backends report their memory; elsewhere the figure is left out.
  const memory = (): string => {
    const bytes = backend.memoryBytes();
    return bytes === undefined ? '' : ` | GPU memory ${(bytes / 2 ** 20).toFixed(1)} MiB`;
  };
  const progress = trainingProgress(config.train.steps, memory);
  const signals = catchStopSignals(progress.stop, 'stopping after this step, with a checkpoint');
  let trained: Awaited<ReturnType<typeof trainToFolder>>;
  try {
    trained = await trainToFolder(config, {
      resume,
      fresh,
      onStep: progress.onStep,
      onMetrics: progress.onMetrics,
      onNote: (line) => console.log(`  ${line}`),
      stopRequested: () => signals.received() !== undefined,
    });
  } finally {
    progress.stop();
    signals.release();
  }
  const stopSignal = signals.received();
  if (trained.stoppedAt !== undefined && stopSignal !== undefined) {
    trained.trainer.dispose();
    const again = ['video-dit train', ...flagsAsArgs(flags, ['fresh', 'resume']), '--resume'].join(' ');
    throw new StoppedBySignalError(
      `stopped by ${stopSignal} at step ${trained.stoppedAt.step} of ${config.train.steps}; checkpoint ${displayPath(trained.stoppedAt.checkpoint)}; continue with: ${again}`,
      SIGNAL_EXIT_CODES[stopSignal] ?? 1,
    );
  }
  const { trainer, folder } = trained;
  try {
    console.log(`trained to step ${trainer.step} in ${formatDuration((performance.now() - started) / 1000)}; shift ${trainer.shift.toFixed(3)}; capture ${trainer.captureStatus}`);
    const sampling = sampleOptionsFor(config);
    const written = await sampleToFolder(folder.samples, trainer.ema, sampling);
    console.log(
      `samples: ${displayPath(written.contactSheet)} and ${written.gifs.length} GIFs (EMA weights, ${sampling.steps} Euler steps, shift ${sampling.shift.toFixed(3)}, stochasticity ${sampling.stochasticity})`,
    );
    console.log(describeValidation(await validationLoss(trainer.ema, trainer.data, { clips: config.data.validationClips })));
    console.log(`run folder: ${displayPath(folder.dir)} (config.json, metrics.jsonl, loss-curve.png, samples/, checkpoints/); total ${formatDuration((performance.now() - started) / 1000)}`);
  } finally {
    trainer.dispose();
  }
}

/** `video-dit train`. */
export const trainCommand = command('train', {
  summary: 'train a run (default: the small sample run), then sample it',
  does: 'train a run into <out>/<name>/, then sample it',
  flags: FLAGS,
  run: train,
});
