import * as tf from '@tensorflow/tfjs-core';
import { type CapturedWork, captureWork, inputShape, type PassWork, type WorkInput } from './captured-work.js';
import { deviceTensor } from './device-tensor.js';

/*
 * When a recording may be replayed: only once a second recording of the same work, on the next
 * inputs of the same shapes, has the same trace. A per-step number the work takes from outside
 * its inputs (a kept constant made for this step's value) would be frozen into one recording
 * without any upload to refuse it; it makes the two traces differ instead. Until then, and after
 * a recording is void or the shapes change, runs are recorded again; a recording refused, or two
 * that differ, this many times in a row, and the work runs op by op from then on.
 */
const MAX_FAILED_RECORDINGS = 3;

/** Work of a run's outputs (see {@link ReplayedWork.run}). */
export type AfterRun = (outputs: tf.Tensor[], replaying: boolean) => PassWork | undefined;

/** A run's outputs; `release` frees what the run owns of them (a replay's belong to its recording). */
export interface WorkRun {
  outputs: tf.Tensor[];
  release(): void;
}

/** Webgpu work with the same shapes at every run, replayed from a recording once one is confirmed. */
export class ReplayedWork {
  private confirmed: { shape: string; work: CapturedWork } | undefined;
  private candidate: { shape: string; work: CapturedWork } | undefined;
  private failures = 0;
  private gaveUpBecause: string | undefined;
  private lastFailure: string | undefined;
  private replays = 0;
  private runs = 0;

  /** @param work - tfjs work of its inputs (made as tensors from the values `run` is given), returning its outputs. */
  constructor(private readonly work: (inputs: tf.Tensor[]) => tf.Tensor[]) {}

  /** Why runs no longer try to record, once they gave up. */
  get gaveUp(): string | undefined {
    return this.gaveUpBecause;
  }

  /** Runs so far, and how: for a run's report. */
  get status(): string {
    if (this.gaveUpBecause !== undefined) return `off after ${this.replays} replays (${this.gaveUpBecause})`;
    if (this.confirmed === undefined) return `not replayed yet${this.lastFailure === undefined ? '' : ` (${this.lastFailure})`}`;
    return `replayed ${this.replays} of ${this.runs} runs (${this.confirmed.work.dispatches} dispatches recorded once)`;
  }

  /**
   * Runs the work on these inputs: a replay where a confirmed recording holds for their shapes,
   * else a recorded run, else (after repeated failures, or off webgpu) op by op.
   * @param inputs - the inputs' values and shapes.
   * @param then - work of the outputs to go with the run: for a replay, called before it with
   *   `replaying` true, it returns the work for the replay to encode with its own (no tfjs op);
   *   after any other run, called with false, it does the work itself.
   * @returns the outputs; read them, then call `release`.
   */
  run(inputs: readonly WorkInput[], then?: AfterRun): WorkRun {
    const run = this.runOnce(inputs, then);
    if (!run.replayed) then?.(run.outputs, false);
    return { outputs: run.outputs, release: run.release };
  }

  private runOnce(inputs: readonly WorkInput[], then?: AfterRun): WorkRun & { replayed?: true } {
    this.runs += 1;
    if (this.gaveUpBecause !== undefined || tf.getBackend() !== 'webgpu') {
      const run = this.opByOp(inputs);
      // the last candidate's outputs were the previous run's, and may have been this one's inputs
      this.candidate?.work.dispose();
      this.candidate = undefined;
      return run;
    }
    const shape = inputs.map((input) => inputShape(input).join('×')).join(', ');
    // freed after this run has read its inputs, which may be a void recording's outputs
    const stale: CapturedWork[] = [];
    this.confirmed = this.stillHolds(this.confirmed, shape, stale);
    this.candidate = this.stillHolds(this.candidate, shape, stale);
    try {
      return this.recordOrReplay(inputs, shape, stale, then);
    } finally {
      for (const work of stale) work.dispose();
    }
  }

  private recordOrReplay(
    inputs: readonly WorkInput[],
    shape: string,
    stale: CapturedWork[],
    then?: AfterRun,
  ): WorkRun & { replayed?: true } {
    if (this.confirmed !== undefined) {
      this.replays += 1;
      const { work } = this.confirmed;
      const replayInputs = inputs.map((input) => ('tensor' in input ? input.tensor : input.values));
      // prepared before the replay submits what tfjs has recorded: any tfjs op it needs goes first
      const extra = then?.(work.outputs, true);
      const outputs = work.replay(replayInputs, extra);
      return { outputs, release: () => undefined, replayed: true };
    }
    const { outputs, captured, refused } = captureWork(inputs, this.work);
    if (captured === undefined) {
      this.fail(`a run could not be recorded: ${refused}`);
      return { outputs, release: () => tf.dispose(outputs) };
    }
    const recorded = { shape, work: captured };
    if (this.candidate === undefined) {
      this.candidate = recorded;
    } else if (this.candidate.work.trace === captured.trace) {
      stale.push(this.candidate.work);
      this.candidate = undefined;
      this.confirmed = recorded;
      this.failures = 0;
    } else {
      stale.push(this.candidate.work);
      this.candidate = recorded;
      this.fail('two recordings of the same work differ: it takes a value that changes from run to run from outside its inputs');
    }
    return { outputs, release: () => undefined };
  }

  /** Frees the recordings and their outputs. */
  dispose(): void {
    this.confirmed?.work.dispose();
    this.candidate?.work.dispose();
    this.confirmed = undefined;
    this.candidate = undefined;
  }

  private opByOp(inputs: readonly WorkInput[]): WorkRun {
    const outputs = tf.tidy(() => this.work(inputs.map((input) => ('tensor' in input ? input.tensor : deviceTensor(input.values, input.shape)))));
    return { outputs, release: () => tf.dispose(outputs) };
  }

  /** The recording, or undefined (disposed) when it is void or was made for other shapes. */
  private stillHolds(recorded: { shape: string; work: CapturedWork } | undefined, shape: string, stale: CapturedWork[]) {
    if (recorded === undefined) return undefined;
    const why = recorded.shape !== shape ? `the shapes changed from ${recorded.shape} to ${shape}` : recorded.work.invalid;
    if (why === undefined) return recorded;
    stale.push(recorded.work);
    this.lastFailure = `recorded anew: ${why}`;
    return undefined;
  }

  private fail(why: string): void {
    this.lastFailure = why;
    this.failures += 1;
    if (this.failures >= MAX_FAILED_RECORDINGS) this.gaveUpBecause = why;
  }
}
