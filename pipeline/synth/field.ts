import { Rng } from '../../engine/random.js';
import { NEGATIVE } from '../labels.js';
import { layoutCells, type Layout } from './cells.js';
import { drawMicrotubules, inCell, type CellCtx, type FieldMaps } from './draw.js';
import { drawCellLabels, drawFieldLabels, drawMinorLabel, imageLabels, SPINDLE } from './labels.js';
import { fastNormal, fbm, ridges } from './noise.js';
import { drawPattern } from './patterns.js';
import { blob, distanceTo, distanceToEdge, gaussianBlur, plane, smoothstep, type Plane } from './raster.js';

export interface SynthField {
  width: number;
  height: number;
  /** The four stains in [0,1], before quantisation. */
  red: Float32Array;
  green: Float32Array;
  blue: Float32Array;
  yellow: Float32Array;
  /** Instance labels, 0 = background, cell k = k (1-based). */
  cells: Uint16Array;
  /** Nucleus pixels carry their cell's value (the plate in a dividing cell). */
  nuclei: Uint16Array;
  /** Labels of cell k at index k-1. */
  cellLabels: number[][];
  /** The image label: the union of the cells' labels. */
  labels: number[];
}

export interface FieldOptions {
  width: number;
  height: number;
  /** Cell count; drawn from minCells..maxCells when absent. */
  cells?: number;
  /** The range the cell count is drawn from (default 3..30, FIELD_CELLS). */
  minCells?: number;
  maxCells?: number;
  /** Every cell shows exactly these labels (for galleries and tests); drawn when absent. */
  labels?: number[];
}

/** How many cells a field holds when not told: a few (a high-magnification field) to a crowd. */
export const FIELD_CELLS = { min: 3, max: 30 };

/** One synthetic HPA field, a pure function of the seed and options. */
export function renderField(seed: number, opts: FieldOptions): SynthField {
  const { width: w, height: h } = opts;
  if (!(w >= 16 && h >= 16)) throw new Error(`synth: a field must be at least 16x16, got ${w}x${h}`);
  const rng = new Rng(seed);
  const drawn = drawFieldLabels(rng);
  const fieldLabels = opts.labels ? [...opts.labels].sort((a, b) => a - b) : drawn;
  const minor = drawMinorLabel(rng, fieldLabels);
  const lo = opts.minCells ?? FIELD_CELLS.min;
  const hi = opts.maxCells ?? FIELD_CELLS.max;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) throw new Error(`synth: the cell count range ${lo}..${hi} is not 1 <= min <= max`);
  const count = opts.cells ?? lo + rng.int(hi - lo + 1);
  const dividingChance = fieldLabels.includes(SPINDLE) ? rng.uniform(0.2, 0.4) : 0.04;
  let layout: Layout;
  // A crowded draw can lose cells to their neighbours; draw again rather than go below 3.
  do layout = layoutCells(rng, w, h, count, dividingChance);
  while (layout.cells.length < Math.min(3, count));
  if (fieldLabels.includes(SPINDLE) && !layout.cells.some((c) => c.dividing)) {
    layout.cells[rng.int(layout.cells.length)].dividing = true;
  }
  const n = layout.cells.length;
  const rMean = layout.cells.reduce((s, c) => s + c.body.r, 0) / n;

  const maps = fieldMaps(layout, rMean, rng);
  const ctxs = cellContexts(layout, maps, rng);
  const cellLabels = layout.cells.map((c) => {
    const ls = drawCellLabels(rng, fieldLabels, minor, c.dividing);
    if (!opts.labels) return ls;
    const forced = fieldLabels.filter((l) => l !== SPINDLE || c.dividing);
    return forced.length ? forced : [NEGATIVE];
  });

  const red = plane(w, h);
  const green = plane(w, h);
  const blue = plane(w, h);
  const yellow = plane(w, h);
  // Stain strengths vary from field to field and, less, from cell to cell.
  const gain = { red: lognormal(rng, 0.25), green: lognormal(rng, 0.35), blue: lognormal(rng, 0.2), yellow: lognormal(rng, 0.25) };
  const patternAmp = new Map<number, number>();
  for (const l of [...fieldLabels, ...cellLabels.flat()]) if (!patternAmp.has(l)) patternAmp.set(l, rng.uniform(0.45, 0.9));
  const sigma = { red: rng.uniform(0.6, 1.2), green: rng.uniform(0.6, 1.2), blue: rng.uniform(0.8, 1.6), yellow: rng.uniform(0.7, 1.3) };
  const scale = Math.max(1, rMean / 60); // blur grows with magnification
  for (const c of ctxs) {
    const cr = c.rng;
    const cellGain = lognormal(cr, 0.2);
    drawNucleus(blue, c, 0.7 * gain.blue * lognormal(cr, 0.15));
    drawMicrotubules(red, c, 0.5 * gain.red * cellGain * 2.5 * sigma.red * scale, cr);
    for (const i of c.nuc) red.data[i] *= 0.4; // the fibres run above and below the nucleus
    for (const i of c.cyto) red.data[i] += 0.12 * gain.red * cellGain * smoothstep(0, 3, c.maps.edgeDist[i]);
    drawER(yellow, c, 0.55 * gain.yellow * cellGain);
    for (const i of c.pixels) green.data[i] += 0.025 * gain.green; // autofluorescence
    for (const l of cellLabels[c.id - 1]) {
      if (l === NEGATIVE) continue;
      const amp = patternAmp.get(l)! * gain.green * cellGain * (isFibre(l) ? 1.2 * sigma.green * scale : 1);
      drawPattern(l, green, c, amp, yellow);
    }
  }
  const channels = { red, green, blue, yellow };
  for (const [name, p] of Object.entries(channels) as [keyof typeof channels, Plane][]) {
    gaussianBlur(p, sigma[name] * scale);
    addCameraNoise(p, rng);
  }
  return {
    width: w,
    height: h,
    red: red.data,
    green: green.data,
    blue: blue.data,
    yellow: yellow.data,
    cells: layout.cellMap,
    nuclei: layout.nucMap,
    cellLabels,
    labels: imageLabels(cellLabels),
  };
}

