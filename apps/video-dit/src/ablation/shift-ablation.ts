import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Config, dataConfig, presetConfig, resolveConfig } from '../config/index.js';
import { meanQuality, type QualityResult, type ValidationResult, validationLoss } from '../eval/index.js';
import { type Dit, disposeDit } from '../model/index.js';
import { type SampleOptions, sampleClips, sampleOptionsFor } from '../sample/index.js';
import { latestCheckpoint, loadRunEma, type MetricsLine, readMetrics, trainToFolder } from '../train/index.js';

/*
 * The shift ablation: the `small` model at two resolutions with the same token count (16×16 clips
 * in 4×4 patches, 32×32 in 8×8), the same clips scaled with the frame, and several training
 * shifts at each. Every arm is an ordinary run folder under the ablation's folder, so a killed
 * ablation continues where it stopped.
 */

/** The two resolutions: the frame's side and the patch's, so that both have 64 tokens a clip. */
export const ABLATION_RESOLUTIONS = [
  { side: 16, patch: 4 },
  { side: 32, patch: 8 },
] as const;

/**
 * Pixels a frame has where shift 1 is taken to be right: an 8×8 frame, which puts the pixel
 * rule's shift at 16×16 at 2, the shift `--shift auto` gives the small preset by its tokens.
 */
export const BASE_FRAME_PIXELS = 64;

/** The token rule's shift, √(64 tokens / 16), the small preset's before it counted pixels: the same at both resolutions. */
const TOKEN_RULE_SHIFT = 2;

/** How a shift was chosen. */
export type ShiftRule = 'none' | 'token rule' | 'pixel rule' | '4 × pixel rule';

/** One configuration of the ablation (all its seeds). */
export interface AblationArm {
  side: number;
  patch: number;
  shift: number;
  /** Every rule that gives this shift at this resolution. */
  rules: ShiftRule[];
}

/** One training run: an arm and a seed. */
export interface AblationRun extends AblationArm {
  seed: number;
  /** The run folder's name. */
  name: string;
}

/** What the ablation runs, fixed when it starts (`plan.json`): a rerun must ask for the same. */
export interface AblationPlan {
  steps: number;
  /** Steps between checkpoints, each followed by the quality score along training. */
  qualityEvery: number;
  seeds: number;
  /** Clips and Euler steps of the quality score along training. */
  alongClips: number;
  alongSamplingSteps: number;
  /** Clips of the final quality score (sampled as the preset samples). */
  finalClips: number;
  validationClips: number;
  /** Tiny figures for CI: every stage runs, the numbers mean nothing. */
  quick: boolean;
}

/**
 * The plan of a full or a quick ablation.
 * @param options - quick mode, and the steps and seeds where they differ from the default.
 * @returns the plan.
 * @throws {RangeError} for a step or seed count that is not a positive integer.
 */
