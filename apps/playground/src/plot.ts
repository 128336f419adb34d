/** Canvas drawing shared by the views: a plot frame with axes, and colour maps. */

export const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

/** A canvas of CSS size width × height, drawn at the device's pixel ratio. */
export function makeCanvas(width: number, height: number, className = ''): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  if (className) canvas.className = className;
  canvas.getContext('2d')!.scale(ratio, ratio);
  return canvas;
}

/** Maps data coordinates into a canvas' plot area and draws its axes. */
export class PlotFrame {
  readonly left = 52;
  readonly right: number;
  readonly top = 14;
  readonly bottom: number;
  readonly context: CanvasRenderingContext2D;

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly x: [number, number],
    readonly y: [number, number],
  ) {
    const ratio = window.devicePixelRatio || 1;
    this.right = canvas.width / ratio - 14;
    this.bottom = canvas.height / ratio - 36;
    this.context = canvas.getContext('2d')!;
    this.context.clearRect(0, 0, canvas.width, canvas.height);
  }

  px(x: number): number {
    return this.left + ((x - this.x[0]) / (this.x[1] - this.x[0])) * (this.right - this.left);
  }

  py(y: number): number {
    return this.bottom - ((y - this.y[0]) / (this.y[1] - this.y[0])) * (this.bottom - this.top);
  }

  axes(xLabel: string, yLabel: string, xTicks: number[], yTicks: number[]): void {
    const c = this.context;
    c.save();
    c.strokeStyle = '#888';
    c.fillStyle = '#333';
    c.font = '12px sans-serif';
    c.lineWidth = 1;
    c.beginPath();
    c.moveTo(this.left, this.top);
    c.lineTo(this.left, this.bottom);
    c.lineTo(this.right, this.bottom);
    c.stroke();
    c.textAlign = 'center';
    for (const tick of xTicks) {
      c.fillText(formatTick(tick), this.px(tick), this.bottom + 14);
      c.beginPath();
      c.moveTo(this.px(tick), this.bottom);
      c.lineTo(this.px(tick), this.bottom + 4);
      c.stroke();
    }
    c.fillText(xLabel, (this.left + this.right) / 2, this.bottom + 30);
    c.textAlign = 'right';
    for (const tick of yTicks) c.fillText(formatTick(tick), this.left - 6, this.py(tick) + 4);
    c.save();
    c.translate(14, (this.top + this.bottom) / 2);
    c.rotate(-Math.PI / 2);
    c.textAlign = 'center';
    c.fillText(yLabel, 0, 0);
    c.restore();
    c.restore();
  }

  /** A polyline through finite points; a gap where a value is not finite. */
  line(xs: ArrayLike<number>, ys: ArrayLike<number>, colour: string, width = 2, dash: number[] = []): void {
    const c = this.context;
    c.save();
    c.beginPath();
    c.rect(this.left, this.top, this.right - this.left, this.bottom - this.top);
    c.clip();
    c.strokeStyle = colour;
    c.lineWidth = width;
    c.setLineDash(dash);
    c.beginPath();
    let drawing = false;
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i]!;
      if (!Number.isFinite(y)) {
        drawing = false;
        continue;
      }
      const at: [number, number] = [this.px(xs[i]!), this.py(Math.min(y, this.y[1] * 2))];
      if (drawing) c.lineTo(...at);
      else c.moveTo(...at);
      drawing = true;
    }
    c.stroke();
    c.restore();
  }
}

/** Evenly spaced ticks with a round step, about `count` of them. */
export function ticks(low: number, high: number, count = 5): number[] {
  const raw = (high - low) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function formatTick(value: number): string {
  return Number.parseFloat(value.toPrecision(4)).toString();
}

/** A diverging colour for v in [−1, 1]: blue, white, red. */
export function diverging(v: number): [number, number, number] {
  const a = Math.max(-1, Math.min(1, v));
  if (a >= 0) return [255, Math.round(255 * (1 - a)), Math.round(255 * (1 - a))];
  return [Math.round(255 * (1 + a)), Math.round(255 * (1 + a)), 255];
}

/** A heatmap of a rows × cols array (row-major) of values in [−scale, scale], one cell per value. */
export function heatmap(values: ArrayLike<number>, rows: number, cols: number, scale: number, cell: [number, number]): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = cols;
  canvas.height = rows;
  const c = canvas.getContext('2d')!;
  const image = c.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = diverging(values[i]! / scale);
    image.data.set([r, g, b, 255], 4 * i);
  }
  c.putImageData(image, 0, 0);
  canvas.style.width = `${cols * cell[0]}px`;
  canvas.style.height = `${rows * cell[1]}px`;
  canvas.style.imageRendering = 'pixelated';
  return canvas;
}

/** An element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  element.append(...children);
  return element;
}