/** Line-like patterns are drawn as thin splat trails; their brightness after the blur
 * depends on its width, so they are drawn brighter in proportion. */
function isFibre(label: number): boolean {
  return label === 8 || label === 9 || label === 10 || label === 11 || label === 14;
}

function lognormal(rng: Rng, s: number): number {
  return Math.exp(rng.normal() * s);
}

function fieldMaps(l: Layout, rMean: number, rng: Rng): FieldMaps {
  const { w, h, cellMap, nucMap } = l;
  const edgeDist = distanceToEdge(w, h, cellMap);
  const nucDepth = distanceToEdge(w, h, nucMap);
  const nucDist = distanceTo(w, h, nucMap);
  const tex = fbm(w, h, Math.max(2, rMean / 5), 3, rng.nextU32());
  const er = ridges(w, h, Math.max(3, rMean / 4), rng.nextU32());
  return { w, h, cellMap, nucMap, edgeDist, nucDepth, nucDist, nucleoli: new Float32Array(w * h), tex, er };
}

function cellContexts(l: Layout, maps: FieldMaps, rng: Rng): CellCtx[] {
  const n = l.cells.length;
  const lists = { pixels: bucket(l.cellMap, n), nuc: bucket(l.nucMap, n) };
  const cytoMask = new Uint16Array(l.cellMap.length);
  for (let i = 0; i < cytoMask.length; i++) if (l.nucMap[i] !== l.cellMap[i]) cytoMask[i] = l.cellMap[i];
  const cyto = bucket(cytoMask, n);
  const nucleoliPlane = { w: l.w, h: l.h, data: maps.nucleoli };
  const ctxs = l.cells.map((shape, k) => {
    const id = k + 1;
    const crng = rng.fork();
    const nu = shape.nucleus;
    const c: CellCtx = {
      id,
      shape,
      pixels: lists.pixels[id],
      cyto: cyto[id].length ? cyto[id] : lists.pixels[id],
      nuc: lists.nuc[id],
      centrosome: [nu.x, nu.y],
      nucleoli: [],
      rng: crng,
      maps,
    };
    // The centrosome sits just outside the nucleus; walk it back in if that leaves the cell.
    const a = crng.uniform(0, 2 * Math.PI);
    for (let d = nu.r * 1.15 + 0.04 * shape.body.r; d > 0; d *= 0.8) {
      const x = nu.x + d * Math.cos(a);
      const y = nu.y + d * Math.sin(a);
      const i = Math.round(y) * l.w + Math.round(x);
      if (x >= 0 && y >= 0 && x < l.w - 0.5 && y < l.h - 0.5 && l.cellMap[i] === id) {
        c.centrosome = [x, y];
        break;
      }
      if (d < 1) break;
    }
    if (!shape.dividing) {
      const count = 1 + crng.int(4);
      for (let j = 0; j < count; j++) {
        const b = crng.uniform(0, 2 * Math.PI);
        const t = crng.uniform(0, 0.5) * nu.r;
        const nl = { x: nu.x + t * Math.cos(b), y: nu.y + t * Math.sin(b), r: crng.uniform(0.12, 0.22) * nu.r };
        c.nucleoli.push(nl);
        blob(nucleoliPlane, nl.x, nl.y, nl.r * 0.8, 1, (i) => l.nucMap[i] === id);
      }
    }
    return c;
  });
  // Overlapping nucleoli add up; the map is a 0..1 mask.
  for (let i = 0; i < maps.nucleoli.length; i++) if (maps.nucleoli[i] > 1) maps.nucleoli[i] = 1;
  return ctxs;
}

