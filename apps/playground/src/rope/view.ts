import { axisDimsFor, ROPE_PRESETS, type RopePreset, ropeTable } from '@flowdit/rope3d';
import { controlInputs } from '../controls.js';
import type { Control, ControlValues } from '../laws/laws.js';
import { COLOURS, el, heatmap, makeCanvas, PlotFrame, ticks } from '../plot.js';
import { offsetScores } from './scores.js';

/** The RoPE view's current state, for the page's tests. */
export interface RopeReport {
  grid: [number, number, number];
  headDim: number;
  preset: RopePreset;
  axisDims: readonly number[];
  maxSpread: number;
  maxScore: number;
  layoutDifference: number;
  offsets: number;
  pairs: number;
}

const CONTROLS: readonly Control[] = [
  // the presets whose tables a [T, H, W] grid makes on its own (Flux 2 has four axes; LTX-Video a table per head)
  {
    type: 'choice',
    key: 'preset',
    label: 'preset',
    options: Object.entries(ROPE_PRESETS)
      .filter(([, info]) => info.axes === 3 && info.frequencyLayout !== 'ltx')
      .map(([name]) => name),
    value: 'wan',
  },
  { type: 'choice', key: 'headDim', label: 'head dim', options: ['32', '64', '128'], value: '64' },
  { type: 'number', key: 'T', label: 'T', min: 1, max: 8, step: 1, value: 4 },
  { type: 'number', key: 'H', label: 'H', min: 1, max: 12, step: 1, value: 6 },
  { type: 'number', key: 'W', label: 'W', min: 1, max: 12, step: 1, value: 6 },
];

