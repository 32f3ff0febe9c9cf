import type { Rng } from '../../engine/random.js';
import { fbm } from './noise.js';

/** An irregular closed outline: radius r, stretched by `elong` along `orient`, with a
 * few low harmonics wobbling the edge. */
export interface Outline {
  x: number;
  y: number;
  r: number;
  elong: number;
  cos: number;
  sin: number;
  harm: { m: number; a: number; cosP: number; sinP: number }[];
}

export interface CellShape {
  body: Outline;
  nucleus: Outline;
  dividing: boolean;
  /** Direction of the metaphase plate in a dividing cell. */
  plateAngle: number;
}

function outline(rng: Rng, x: number, y: number, r: number, wobble: number, elong: number): Outline {
  const angle = rng.uniform(0, Math.PI);
  return {
    x,
    y,
    r,
    elong,
    cos: Math.cos(angle),
    sin: Math.sin(angle),
    harm: [2, 3, 4, 5].map((m) => {
      const a = (wobble * rng.uniform(0.3, 1)) / (m - 1);
      const phase = rng.uniform(0, 2 * Math.PI);
      return { m, a, cosP: Math.cos(phase), sinP: Math.sin(phase) };
    }),
  };
}

/** Where a point lies relative to an outline: < 1 inside, 1 on the edge. The harmonics
 * cos(m a + phase) come from powers of (cos a, sin a) rather than atan2 and cos: this runs
 * for every pixel near every cell. */
export function outlineRho(o: Outline, px: number, py: number): number {
  const dx = px - o.x;
  const dy = py - o.y;
  const sa = 1 + o.elong;
  const u = (dx * o.cos + dy * o.sin) / sa;
  const v = (-dx * o.sin + dy * o.cos) * sa;
  const rr = Math.sqrt(u * u + v * v);
  if (rr === 0) return 0;
  const c1 = u / rr;
  const s1 = v / rr;
  let cm = c1;
  let sm = s1;
  let rad = 1;
  let m = 1;
  for (const h of o.harm) {
    while (m < h.m) {
      const c = cm * c1 - sm * s1;
      sm = sm * c1 + cm * s1;
      cm = c;
      m++;
    }
    rad += h.a * (cm * h.cosP - sm * h.sinP);
  }
  return rr / (o.r * rad);
}

function reach(o: Outline): number {
  let wob = 1;
  for (const h of o.harm) wob += Math.abs(h.a);
  return o.r * (1 + o.elong) * wob + 2;
}

export interface Layout {
  w: number;
  h: number;
  cells: CellShape[];
  /** Instance labels: 0 background, cell k (1-based, in `cells` order) has value k. */
  cellMap: Uint16Array;
  /** The same labels on nucleus pixels only (the metaphase plate in a dividing cell). */
  nucMap: Uint16Array;
}

/**
 * Lays out `count` cells that look like a confluent-to-sparse HPA field: centres spread by
 * dart throwing, each pixel taken by the cell it lies deepest inside (so neighbours touch
 * along curved borders instead of overlapping), ragged by a little noise; a nucleus
 * inside each body. Cells may run off the field's edge, as they do in real fields.
 */
