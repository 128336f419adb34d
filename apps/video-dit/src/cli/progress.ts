import cliProgress from 'cli-progress';
import type { MetricsLine, StepResult } from '../train/index.js';

/**
 * Formats seconds as `1m05s`.
 * @param seconds - a duration.
 * @returns the text; `?` for a duration that is not finite.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Shows a training run's progress: a bar on a terminal, one line per metrics line otherwise. */
export interface TrainingProgress {
  /** After every step. */
  onStep(result: StepResult, stepsPerSecond: number): void;
  /** With every line written to `metrics.jsonl`. */
  onMetrics(line: MetricsLine): void;
  /** Ends the bar, if any; call before printing anything else. */
  stop(): void;
}

/**
 * The progress display for a run of `total` steps.
 * @param total - the run's last step.
 * @param memory - the text that follows each update (the GPU memory in use, or '').
 * @param terminal - whether stdout is a terminal (default: asks it).
 * @returns the display.
 */
export function trainingProgress(total: number, memory: () => string, terminal = process.stdout.isTTY === true): TrainingProgress {
  if (!terminal) {
    return {
      onStep: () => undefined,
      onMetrics: (line) => {
        if (line.kind === 'validation') {
          console.log(`step ${line.step}  validation loss ${line.loss.toFixed(4)}`);
          return;
        }
        if (line.kind === 'quality') {
          console.log(`step ${line.step}  quality score ${line.score.toFixed(3)}`);
          return;
        }
        const eta = (total - line.step) / line.stepsPerSecond;
        console.log(
          `step ${line.step}/${total}  loss ${line.loss.toFixed(4)}  ${line.stepsPerSecond.toFixed(2)} steps/s  elapsed ${formatDuration(line.elapsedSeconds)}  ETA ${formatDuration(eta)}${memory()}`,
        );
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: 'train {bar} {value}/{total} | loss {loss} | {speed} steps/s{memory} | ETA {eta_formatted}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onStep: (result, stepsPerSecond) => {
      const payload = { loss: result.loss.toFixed(4), speed: stepsPerSecond.toFixed(2), memory: memory() };
      if (started) bar.update(result.step, payload);
      else {
        bar.start(total, result.step, payload);
        started = true;
      }
    },
    onMetrics: () => undefined,
    stop: () => {
      if (started) bar.stop();
    },
  };
}
