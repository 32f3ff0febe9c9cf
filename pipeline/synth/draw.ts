import type { Rng } from '../../engine/random.js';
import type { CellShape } from './cells.js';
import { blob, splat, type Plane } from './raster.js';

/** What the drawing of one cell needs: its shape, pixels and the field-wide maps. */
export interface CellCtx {
  id: number;
  shape: CellShape;
  /** All pixels of the cell, its cytoplasm (body minus nucleus), its nucleus. */
  pixels: Int32Array;
  cyto: Int32Array;
  nuc: Int32Array;
  centrosome: [number, number];
  nucleoli: { x: number; y: number; r: number }[];
  rng: Rng;
  maps: FieldMaps;
}

export interface FieldMaps {
  w: number;
  h: number;
  cellMap: Uint16Array;
  nucMap: Uint16Array;
  /** Distance to the edge of the pixel's own cell. */
  edgeDist: Float32Array;
  /** Inside a nucleus: distance to its edge. */
  nucDepth: Float32Array;
  /** Distance to the nearest nucleus pixel. */
  nucDist: Float32Array;
  /** Soft nucleoli (0..1), fine texture (0..1), ER network (0..1). */
  nucleoli: Float32Array;
  tex: Float32Array;
  er: Float32Array;
}

export const inCell = (c: CellCtx) => (i: number) => c.maps.cellMap[i] === c.id;
export const inCyto = (c: CellCtx) => (i: number) => c.maps.cellMap[i] === c.id && c.maps.nucMap[i] !== c.id;
export const inNucleus = (c: CellCtx) => (i: number) => c.maps.nucMap[i] === c.id;

/** A filament: a random walk of bilinear splats that bends by `curl` radians per unit
 * length and stops where `stay` says it left its compartment. */
export function walk(
  p: Plane,
  rng: Rng,
  from: [number, number],
  angle: number,
  length: number,
  curl: number,
  amp: number,
  stay: (i: number) => boolean,
): void {
  const step = 0.7;
  let [x, y] = from;
  for (let t = 0; t < length; t += step) {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= p.w || yi >= p.h || !stay(yi * p.w + xi)) return;
    splat(p, x, y, amp * step, stay);
    angle += rng.normal() * curl * Math.sqrt(step);
    x += Math.cos(angle) * step;
    y += Math.sin(angle) * step;
  }
}

/** A straight segment of splats (no randomness), clipped by `stay`. */
export function segment(p: Plane, a: [number, number], b: [number, number], amp: number, stay: (i: number) => boolean): void {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const n = Math.max(1, Math.ceil(len / 0.7));
  for (let s = 0; s <= n; s++) {
    const x = a[0] + ((b[0] - a[0]) * s) / n;
    const y = a[1] + ((b[1] - a[1]) * s) / n;
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= p.w || yi >= p.h || !stay(yi * p.w + xi)) continue;
    splat(p, x, y, (amp * len) / n, stay);
  }
}

/** A random pixel of a list, as (x, y) with sub-pixel jitter. */
export function pick(c: CellCtx, list: Int32Array): [number, number] {
  const i = list[c.rng.int(list.length)];
  return [(i % c.maps.w) + c.rng.next() - 0.5, Math.floor(i / c.maps.w) + c.rng.next() - 0.5];
}

/** Microtubules: fibres that fan out from the centrosome to the cell edge; in a dividing
 * cell, a spindle between two poles instead. Drawn into red for every cell, and into
 * green for the Microtubules and Mitotic spindle classes. */
export function drawMicrotubules(p: Plane, c: CellCtx, amp: number, rng: Rng): void {
  const r = c.shape.body.r;
  const stay = inCell(c);
  if (c.shape.dividing) {
    drawSpindle(p, c, amp, rng);
    return;
  }
  const count = Math.round(rng.uniform(40, 70));
  for (let f = 0; f < count; f++) walk(p, rng, c.centrosome, rng.uniform(0, 2 * Math.PI), 2.2 * r, 0.7 / Math.sqrt(r), amp * rng.uniform(0.2, 0.6), stay);
}

export function spindlePoles(c: CellCtx): [[number, number], [number, number]] {
  const n = c.shape.nucleus;
  const d = 1.05 * n.r;
  const ax = -Math.sin(c.shape.plateAngle);
  const ay = Math.cos(c.shape.plateAngle);
  return [
    [n.x + ax * d, n.y + ay * d],
    [n.x - ax * d, n.y - ay * d],
  ];
}

/** Fibres from both poles to points along the metaphase plate, and bright poles. */
export function drawSpindle(p: Plane, c: CellCtx, amp: number, rng: Rng): void {
  const n = c.shape.nucleus;
  const stay = inCell(c);
  const pc = Math.cos(c.shape.plateAngle);
  const ps = Math.sin(c.shape.plateAngle);
  for (const pole of spindlePoles(c)) {
    for (let f = 0; f < 14; f++) {
      const t = rng.uniform(-0.75, 0.75) * n.r;
      segment(p, pole, [n.x + pc * t, n.y + ps * t], amp, stay);
    }
    blob(p, pole[0], pole[1], Math.max(0.7, 0.05 * c.shape.body.r), amp * 1.5, stay);
  }
}
