import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { FONT_FAMILY, svgToPng } from './svg.js';
import { writeFileAtomic } from './write-file.js';

/** A line chart: one line per series. */
export interface LineChartSpec {
  title: string;
  /** x axis title. */
  x: string;
  /** y axis title. */
  y: string;
  series: { name: string; points: [number, number][] }[];
  /** Logarithmic y axis (values must be > 0). */
  logY?: boolean;
}

/**
 * Renders a Vega-Lite spec to PNG (Vega-Lite → Vega → SVG → resvg), with our font and sizes.
 * @param spec - a Vega-Lite spec with inline data
 * @param options - zoom: output pixels per chart unit (default 2)
 * @returns the PNG file's bytes
 */
export async function renderVegaLite(spec: TopLevelSpec, options: { zoom?: number } = {}): Promise<Uint8Array> {
  const styled = {
    ...spec,
    config: {
      font: FONT_FAMILY,
      background: 'white',
      title: { fontSize: 15 },
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11, titleFontSize: 12 },
      ...spec.config,
    },
  } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(styled).spec), { renderer: 'none' });
  try {
    return svgToPng(await view.toSVG(), options.zoom ?? 2);
  } finally {
    view.finalize();
  }
}

/**
 * Writes a Vega-Lite chart as PNG (temporary file, then rename).
 * @param path - where to write (folders are created)
 * @param spec - a Vega-Lite spec with inline data
 * @param options - zoom: output pixels per chart unit (default 2)
 * @returns when the file is in place
 */
export async function writeVegaLitePng(
  path: string,
  spec: TopLevelSpec,
  options: { zoom?: number } = {},
): Promise<void> {
  await writeFileAtomic(path, await renderVegaLite(spec, options));
}

/**
 * Writes a line chart as PNG, e.g. the loss curve (temporary file, then rename).
 * @param path - where to write (folders are created)
 * @param spec - title, axis titles, the series and whether y is logarithmic
 * @returns when the file is in place
 * @throws {RangeError} when there is no series, a point is not finite, or logY meets a value ≤ 0
 */
export async function writeLineChart(path: string, spec: LineChartSpec): Promise<void> {
  if (!Array.isArray(spec.series) || spec.series.length === 0) {
    throw new RangeError('series must hold at least one series');
  }
  const values: { x: number; y: number; series: string }[] = [];
  for (const { name, points } of spec.series) {
    for (const [x, y] of points) {
      if (!Number.isFinite(x) || !Number.isFinite(y) || (spec.logY === true && y <= 0)) {
        throw new RangeError(
          `series '${name}' has the point (${x}, ${y}); points must be finite${spec.logY ? ' with y > 0 on a log axis' : ''}`,
        );
      }
      values.push({ x, y, series: name });
    }
  }
  const single = spec.series.length === 1;
  await writeVegaLitePng(path, {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: spec.title,
    width: 560,
    height: 320,
    data: { values },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: spec.x },
      y: {
        field: 'y',
        type: 'quantitative',
        title: spec.y,
        scale: spec.logY ? { type: 'log' } : { zero: false },
      },
      color: single
        ? { value: '#4c78a8' }
        : { field: 'series', type: 'nominal', title: null, sort: spec.series.map((s) => s.name) },
    },
  });
}