export function ablationPlan(options: { quick?: boolean; steps?: number; seeds?: number } = {}): AblationPlan {
  const quick = options.quick === true;
  const steps = options.steps ?? (quick ? 4 : 1200);
  const seeds = options.seeds ?? (quick ? 1 : 2);
  for (const [name, value] of Object.entries({ steps, seeds })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return quick
    ? { steps, qualityEvery: Math.max(1, steps >> 1), seeds, alongClips: 2, alongSamplingSteps: 2, finalClips: 2, validationClips: 2, quick }
    : { steps, qualityEvery: Math.max(1, Math.round(steps / 5)), seeds, alongClips: 16, alongSamplingSteps: 50, finalClips: 32, validationClips: 64, quick };
}

/** The pixel rule's shift of a frame of `side`×`side`: √(pixels / BASE_FRAME_PIXELS). */
export function pixelRuleShift(side: number): number {
  return Math.sqrt((side * side) / BASE_FRAME_PIXELS);
}

/**
 * The arms: at each resolution shift 1, the token rule's, the pixel rule's and 4× the pixel
 * rule's (a clearly too large one), each shift once with every rule that gives it.
 * @returns the arms, lowest resolution and shift first.
 */
export function ablationArms(): AblationArm[] {
  return ABLATION_RESOLUTIONS.flatMap(({ side, patch }) => {
    const pixel = pixelRuleShift(side);
    const byShift = new Map<number, ShiftRule[]>();
    const add = (shift: number, rule: ShiftRule) => byShift.set(shift, [...(byShift.get(shift) ?? []), rule]);
    add(1, 'none');
    add(TOKEN_RULE_SHIFT, 'token rule');
    add(pixel, 'pixel rule');
    add(4 * pixel, '4 × pixel rule');
    return [...byShift].sort(([a], [b]) => a - b).map(([shift, rules]) => ({ side, patch, shift, rules }));
  });
}

/**
 * Every run of a plan, seed by seed so that a stopped ablation has each arm once before repeats.
 * @param plan - the plan.
 * @returns the runs in the order they train.
 */
export function ablationRuns(plan: AblationPlan): AblationRun[] {
  return Array.from({ length: plan.seeds }, (_, seed) =>
    ablationArms().map((arm) => ({ ...arm, seed, name: `${arm.side}px-shift${arm.shift}-seed${seed}` })),
  ).flat();
}

/**
 * A run's configuration: the small preset at the run's resolution, its object size and speed
 * scaled with the frame (6 px and 1.5 px a frame at 16×16), its shift and seed.
 * @param run - the run.
 * @param plan - the plan.
 * @param outDir - the ablation's folder.
 * @param backend - the backend to train on.
 * @returns the validated configuration.
 */
export function ablationConfig(run: AblationRun, plan: AblationPlan, outDir: string, backend: string): Config {
  const small = presetConfig('small');
  const scale = run.side / small.model.height;
  return resolveConfig(
    [
      {
        preset: 'small',
        name: run.name,
        outDir,
        backend,
        model: { height: run.side, width: run.side, patch: [2, run.patch, run.patch] },
        data: { size: (small.data.size as number) * scale, maxSpeed: small.data.maxSpeed * scale, validationClips: plan.validationClips },
        timesteps: { shift: run.shift },
        train: { steps: plan.steps, seed: run.seed, checkpointEvery: plan.qualityEvery, keepCheckpoints: 1, logEvery: Math.max(1, Math.min(100, plan.qualityEvery)) },
        sample: { count: plan.finalClips, ...(plan.quick ? { steps: 2 } : {}) },
      },
    ],
    'the shift ablation',
  );
}

/** What one run ended with (`ablation-result.json` in its folder). */
export interface AblationRunResult {
  run: AblationRun;
  steps: number;
  /** The final quality score of `finalClips` samples of the EMA model, sampled with the run's training shift. */
  quality: QualityResult;
  /**
   * The same samples drawn with the pixel rule's shift of the run's resolution, whatever shift it
   * trained with: what training did, apart from what the sampling shift does.
   */
  qualityAtPixelRuleShift: QualityResult;
  /** The quality score along training, from `metrics.jsonl`. */
  along: { step: number; score: number }[];
  validation: ValidationResult;
  /** Wall time of the run's training and evaluation in this process (a resumed run: its last part). */
  seconds: number;
}

/** Progress and notes of {@link runAblation}. */
export interface AblationHooks {
  /** Before each run: its index (0-based), the total, and whether it was already done. */
  onRun?: (index: number, total: number, run: AblationRun, done: boolean) => void;
  onMetrics?: (run: AblationRun, line: MetricsLine) => void;
  onNote?: (run: AblationRun, line: string) => void;
  /** Asked after every step (on webgpu, after every read of the losses): true ends the ablation there, with a checkpoint of the run under way. */
  stopRequested?: () => boolean;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The quality score of `options.count` samples of the model. */
async function sampleQuality(model: Dit, config: Config, options: SampleOptions): Promise<QualityResult> {
  const shape: [number, number, number] = [config.model.frames, config.model.height, config.model.width];
  return meanQuality(await sampleClips(model, options), shape, dataConfig(config));
}

/** The final samples' options at the pixel rule's shift of the run's resolution. */
function pixelRuleSampling(run: AblationRun, config: Config): SampleOptions {
  return sampleOptionsFor(config, { shift: pixelRuleShift(run.side) });
}

/**
 * Fixes the plan in `plan.json`, or checks that a rerun asks for the plan the folder was started with.
 * @throws {Error} naming what differs.
 */
async function fixPlan(outDir: string, plan: AblationPlan): Promise<void> {
  const path = join(outDir, 'plan.json');
  const stored = await readJson<AblationPlan>(path);
  if (stored === undefined) {
    await mkdir(outDir, { recursive: true });
    await writeFile(path, `${JSON.stringify(plan, null, 2)}\n`);
    return;
  }
  const differ = (Object.keys(plan) as (keyof AblationPlan)[]).filter((key) => stored[key] !== plan[key]);
  if (differ.length > 0) {
    const detail = differ.map((key) => `${key} ${String(stored[key])} there, ${String(plan[key])} now`).join(', ');
    throw new Error(`${outDir} holds an ablation planned otherwise (${detail}): rerun it with its flags, or choose another --out`);
  }
}

/**
 * Runs the ablation into `outDir`: every run in turn, each skipped when it finished before and
 * resumed from its checkpoint when it stopped part-way.
 * @param outDir - the ablation's folder.
 * @param plan - the plan; a folder started with another plan is refused.
 * @param backend - the backend to train on.
 * @param hooks - progress and stopping.
 * @returns every run's result, or `stopped` when `stopRequested` ended it early.
 */
export async function runAblation(
  outDir: string,
  plan: AblationPlan,
  backend: string,
  hooks: AblationHooks = {},
): Promise<{ results: AblationRunResult[]; stopped?: { run: AblationRun; step: number; checkpoint: string } }> {
  await fixPlan(outDir, plan);
  const runs = ablationRuns(plan);
  const results: AblationRunResult[] = [];
  for (const [index, run] of runs.entries()) {
    const config = ablationConfig(run, plan, outDir, backend);
    const resultPath = join(outDir, run.name, 'ablation-result.json');
    const done = await readJson<AblationRunResult>(resultPath);
    hooks.onRun?.(index, runs.length, run, done !== undefined);
    if (done !== undefined) {
      // a result written before this score existed gets it from its final checkpoint
      if (done.qualityAtPixelRuleShift === undefined) {
        const { ema } = await loadRunEma(join(outDir, run.name), config);
        try {
          done.qualityAtPixelRuleShift = await sampleQuality(ema, config, pixelRuleSampling(run, config));
        } finally {
          disposeDit(ema);
        }
        await writeFile(resultPath, `${JSON.stringify(done, null, 2)}\n`);
      }
      results.push(done);
      continue;
    }
    const started = performance.now();
    const hasCheckpoint = (await latestCheckpoint(join(outDir, run.name, 'checkpoints'))) !== undefined;
    const along = sampleOptionsFor(config, { count: plan.alongClips, steps: plan.alongSamplingSteps });
    const trained = await trainToFolder(config, {
      ...(hasCheckpoint ? { resume: true } : { fresh: true }),
      onMetrics: (line) => hooks.onMetrics?.(run, line),
      onNote: (line) => hooks.onNote?.(run, line),
      ...(hooks.stopRequested === undefined ? {} : { stopRequested: hooks.stopRequested }),
      qualityAt: (trainer) => sampleQuality(trainer.ema, config, along),
    });
    const { trainer, folder } = trained;
    try {
      if (trained.stoppedAt !== undefined) return { results, stopped: { run, ...trained.stoppedAt } };
      const quality = await sampleQuality(trainer.ema, config, sampleOptionsFor(config));
      const qualityAtPixelRuleShift = await sampleQuality(trainer.ema, config, pixelRuleSampling(run, config));
      const validation = await validationLoss(trainer.ema, dataConfig(config), { clips: plan.validationClips });
      const { lines } = await readMetrics(folder.metrics);
      const result: AblationRunResult = {
        run,
        steps: trainer.step,
        quality,
        qualityAtPixelRuleShift,
        along: lines.flatMap((line) => (line.kind === 'quality' ? [{ step: line.step, score: line.score }] : [])),
        validation,
        seconds: (performance.now() - started) / 1000,
      };
      await writeFile(resultPath, `${JSON.stringify(result, null, 2)}\n`);
      results.push(result);
    } finally {
      trainer.dispose();
    }
  }
  return { results };
}
