import { createRng, sampleTimesteps, type TimeConvention, timestepDistribution } from '@flowdit/timestep-shift';
import { controlInputs, rowSelect } from '../controls.js';
import { COLOURS, el, makeCanvas, PlotFrame, ticks } from '../plot.js';
import { byId, type CurveSetting, defaultCurves, defaults, LAWS, SHIFT_RULES } from './laws.js';
import { chiSquare, chiSquareQuantile, expectedCounts, histogram, summarize } from './stats.js';

/** What the view shows for one curve, for the page's tests and its legend. */
export interface CurveReport {
  label: string;
  shift: number;
  median: number;
  noiseShare: number;
  drawnNoiseShare: number;
  counts: number[];
  expected: number[];
  chi2: number;
  dof: number;
  /** χ²(0.999) for `dof`: a histogram of the law's own draws stays under it 999 times in 1000. */
  bound: number;
}

/** The laws view's current state. */
export interface LawsReport {
  convention: TimeConvention;
  draws: number;
  bins: number;
  seed: number;
  curves: CurveReport[];
}

const BINS = 50;
const GRID = 501;

/** The timestep laws view: curves of laws and shifts, their densities, live draws and statistics. */
export function lawsView(root: HTMLElement, report: (state: LawsReport) => void): void {
  const curves: CurveSetting[] = defaultCurves();
  let convention: TimeConvention = 't';
  let draws = 100_000;
  let seed = 1;

  const canvas = makeCanvas(820, 400, 'plot');
  const legend = el('table', { class: 'legend' });
  const rows = el('div', { class: 'curves' });
  const conventionSelect = el('select', { name: 'convention' }, el('option', { value: 't' }, 't (t = 0 noise)'), el('option', { value: 'sigma' }, 'sigma = 1 − t'));
  conventionSelect.addEventListener('change', () => {
    convention = conventionSelect.value as TimeConvention;
    draw();
  });
  const drawsSelect = el('select', { name: 'draws' }, ...[1e3, 1e4, 1e5, 1e6].map((n) => el('option', { value: String(n) }, n.toLocaleString('en'))));
  drawsSelect.value = String(draws);
  drawsSelect.addEventListener('change', () => {
    draws = Number(drawsSelect.value);
    draw();
  });
  const redraw = el('button', { type: 'button', name: 'redraw' }, 'new draws');
  redraw.addEventListener('click', () => {
    seed += 1;
    draw();
  });
  // live: fresh draws every second, so the histograms move about their densities
  const live = el('input', { type: 'checkbox', name: 'live' });
  let timer: ReturnType<typeof setInterval> | undefined;
  live.addEventListener('change', () => {
    clearInterval(timer);
    timer = live.checked ? setInterval(() => redraw.click(), 1000) : undefined;
  });
  const add = el('button', { type: 'button', name: 'add' }, 'add a curve');
  add.addEventListener('click', () => {
    curves.push({ ...defaultCurves()[1]!, lawValues: defaults(LAWS[0]!.controls) });
    build();
  });

  root.append(
    el('p', { class: 'intro' }, 'Training-time laws of @flowdit/timestep-shift: each curve is a law with an SD3 shift on top, drawn as its density, with a histogram of draws from the seeded generator over it.'),
    el('div', { class: 'toolbar' }, el('label', {}, 'convention ', conventionSelect), el('label', {}, 'draws per curve ', drawsSelect), redraw, el('label', {}, live, ' live'), add),
    rows,
    canvas,
    legend,
  );

  function build(): void {
    rows.replaceChildren(
      ...curves.map((curve, index) => {
        const row = el('div', { class: 'curve', 'data-curve': String(index) }, el('span', { class: 'swatch', style: `background:${COLOURS[index % COLOURS.length]}` }));
        row.append(
          rowSelect(LAWS, curve.law, 'law', (id) => {
            curve.law = id;
            curve.lawValues = defaults(byId(LAWS, id).controls);
            build();
          }),
          controlInputs(byId(LAWS, curve.law).controls, curve.lawValues, draw),
          rowSelect(SHIFT_RULES, curve.rule, 'rule', (id) => {
            curve.rule = id;
            curve.ruleValues = defaults(byId(SHIFT_RULES, id).controls);
            build();
          }),
          controlInputs(byId(SHIFT_RULES, curve.rule).controls, curve.ruleValues, draw),
        );
        if (curves.length > 1) {
          const remove = el('button', { type: 'button', name: 'remove' }, '×');
          remove.addEventListener('click', () => {
            curves.splice(index, 1);
            build();
          });
          row.append(remove);
        }
        return row;
      }),
    );
    draw();
  }

  function draw(): void {
    const xs = Float64Array.from({ length: GRID }, (_, i) => i / (GRID - 1));
    const results = curves.map((curve, index) => {
      const law = byId(LAWS, curve.law);
      const shift = byId(SHIFT_RULES, curve.rule).shift(curve.ruleValues);
      const dist = timestepDistribution({ ...law.spec(curve.lawValues), shift, convention } as Parameters<typeof timestepDistribution>[0]);
      const values = sampleTimesteps(dist, draws, createRng(seed * 1000 + index));
      const counts = histogram(values, BINS);
      const expected = expectedCounts((x) => dist.pdf(x), draws, BINS);
      const { chi2, dof } = chiSquare(counts, expected);
      const pdf = xs.map((x) => dist.pdf(x));
      const label = `${law.label}, shift ${Number.parseFloat(shift.toPrecision(4))}`;
      return { label, shift, pdf, counts, expected, chi2, dof, bound: chiSquareQuantile(0.999, dof), ...summarize(dist, values) };
    });
    const densityOf = (count: number) => (count * BINS) / draws;
    // the axis fits the histograms and the curves, but not a density's infinite spike (mode at its largest scale)
    const drawnTop = Math.max(...results.flatMap((r) => Array.from(r.counts, densityOf)));
    const curveTop = Math.max(...results.flatMap((r) => Array.from(r.pdf).filter(Number.isFinite)));
    const top = Math.min(Math.max(drawnTop, curveTop), 2 * drawnTop);
    const frame = new PlotFrame(canvas, [0, 1], [0, top * 1.05]);
    const name = convention === 't' ? 't (0 = noise, 1 = data)' : 'sigma (1 = noise, 0 = data)';
    frame.axes(name, 'density', ticks(0, 1, 10), ticks(0, top * 1.05, 5));
    const c = frame.context;
    results.forEach((r, index) => {
      const colour = COLOURS[index % COLOURS.length]!;
      c.save();
      c.globalAlpha = 0.22;
      c.fillStyle = colour;
      r.counts.forEach((count, bin) => {
        const x0 = frame.px(bin / BINS);
        const y = frame.py(densityOf(count));
        c.fillRect(x0, y, frame.px((bin + 1) / BINS) - x0 - 0.5, frame.bottom - y);
      });
      c.restore();
      frame.line(xs, r.pdf, colour, 2.2);
      frame.line([r.median, r.median], [0, top * 1.05], colour, 1.2, [5, 4]);
    });
    const side = convention === 't' ? 'P(t < 0.5)' : 'P(sigma > 0.5)';
    legend.replaceChildren(
      el('tr', {}, ...['', 'curve', 'median', `${side}: law`, 'draws', 'χ² (bins)', 'χ²(0.999)'].map((h) => el('th', {}, h))),
      ...results.map((r, index) =>
        el(
          'tr',
          { 'data-curve': String(index) },
          el('td', {}, el('span', { class: 'swatch', style: `background:${COLOURS[index % COLOURS.length]}` })),
          el('td', {}, r.label),
          el('td', {}, r.median.toFixed(4)),
          el('td', {}, r.noiseShare.toFixed(4)),
          el('td', {}, r.drawnNoiseShare.toFixed(4)),
          el('td', {}, `${r.chi2.toFixed(1)} (${r.dof + 1})`),
          el('td', {}, r.bound.toFixed(1)),
        ),
      ),
    );
    report({
      convention,
      draws,
      bins: BINS,
      seed,
      curves: results.map(({ pdf: _pdf, counts, expected, ...rest }) => ({ ...rest, counts: Array.from(counts), expected: Array.from(expected) })),
    });
  }

  build();
}
