import { writePng } from './png.js';

/** A small raster plotter for the stats bar chart and the training curves: enough to see
 * a distribution or a learning curve without a plotting stack. */

export type Color = [number, number, number];

export interface Picture {
  width: number;
  height: number;
  /** RGB, 8-bit, row-major. */
  data: Uint8Array;
}

export const PALETTE: Color[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
];

// 5x7 bitmap font: 7 rows per glyph, the 5 low bits of each row, leftmost pixel highest.
const GLYPHS: Record<string, number[]> = {
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14], '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8], '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 17, 31, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28], E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17], I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16], Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4], U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
  a: [0, 0, 14, 1, 15, 17, 15], b: [16, 16, 22, 25, 17, 17, 30], c: [0, 0, 14, 16, 16, 17, 14],
  d: [1, 1, 13, 19, 17, 17, 15], e: [0, 0, 14, 17, 31, 16, 14], f: [6, 9, 8, 28, 8, 8, 8],
  g: [0, 15, 17, 17, 15, 1, 14], h: [16, 16, 22, 25, 17, 17, 17], i: [4, 0, 12, 4, 4, 4, 14],
  j: [2, 0, 6, 2, 2, 18, 12], k: [16, 16, 18, 20, 24, 20, 18], l: [12, 4, 4, 4, 4, 4, 14],
  m: [0, 0, 26, 21, 21, 17, 17], n: [0, 0, 22, 25, 17, 17, 17], o: [0, 0, 14, 17, 17, 17, 14],
  p: [0, 0, 30, 17, 30, 16, 16], q: [0, 0, 13, 19, 15, 1, 1], r: [0, 0, 22, 25, 16, 16, 16],
  s: [0, 0, 14, 16, 14, 1, 30], t: [8, 8, 28, 8, 8, 9, 6], u: [0, 0, 17, 17, 17, 19, 13],
  v: [0, 0, 17, 17, 17, 10, 4], w: [0, 0, 17, 17, 21, 21, 10], x: [0, 0, 17, 10, 4, 10, 17],
  y: [0, 0, 17, 17, 15, 1, 14], z: [0, 0, 31, 2, 4, 8, 31],
  '.': [0, 0, 0, 0, 0, 12, 12], ',': [0, 0, 0, 0, 12, 4, 8], '-': [0, 0, 0, 31, 0, 0, 0],
  _: [0, 0, 0, 0, 0, 0, 31], ':': [0, 12, 12, 0, 12, 12, 0], '(': [2, 4, 8, 8, 8, 4, 2],
  ')': [8, 4, 2, 2, 2, 4, 8], '/': [0, 1, 2, 4, 8, 16, 0], '%': [24, 25, 2, 4, 8, 19, 3],
  '+': [0, 4, 4, 31, 4, 4, 0], '=': [0, 0, 31, 0, 31, 0, 0], '|': [4, 4, 4, 4, 4, 4, 4],
  '#': [10, 10, 31, 10, 31, 10, 10], '*': [0, 4, 21, 14, 21, 4, 0], '<': [2, 4, 8, 16, 8, 4, 2],
  '>': [8, 4, 2, 1, 2, 4, 8], '?': [14, 17, 1, 2, 4, 0, 4], '!': [4, 4, 4, 4, 4, 0, 4],
  "'": [12, 4, 8, 0, 0, 0, 0], '[': [14, 8, 8, 8, 8, 8, 14], ']': [14, 2, 2, 2, 2, 2, 14],
};
const UNKNOWN = [31, 17, 17, 17, 17, 17, 31];
const ADVANCE = 6;
const GLYPH_H = 7;

export class Canvas {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: Color = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.data.set(background, i * 3);
  }

  pixel(x: number, y: number, c: Color): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.data.set(c, (y * this.width + x) * 3);
  }

  rect(x: number, y: number, w: number, h: number, c: Color): void {
    for (let yy = Math.round(y); yy < Math.round(y + h); yy++) for (let xx = Math.round(x); xx < Math.round(x + w); xx++) this.pixel(xx, yy, c);
  }

  /** A line `thickness` pixels wide (square brush; plenty for charts). */
  line(x0: number, y0: number, x1: number, y1: number, c: Color, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = (thickness - 1) / 2;
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      if (thickness <= 1) this.pixel(x, y, c);
      else this.rect(x - half, y - half, thickness, thickness, c);
    }
  }

  /** Text with its top-left at (x, y); `vertical` reads bottom to top, with (x, y) at
   * the bottom-left of the first letter. */
  text(x: number, y: number, s: string, c: Color, scale = 1, vertical = false): void {
    [...s].forEach((ch, k) => {
      const rows = GLYPHS[ch] ?? UNKNOWN;
      for (let r = 0; r < GLYPH_H; r++) {
        for (let col = 0; col < 5; col++) {
          if (!((rows[r] >> (4 - col)) & 1)) continue;
          const gx = (k * ADVANCE + col) * scale;
          const gy = r * scale;
          if (vertical) this.rect(x + gy, y - gx - scale, scale, scale, c);
          else this.rect(x + gx, y + gy, scale, scale, c);
        }
      }
    });
  }

  picture(): Picture {
    return { width: this.width, height: this.height, data: this.data };
  }
}