export function layoutCells(rng: Rng, w: number, h: number, count: number, dividingChance: number): Layout {
  const coverage = rng.uniform(0.45, 0.85);
  const rMean = Math.min(0.32 * Math.min(w, h), Math.sqrt((coverage * w * h) / (count * Math.PI)));
  let minDist = 1.45 * rMean;
  const centres: [number, number][] = [];
  let misses = 0;
  while (centres.length < count) {
    const x = rng.uniform(0.1 * rMean, w - 0.1 * rMean);
    const y = rng.uniform(0.1 * rMean, h - 0.1 * rMean);
    if (centres.every(([cx, cy]) => (cx - x) ** 2 + (cy - y) ** 2 >= minDist * minDist)) {
      centres.push([x, y]);
      misses = 0;
    } else if (++misses > 200) {
      minDist *= 0.95; // a crowded field: let cells come closer rather than give up
      misses = 0;
    }
  }
  const shapes: CellShape[] = centres.map(([x, y]) => {
    const dividing = rng.next() < dividingChance;
    const r = rMean * rng.uniform(0.85, 1.2) * (dividing ? 0.8 : 1);
    const body = outline(rng, x, y, r, dividing ? 0.04 : rng.uniform(0.08, 0.2), dividing ? 0.03 : rng.next() < 0.3 ? rng.uniform(0.35, 0.7) : rng.uniform(0, 0.3));
    const off = rng.uniform(0, 0.12 * r);
    const offA = rng.uniform(0, 2 * Math.PI);
    const nr = r * rng.uniform(0.36, 0.5);
    const nucleus = outline(rng, x + off * Math.cos(offA), y + off * Math.sin(offA), nr, rng.uniform(0.02, 0.07), rng.uniform(0, 0.25));
    return { body, nucleus, dividing, plateAngle: rng.uniform(0, Math.PI) };
  });

  // Ragged borders: the edge test sees a slightly noisy depth.
  const jitter = fbm(w, h, Math.max(2, rMean / 3), 2, rng.nextU32());
  const cellMap = new Uint16Array(w * h);
  const best = new Float32Array(w * h).fill(1);
  shapes.forEach((s, k) => {
    const o = s.body;
    const R = reach(o) * 1.1;
    const xa = Math.max(0, Math.floor(o.x - R));
    const xb = Math.min(w - 1, Math.ceil(o.x + R));
    const ya = Math.max(0, Math.floor(o.y - R));
    const yb = Math.min(h - 1, Math.ceil(o.y + R));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const i = y * w + x;
        const rho = outlineRho(o, x, y) + 0.12 * (jitter[i] - 0.5);
        if (rho < best[i]) {
          best[i] = rho;
          cellMap[i] = k + 1;
        }
      }
    }
  });

  const nucMap = new Uint16Array(w * h);
  shapes.forEach((s, k) => {
    const id = k + 1;
    const n = s.nucleus;
    const R = s.dividing ? n.r : reach(n);
    const xa = Math.max(0, Math.floor(n.x - R));
    const xb = Math.min(w - 1, Math.ceil(n.x + R));
    const ya = Math.max(0, Math.floor(n.y - R));
    const yb = Math.min(h - 1, Math.ceil(n.y + R));
    const pc = Math.cos(s.plateAngle);
    const ps = Math.sin(s.plateAngle);
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const i = y * w + x;
        if (cellMap[i] !== id) continue;
        let inside: boolean;
        if (s.dividing) {
          // Condensed chromosomes line up in a bar across the cell's middle.
          const along = (x - n.x) * pc + (y - n.y) * ps;
          const across = -(x - n.x) * ps + (y - n.y) * pc;
          inside = Math.abs(along) < 0.8 * n.r * (1 - 0.2 * jitter[i]) && Math.abs(across) < 0.22 * n.r * (0.8 + 0.4 * jitter[i]);
        } else inside = outlineRho(n, x, y) < 1;
        if (inside) nucMap[i] = id;
      }
    }
  });
  return compact({ w, h, cells: shapes, cellMap, nucMap });
}

/** Drops cells their neighbours squeezed out (no nucleus or too few pixels) and renumbers
 * the rest 1..n, so every value in the truth mask is a real cell. */
function compact(l: Layout): Layout {
  const n = l.cells.length;
  const area = new Int32Array(n + 1);
  const nucArea = new Int32Array(n + 1);
  for (let i = 0; i < l.cellMap.length; i++) {
    area[l.cellMap[i]]++;
    nucArea[l.nucMap[i]]++;
  }
  const remap = new Uint16Array(n + 1);
  const cells: CellShape[] = [];
  for (let k = 1; k <= n; k++) {
    if (nucArea[k] >= 4 && area[k] >= 16) {
      cells.push(l.cells[k - 1]);
      remap[k] = cells.length;
    }
  }
  if (cells.length === n) return l;
  for (let i = 0; i < l.cellMap.length; i++) {
    l.cellMap[i] = remap[l.cellMap[i]];
    l.nucMap[i] = remap[l.nucMap[i]];
  }
  return { ...l, cells };
}