/** Pixel indices per label value 1..n (counting sort). */
function bucket(map: Uint16Array, n: number): Int32Array[] {
  const counts = new Int32Array(n + 2);
  for (let i = 0; i < map.length; i++) counts[map[i]]++;
  const out = Array.from({ length: n + 1 }, (_, k) => new Int32Array(counts[k]));
  const fill = new Int32Array(n + 1);
  for (let i = 0; i < map.length; i++) {
    const k = map[i];
    out[k][fill[k]++] = i;
  }
  return out;
}

/** DAPI: a textured nucleus with a soft edge and darker nucleoli; in a dividing cell, the
 * condensed chromosomes of the plate, brighter. */
function drawNucleus(blue: Plane, c: CellCtx, amp: number): void {
  const m = c.maps;
  const bright = c.shape.dividing ? 1.5 : 1;
  for (const i of c.nuc) {
    const v = (0.6 + 0.4 * m.tex[i]) * (1 - 0.45 * m.nucleoli[i]) * smoothstep(0, 2.5, m.nucDepth[i] + 0.5);
    blue.data[i] += amp * bright * v;
  }
}

/** ER: a reticular network, densest around the nucleus and fading toward the cell edge,
 * continuous with the nuclear envelope; faint over the nucleus. */
function drawER(yellow: Plane, c: CellCtx, amp: number): void {
  const m = c.maps;
  const r = c.shape.body.r;
  const stay = inCell(c);
  for (const i of c.pixels) {
    if (!stay(i)) continue;
    if (m.nucMap[i] === c.id) {
      yellow.data[i] += amp * 0.1;
      continue;
    }
    const d = m.nucDist[i];
    const env = Math.exp(-d / (0.35 * r)) * smoothstep(0, 2, m.edgeDist[i]);
    const rim = Math.exp(-(d * d) / (2 * Math.max(1, 0.03 * r) ** 2));
    yellow.data[i] += amp * (env * (0.2 + 0.8 * m.er[i]) + 0.5 * rim);
  }
}

/** Background offset, then shot noise (grows with the signal) and read noise. */
function addCameraNoise(p: Plane, rng: Rng): void {
  const offset = rng.uniform(0.004, 0.02);
  const shot = rng.uniform(0.01, 0.03);
  const read = rng.uniform(0.003, 0.01);
  const d = p.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] + offset;
    d[i] = Math.min(1, Math.max(0, v + fastNormal(rng.nextU32()) * (read + shot * Math.sqrt(v))));
  }
}