export function textWidth(s: string, scale = 1): number {
  return Math.max(0, s.length * ADVANCE - 1) * scale;
}

/** Tick values at 1, 2 or 5 times a power of ten, about `count` of them, covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  // Outer ticks enclose the data, so nothing is drawn past the top of the axis.
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const out: number[] = [];
  for (let k = first; k <= last; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

const INK: Color = [30, 30, 30];
const GRID: Color = [225, 225, 225];

interface Frame {
  canvas: Canvas;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Canvas, title, y axis with ticks and grid; returns the plot area. */
function frame(width: number, height: number, title: string, yTicks: number[], yMax: number, yMin: number, yLabel: string | undefined, bottom: number, legendRows: number): Frame {
  const canvas = new Canvas(width, height);
  const tickW = Math.max(...yTicks.map((t) => textWidth(formatTick(t))));
  const x0 = 14 + (yLabel ? 12 : 0) + tickW;
  // The legend gets rows of its own above the plot, so it never hides a bar or a line.
  const y0 = 30 + (legendRows > 1 ? legendRows * 12 : 0);
  const x1 = width - 12;
  const y1 = height - bottom;
  canvas.text(Math.max(2, (width - textWidth(title, 2)) / 2), 6, title, INK, 2);
  if (yLabel) canvas.text(4, (y0 + y1) / 2 + textWidth(yLabel) / 2, yLabel, INK, 1, true);
  for (const t of yTicks) {
    const y = y1 - ((t - yMin) / (yMax - yMin)) * (y1 - y0);
    canvas.line(x0, y, x1, y, GRID);
    canvas.text(x0 - 4 - textWidth(formatTick(t)), y - 3, formatTick(t), INK);
  }
  canvas.line(x0, y0, x0, y1, INK);
  canvas.line(x0, y1, x1, y1, INK);
  return { canvas, x0, y0, x1, y1 };
}

function legend(f: Frame, names: string[], colors: Color[]): void {
  if (names.length < 2) return;
  const w = Math.max(...names.map((n) => textWidth(n))) + 14;
  const x = f.x1 - w;
  names.forEach((n, i) => {
    const y = 28 + i * 12;
    f.canvas.rect(x, y, 10, 7, colors[i]);
    f.canvas.text(x + 14, y, n, INK);
  });
}

export interface BarSeries {
  name: string;
  values: number[];
  color?: Color;
}

/** Grouped vertical bars, one group per category, category names written upward. */
export function barChart(opts: { title: string; categories: string[]; series: BarSeries[]; yLabel?: string; width?: number; height?: number }): Picture {
  const { categories, series } = opts;
  for (const s of series) {
    if (s.values.length !== categories.length) throw new Error(`barChart: series '${s.name}' has ${s.values.length} values for ${categories.length} categories`);
  }
  const yMax0 = Math.max(1e-12, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const ticks = niceTicks(0, yMax0);
  const yMax = ticks[ticks.length - 1];
  const bottom = 14 + Math.max(...categories.map((c) => textWidth(c)));
  const width = opts.width ?? Math.max(420, 60 + categories.length * (series.length * 10 + 8));
  const f = frame(width, opts.height ?? 300 + bottom, opts.title, ticks, yMax, 0, opts.yLabel, bottom, series.length);
  const colors = series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  const groupW = (f.x1 - f.x0) / categories.length;
  const barW = Math.max(1, (groupW * 0.8) / series.length);
  categories.forEach((cat, ci) => {
    const gx = f.x0 + ci * groupW + groupW * 0.1;
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (!Number.isFinite(v) || v <= 0) return;
      const h = (v / yMax) * (f.y1 - f.y0);
      f.canvas.rect(gx + si * barW, f.y1 - h, Math.max(1, barW - 1), h, colors[si]);
    });
    f.canvas.text(f.x0 + ci * groupW + groupW / 2 - 3, f.y1 + 6 + textWidth(cat), cat, INK, 1, true);
  });
  legend(f, series.map((s) => s.name), colors);
  return f.canvas.picture();
}

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  color?: Color;
}

