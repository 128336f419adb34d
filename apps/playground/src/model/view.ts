import * as tf from '@tensorflow/tfjs-core';
import { type Dit, decodeWebModel, type SampleOptions, sampleClips, samplingTimes, toByte, type WebModelJson } from 'video-dit/src/web/index.js';
import { controlInputs } from '../controls.js';
import type { Control, ControlValues } from '../laws/laws.js';
import { COLOURS, el, makeCanvas, PlotFrame, ticks } from '../plot.js';

/** The model view's state, for the page's tests. */
export interface ModelReport {
  backend: string;
  step: number;
  steps: number;
  done: boolean;
}

/** How a page sample is asked for: the app's sampler options without the callback. */
export type PageSampleOptions = Omit<SampleOptions, 'onStep' | 'batchSize'>;

const SCALE = 5;

/** Loads the model file beside the page: the JSON, then the binary file its manifest names. */
export async function loadModel(url: string): Promise<{ model: Dit; file: WebModelJson }> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const json = (await response.json()) as WebModelJson;
  const weightsUrl = new URL(json.weightsManifest[0]!.paths[0]!, new URL(url, location.href));
  const weights = await fetch(weightsUrl);
  if (!weights.ok) throw new Error(`${weightsUrl}: HTTP ${weights.status}`);
  return decodeWebModel(json, await weights.arrayBuffer());
}

/** The live model view: sample clips from noise step by step on the current backend. */
export function modelView(root: HTMLElement, loaded: { model: Dit; file: WebModelJson }, report: (state: ModelReport) => void): (options: PageSampleOptions) => Promise<Float32Array[]> {
  const { model, file } = loaded;
  const { frames, height, width } = model.config;
  const controls: readonly Control[] = [
    { type: 'number', key: 'steps', label: 'steps', min: 1, max: 200, step: 1, value: file.sample.steps, log: true },
    { type: 'number', key: 'shift', label: 'shift', min: 0.25, max: 16, step: 0.01, value: Number.parseFloat(file.sample.shift.toFixed(2)), log: true },
    { type: 'number', key: 'seed', label: 'seed', min: 0, max: 1000, step: 1, value: file.sample.seed },
    { type: 'number', key: 'count', label: 'clips', min: 1, max: 8, step: 1, value: Math.min(4, file.sample.count) },
    { type: 'number', key: 'stochasticity', label: 'fresh noise η', min: 0, max: 0.95, step: 0.05, value: file.sample.stochasticity },
  ];
  const values: ControlValues = Object.fromEntries(controls.map((c) => [c.key, c.value]));
  const button = el('button', { type: 'button', name: 'sample' }, 'sample');
  const status = el('p', { class: 'status' });
  const clipsWidth = frames * width * SCALE + (frames - 1) * 2;
  const rowHeight = height * SCALE + 4;
  let clipsCanvas = makeCanvas(clipsWidth, (values.count as number) * rowHeight, 'clips');
  const scheduleCanvas = makeCanvas(420, 260, 'plot');
  root.append(
    el('p', { class: 'intro' }, `The toy video DiT of apps/video-dit, trained ${file.step} steps (EMA weights, ${frames} frames of ${height}×${width}), sampled here from noise with the app's own model and Euler sampler: x ← x + (t₁ − t₀)·v(x, t₀) along the shifted schedule (t = 0 noise, t = 1 data). Rows are clips, frames left to right, drawn after every step. It trained with shift ${file.trainingShift.toFixed(2)}.`),
    el('div', { class: 'toolbar' }, controlInputs(controls, values, () => drawSchedule(0)), button),
    status,
    el('div', { class: 'model' }, clipsCanvas, el('figure', {}, scheduleCanvas, el('figcaption', {}, 'the schedule: t after each step, shifted (solid) and unshifted (dashed); the dot is the step reached'))),
  );

  function drawSchedule(reached: number): void {
    const steps = values.steps as number;
    const shifted = samplingTimes(steps, values.shift as number);
    const plain = samplingTimes(steps, 1);
    const index = Array.from({ length: steps + 1 }, (_, i) => i);
    const frame = new PlotFrame(scheduleCanvas, [0, steps], [0, 1]);
    frame.axes('step', 't', ticks(0, steps, 5), ticks(0, 1, 5));
    frame.line(index, plain, '#999', 1.5, [5, 4]);
    frame.line(index, shifted, COLOURS[0]!, 2);
    const c = frame.context;
    c.fillStyle = COLOURS[3]!;
    c.beginPath();
    c.arc(frame.px(reached), frame.py(shifted[reached]!), 4, 0, 2 * Math.PI);
    c.fill();
  }

  async function drawClips(data: Float32Array, batch: number, firstClip: number): Promise<void> {
    const c = clipsCanvas.getContext('2d')!;
    const image = c.createImageData(width, height);
    const frameSize = height * width * 3;
    for (let b = 0; b < batch; b++) {
      for (let f = 0; f < frames; f++) {
        const offset = ((b * frames + f) * frameSize) | 0;
        for (let p = 0; p < height * width; p++) {
          image.data[4 * p] = toByte(data[offset + 3 * p]!);
          image.data[4 * p + 1] = toByte(data[offset + 3 * p + 1]!);
          image.data[4 * p + 2] = toByte(data[offset + 3 * p + 2]!);
          image.data[4 * p + 3] = 255;
        }
        const tile = await createImageBitmap(image);
        c.imageSmoothingEnabled = false;
        c.drawImage(tile, f * (width * SCALE + 2), (firstClip + b) * (height * SCALE + 4), width * SCALE, height * SCALE);
      }
    }
  }

  let running: Promise<Float32Array[]> | undefined;
  async function sample(options: PageSampleOptions): Promise<Float32Array[]> {
    while (running !== undefined) await running.catch(() => undefined);
    const run = (async () => {
      button.disabled = true;
      // a fresh canvas with one row per clip
      const fresh = makeCanvas(clipsWidth, options.count * rowHeight, 'clips');
      clipsCanvas.replaceWith(fresh);
      clipsCanvas = fresh;
      let state: ModelReport = { backend: tf.getBackend(), step: 0, steps: options.steps, done: false };
      report(state);
      drawSchedule(0);
      try {
        const clips = await sampleClips(model, {
          ...options,
          batchSize: 8,
          onStep: async ({ step, t, clips, batch, firstClip }) => {
            await drawClips(clips, batch, firstClip);
            drawSchedule(step);
            status.textContent = `${tf.getBackend()}: step ${step} of ${options.steps}, t = ${t.toFixed(4)}`;
            state = { ...state, step };
            report(state);
            // lets the browser paint the frames before the next step
            await new Promise((resolve) => requestAnimationFrame(resolve));
          },
        });
        status.textContent = `${tf.getBackend()}: ${options.count} clips in ${options.steps} steps, shift ${options.shift}, seed ${options.seed}, η ${options.stochasticity ?? 0}`;
        report({ ...state, done: true });
        return clips;
      } finally {
        button.disabled = false;
      }
    })();
    running = run;
    try {
      return await run;
    } finally {
      if (running === run) running = undefined;
    }
  }

  button.addEventListener('click', () => {
    void sample({ steps: values.steps as number, shift: values.shift as number, seed: values.seed as number, count: values.count as number, stochasticity: values.stochasticity as number });
  });
  drawSchedule(0);
  return sample;
}
