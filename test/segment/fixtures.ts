import { Rng } from '../../engine/random.js';
import type { GrayImage } from '../../pipeline/png.js';
import type { FieldChannels } from '../../pipeline/segment/field.js';
import type { Labels } from '../../pipeline/segment/planes.js';

export interface CartoonCell {
  x: number;
  y: number;
  /** Cell radii and rotation; the nucleus is a smaller ellipse at the centre. */
  rx: number;
  ry: number;
  angle: number;
}

/** A small field of elliptical cells with elliptical nuclei, noise and soft edges, plus the
 * true cell labels (touching cells split at the nearer centre, in ellipse metric). Enough to
 * check the whole chain on a known answer in milliseconds. */
export function cartoonField(size: number, cells: CartoonCell[], seed = 1, brightness = 1): { ch: FieldChannels; truth: Labels } {
  const rng = new Rng(seed);
  const n = size * size;
  const truth = new Uint32Array(n);
  const red = new Uint8Array(n);
  const yellow = new Uint8Array(n);
  const blue = new Uint8Array(n);
  const green = new Uint8Array(n);
  const dims = cells.map((c, k) => ({ ...c, nucleus: 0.45, level: brightness * (60 + 25 * (k % 3)) }));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      let best = -1;
      let bestR = Infinity;
      dims.forEach((c, k) => {
        const dx = x - c.x;
        const dy = y - c.y;
        const u = (dx * Math.cos(c.angle) + dy * Math.sin(c.angle)) / c.rx;
        const v = (-dx * Math.sin(c.angle) + dy * Math.cos(c.angle)) / c.ry;
        const r = Math.hypot(u, v);
        if (r < bestR) [best, bestR] = [k, r];
      });
      const noise = () => Math.max(0, 3 + 2 * rng.normal());
      let cyto = noise();
      let dapi = noise();
      if (bestR < 1) {
        const c = dims[best];
        truth[i] = best + 1;
        // Bright near the nucleus, fading towards the edge, as ER and microtubules do.
        cyto += c.level * (1.1 - 0.8 * bestR) * (0.8 + 0.4 * rng.next());
        if (bestR < c.nucleus) dapi += 2 * c.level * (0.9 + 0.2 * rng.next());
      }
      red[i] = Math.min(255, Math.round(cyto));
      yellow[i] = Math.min(255, Math.round(cyto * 0.8 + noise()));
      blue[i] = Math.min(255, Math.round(dapi));
      green[i] = Math.min(255, Math.round(noise()));
    }
  }
  const img = (data: Uint8Array): GrayImage => ({ width: size, height: size, depth: 8, data });
  return { ch: { red: img(red), green: img(green), blue: img(blue), yellow: img(yellow) }, truth: { width: size, height: size, data: truth, count: cells.length } };
}

/** A 256^2 field: isolated cells, a touching pair, and a cell cut by the right edge. */
export const CARTOON: CartoonCell[] = [
  { x: 50, y: 50, rx: 34, ry: 26, angle: 0.3 },
  { x: 150, y: 60, rx: 30, ry: 30, angle: 0 },
  { x: 60, y: 170, rx: 40, ry: 24, angle: -0.5 },
  { x: 145, y: 175, rx: 30, ry: 26, angle: 0.2 },
  { x: 203, y: 170, rx: 30, ry: 28, angle: 0 },
  { x: 245, y: 70, rx: 30, ry: 28, angle: 0 },
];

/** Two cells whose nuclei touch: only the waist of the joint DAPI blob tells them apart. */
export const TOUCHING_NUCLEI: CartoonCell[] = [
  { x: 100, y: 64, rx: 36, ry: 30, angle: 0 },
  { x: 128, y: 64, rx: 36, ry: 30, angle: 0 },
];