/** Lines through (x, y) points, e.g. loss per epoch; non-finite points break the line.
 * `include` lists values the axes must cover besides the data (F1 from 0 to 1, say);
 * `markers` draws a dot at every point, so a lone point or a sparse series stays visible. */
export function lineChart(opts: {
  title: string;
  series: LineSeries[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  include?: { x?: number[]; y?: number[] };
  markers?: boolean;
}): Picture {
  const pts = opts.series.flatMap((s) => s.x.map((x, i) => [x, s.y[i]]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xs = [...pts.map((p) => p[0]), ...(opts.include?.x ?? [])];
  const ys = [...pts.map((p) => p[1]), ...(opts.include?.y ?? [])];
  const xt = niceTicks(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1, 6);
  const yt = niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, 5);
  const [xMin, xMax] = [xt[0], xt[xt.length - 1]];
  const [yMin, yMax] = [yt[0], yt[yt.length - 1]];
  const f = frame(opts.width ?? 640, opts.height ?? 400, opts.title, yt, yMax, yMin, opts.yLabel, opts.xLabel ? 34 : 22, opts.series.length);
  const px = (x: number) => f.x0 + ((x - xMin) / (xMax - xMin || 1)) * (f.x1 - f.x0);
  const py = (y: number) => f.y1 - ((y - yMin) / (yMax - yMin || 1)) * (f.y1 - f.y0);
  for (const t of xt) {
    f.canvas.line(px(t), f.y1, px(t), f.y1 + 3, INK);
    f.canvas.text(px(t) - textWidth(formatTick(t)) / 2, f.y1 + 6, formatTick(t), INK);
  }
  if (opts.xLabel) f.canvas.text((f.x0 + f.x1) / 2 - textWidth(opts.xLabel) / 2, f.y1 + 20, opts.xLabel, INK);
  const colors = opts.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  opts.series.forEach((s, si) => {
    let prev: [number, number] | undefined;
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        prev = undefined;
        return;
      }
      const p: [number, number] = [px(x), py(y)];
      if (prev) f.canvas.line(prev[0], prev[1], p[0], p[1], colors[si], 2);
      if (opts.markers) f.canvas.rect(p[0] - 2, p[1] - 2, 5, 5, colors[si]);
      else if (!prev) f.canvas.rect(p[0] - 1, p[1] - 1, 3, 3, colors[si]);
      prev = p;
    });
  });
  legend(f, opts.series.map((s) => s.name), colors);
  return f.canvas.picture();
}

/** Writes a chart as an RGB PNG (atomically). */
export function writeChart(file: string, pic: Picture): void {
  writePng(file, pic.width, pic.height, pic.data, 3);
}

/** Pictures placed left to right on a white background, top-aligned (e.g. loss and F1
 * curves in one file). */
export function sideBySide(pictures: Picture[]): Picture {
  return grid(pictures, Math.max(1, pictures.length));
}

/** Pictures in rows of `columns`, each row as tall as its tallest picture, `gap` white
 * pixels between them (the gallery's figures). */
export function grid(pictures: Picture[], columns: number, gap = 0): Picture {
  const rows: Picture[][] = [];
  for (let i = 0; i < pictures.length; i += columns) rows.push(pictures.slice(i, i + columns));
  const rowWidth = (r: Picture[]) => r.reduce((w, p) => w + p.width, 0) + gap * Math.max(0, r.length - 1);
  const rowHeight = (r: Picture[]) => Math.max(0, ...r.map((p) => p.height));
  const width = Math.max(0, ...rows.map(rowWidth));
  const height = rows.reduce((h, r) => h + rowHeight(r), 0) + gap * Math.max(0, rows.length - 1);
  const out = new Canvas(width, height);
  let y0 = 0;
  for (const r of rows) {
    let x0 = 0;
    for (const p of r) {
      for (let y = 0; y < p.height; y++) out.data.set(p.data.subarray(y * p.width * 3, (y + 1) * p.width * 3), ((y0 + y) * width + x0) * 3);
      x0 += p.width + gap;
    }
    y0 += rowHeight(r) + gap;
  }
  return out.picture();
}
