/** Drawing into float planes (w x h, row-major) for the synthetic fields. */

export interface Plane {
  w: number;
  h: number;
  data: Float32Array;
}

export function plane(w: number, h: number): Plane {
  return { w, h, data: new Float32Array(w * h) };
}

/** Adds `amp` at a sub-pixel point, shared bilinearly over its four neighbours, where
 * `allow(index)` says so; lines drawn from these stay smooth at any angle. */
export function splat(p: Plane, x: number, y: number, amp: number, allow?: (i: number) => boolean): void {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  for (let dy = 0; dy < 2; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= p.h) continue;
    const wy = dy ? fy : 1 - fy;
    for (let dx = 0; dx < 2; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= p.w) continue;
      const i = yy * p.w + xx;
      if (allow && !allow(i)) continue;
      p.data[i] += amp * wy * (dx ? fx : 1 - fx);
    }
  }
}

/** A Gaussian spot of the given sigma and peak. */
export function blob(p: Plane, x: number, y: number, sigma: number, amp: number, allow?: (i: number) => boolean): void {
  const s = Math.max(0.5, sigma);
  const r = Math.ceil(3 * s);
  const k = -1 / (2 * s * s);
  const xa = Math.max(0, Math.floor(x) - r);
  const xb = Math.min(p.w - 1, Math.floor(x) + r + 1);
  const ya = Math.max(0, Math.floor(y) - r);
  const yb = Math.min(p.h - 1, Math.floor(y) + r + 1);
  for (let yy = ya; yy <= yb; yy++) {
    const dy2 = (yy - y) ** 2;
    for (let xx = xa; xx <= xb; xx++) {
      const i = yy * p.w + xx;
      if (allow && !allow(i)) continue;
      p.data[i] += amp * Math.exp(k * ((xx - x) ** 2 + dy2));
    }
  }
}

/** Box sizes whose three passes approximate a Gaussian of this sigma (Kovesi 2010). */
function boxesForGauss(sigma: number, n = 3): number[] {
  const wIdeal = Math.sqrt((12 * sigma * sigma) / n + 1);
  let wl = Math.floor(wIdeal);
  if (wl % 2 === 0) wl--;
  const wu = wl + 2;
  const m = Math.round((12 * sigma * sigma - n * wl * wl - 4 * n * wl - 3 * n) / (-4 * wl - 4));
  return Array.from({ length: n }, (_, i) => (i < m ? wl : wu));
}

function boxRows(src: Float32Array, dst: Float32Array, w: number, h: number, r: number): void {
  const inv = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    // Edges repeat the border sample, so a blur does not darken the field's rim.
    const first = src[base];
    const last = src[base + w - 1];
    let acc = r * first;
    for (let j = 0; j < r; j++) acc += src[base + Math.min(j, w - 1)];
    for (let j = 0; j < w; j++) {
      acc += j + r < w ? src[base + j + r] : last;
      dst[base + j] = acc * inv;
      acc -= j - r >= 0 ? src[base + j - r] : first;
    }
  }
}

/** The same along columns, sweeping whole rows at a time so memory is read in order. */
function boxCols(src: Float32Array, dst: Float32Array, w: number, h: number, r: number): void {
  const inv = 1 / (2 * r + 1);
  const acc = new Float32Array(w);
  const row = (y: number) => Math.min(Math.max(y, 0), h - 1) * w;
  for (let j = -r; j < r; j++) {
    const o = row(j);
    for (let x = 0; x < w; x++) acc[x] += src[o + x];
  }
  for (let y = 0; y < h; y++) {
    const add = row(y + r);
    const drop = row(y - r - 1);
    const out = y * w;
    for (let x = 0; x < w; x++) {
      acc[x] += src[add + x] - (y === 0 ? 0 : src[drop + x]);
      dst[out + x] = acc[x] * inv;
    }
  }
}

/** An approximate Gaussian blur (three box passes per axis: cost independent of sigma). */
export function gaussianBlur(p: Plane, sigma: number): void {
  if (sigma < 0.3) return;
  const tmp = new Float32Array(p.data.length);
  for (const box of boxesForGauss(sigma)) {
    const r = (box - 1) / 2;
    if (r < 1) continue;
    boxRows(p.data, tmp, p.w, p.h, r);
    boxCols(tmp, p.data, p.w, p.h, r);
  }
}

const D1 = 1;
const D2 = Math.SQRT2;

/** Two-pass chamfer distance (3x3, weights 1 and sqrt 2) from the pixels where `seed` is
 * non-negative, starting at that value: a close enough Euclidean distance for shading. */
export function chamfer(w: number, h: number, seed: Float32Array): Float32Array {
  const d = new Float32Array(w * h);
  for (let i = 0; i < d.length; i++) d[i] = seed[i] >= 0 ? seed[i] : 1e9;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let v = d[i];
      if (x > 0) v = Math.min(v, d[i - 1] + D1);
      if (y > 0) {
        v = Math.min(v, d[i - w] + D1);
        if (x > 0) v = Math.min(v, d[i - w - 1] + D2);
        if (x < w - 1) v = Math.min(v, d[i - w + 1] + D2);
      }
      d[i] = v;
    }
  }
  for (let y = h - 1; y >= 0; y--) {
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      let v = d[i];
      if (x < w - 1) v = Math.min(v, d[i + 1] + D1);
      if (y < h - 1) {
        v = Math.min(v, d[i + w] + D1);
        if (x < w - 1) v = Math.min(v, d[i + w + 1] + D2);
        if (x > 0) v = Math.min(v, d[i + w - 1] + D2);
      }
      d[i] = v;
    }
  }
  return d;
}

/** Distance from each labelled pixel to the edge of its own region (0.5 on the edge
 * pixels themselves). The image border is not an edge: cells run on past it. */
export function distanceToEdge(w: number, h: number, labels: Uint16Array): Float32Array {
  const seed = new Float32Array(w * h).fill(-1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const l = labels[i];
      if (
        (x > 0 && labels[i - 1] !== l) ||
        (x < w - 1 && labels[i + 1] !== l) ||
        (y > 0 && labels[i - w] !== l) ||
        (y < h - 1 && labels[i + w] !== l)
      ) {
        seed[i] = 0.5;
      }
    }
  }
  return chamfer(w, h, seed);
}

/** Distance from every pixel to the nearest pixel where `mask` is set (0 there). */
export function distanceTo(w: number, h: number, mask: ArrayLike<number>): Float32Array {
  const seed = new Float32Array(w * h);
  for (let i = 0; i < seed.length; i++) seed[i] = mask[i] ? 0 : -1;
  return chamfer(w, h, seed);
}

export function smoothstep(a: number, b: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - a) / (b - a)));
  return t * t * (3 - 2 * t);
}