/** The 3D RoPE view: the packed and interleaved tables, and the attention score against the offset. */
export async function ropeView(root: HTMLElement, report: (state: RopeReport) => void): Promise<void> {
  const values: ControlValues = Object.fromEntries(CONTROLS.map((c) => [c.key, c.value]));
  let sliceT = 0;
  const tables = el('div', { class: 'tables' });
  const scoresBox = el('div', { class: 'scores' });
  const summary = el('p', { class: 'summary' });
  const sliceInput = el('input', { type: 'range', name: 'dt', min: '0', max: '0', step: '1', value: '0' });
  const sliceShown = el('output', {}, '0');
  const offsetCanvas = makeCanvas(560, 300, 'plot');
  root.append(
    el('p', { class: 'intro' }, '3D RoPE tables of @flowdit/rope3d for a token grid [T, H, W]: each head splits into time, height and width channels, each rotated by its own axis position. Packed (pairs (j, j + D/2), applied as one 1-D RoPE kernel) and interleaved (pairs (2j, 2j + 1), the reference models) hold the same angles in another channel order.'),
    el('div', { class: 'toolbar' }, controlInputs(CONTROLS, values, () => void update())),
    tables,
    el('h3', {}, 'Attention score q·k/√D of one query against every key, by offset (Δt, Δh, Δw)'),
    summary,
    el('div', { class: 'toolbar' }, el('label', {}, 'Δt ', sliceInput, sliceShown)),
    scoresBox,
  );
  sliceInput.addEventListener('input', () => {
    sliceT = Number(sliceInput.value);
    sliceShown.textContent = String(sliceT);
    void update();
  });

  // the latest update draws; one that a newer one overtook while it waited for its scores does not
  let latest = 0;
  async function update(): Promise<void> {
    const mine = ++latest;
    const preset = values.preset as RopePreset;
    const headDim = Number(values.headDim);
    const grid: [number, number, number] = [values.T as number, values.H as number, values.W as number];
    const axisDims = axisDimsFor(preset, headDim);
    const options = { grid, headDim, preset };
    tables.replaceChildren(
      ...(['packed', 'interleaved'] as const).map((layout) => {
        const table = ropeTable({ ...options, layout });
        const cell: [number, number] = [Math.max(2, Math.floor(256 / headDim)), Math.max(1, Math.min(4, Math.floor(320 / table.tokens)))];
        return el(
          'figure',
          { class: 'table', 'data-layout': layout },
          el('div', { class: 'pair' }, heatmap(table.cos, table.tokens, headDim, 1, cell), heatmap(table.sin, table.tokens, headDim, 1, cell)),
          el('figcaption', {}, `${layout}: cos (left) and sin (right), ${table.tokens} tokens (rows, s = (t·H + h)·W + w) × ${headDim} channels; split [${axisDims.join(', ')}], θ ${table.thetas[0]}`),
        );
      }),
    );
    const result = await offsetScores(options);
    if (mine !== latest) return;
    const [nt, nh, nw] = result.shape;
    sliceT = Math.max(-(grid[0] - 1), Math.min(grid[0] - 1, sliceT));
    sliceInput.min = String(-(grid[0] - 1));
    sliceInput.max = String(grid[0] - 1);
    sliceInput.value = String(sliceT);
    sliceShown.textContent = String(sliceT);
    const plane = result.mean.subarray((sliceT + grid[0] - 1) * nh * nw, (sliceT + grid[0]) * nh * nw);
    const map = heatmap(plane, nh, nw, result.maxScore, [Math.floor(240 / nw), Math.floor(240 / nh)]);
    // the score against Δw at Δt = chosen, Δh = 0: every pair's own score as a dot on the mean's line
    const dws = Array.from({ length: nw }, (_, i) => i - (grid[2] - 1));
    const row = (sliceT + grid[0] - 1) * nh + grid[1] - 1;
    const frame = new PlotFrame(offsetCanvas, [dws[0]! - 0.5, dws[nw - 1]! + 0.5], [-result.maxScore * 1.05, result.maxScore * 1.05]);
    frame.axes(`Δw (Δt = ${sliceT}, Δh = 0)`, 'score', ticks(dws[0]!, dws[nw - 1]!, Math.min(nw, 8)), ticks(-result.maxScore, result.maxScore, 4));
    frame.line(dws, result.mean.subarray(row * nw, (row + 1) * nw), COLOURS[0]!, 1.5);
    const tokens = grid[0] * grid[1] * grid[2];
    const c = frame.context;
    c.fillStyle = COLOURS[1]!;
    for (let i = 0; i < tokens; i++) {
      const [ti, hi, wi] = [Math.floor(i / (grid[1] * grid[2])), Math.floor(i / grid[2]) % grid[1], i % grid[2]];
      for (let j = 0; j < tokens; j++) {
        const [tj, hj, wj] = [Math.floor(j / (grid[1] * grid[2])), Math.floor(j / grid[2]) % grid[1], j % grid[2]];
        if (tj - ti !== sliceT || hj !== hi) continue;
        c.beginPath();
        c.arc(frame.px(wj - wi), frame.py(result.scores[i * tokens + j]!), 2.5, 0, 2 * Math.PI);
        c.fill();
      }
    }
    scoresBox.replaceChildren(
      el('figure', { class: 'offset-map' }, map, el('figcaption', {}, `mean score over (Δh, Δw) at Δt = ${sliceT}: rows Δh from ${-(grid[1] - 1)} to ${grid[1] - 1}, columns Δw from ${-(grid[2] - 1)} to ${grid[2] - 1}; red > 0 > blue`)),
      el('figure', {}, offsetCanvas, el('figcaption', {}, 'every query–key pair at this Δt and Δh = 0 (dots) on the mean by offset (line): the pairs with one offset coincide')),
    );
    const offsets = nt * nh * nw;
    summary.textContent = `${(tokens * tokens).toLocaleString('en')} query–key pairs at ${offsets.toLocaleString('en')} offsets: the largest spread of the score among pairs with the same offset is ${result.maxSpread.toExponential(2)} (largest |score| ${result.maxScore.toFixed(3)}), float32 rounding; packed and interleaved layouts differ by at most ${result.layoutDifference.toExponential(2)}.`;
    report({ grid, headDim, preset, axisDims, maxSpread: result.maxSpread, maxScore: result.maxScore, layoutDifference: result.layoutDifference, offsets, pairs: tokens * tokens });
  }

  await update();
}
