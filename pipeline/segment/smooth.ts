import type { Plane } from './planes.js';

/** Separable Gaussian blur, edges clamped (replicate), kernel cut at 3 sigma.
 * Plain typed-array loops: see planes.ts for why this is not a GPU kernel. */
export function gaussianBlur(src: Plane, sigma: number): Plane {
  const { width, height, data } = src;
  if (sigma <= 0) return { width, height, data: data.slice() };
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;

  const tmp = new Float32Array(width * height);
  const line = new Float32Array(width + 2 * r);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = -r; x < width + r; x++) line[x + r] = data[row + Math.min(width - 1, Math.max(0, x))];
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let j = 0; j < k.length; j++) s += line[x + j] * k[j];
      tmp[row + x] = s;
    }
  }
  // Vertical pass row by row (whole rows are added with a weight), so memory is read in order
  // instead of striding down columns.
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let j = 0; j < k.length; j++) {
      const src = Math.min(height - 1, Math.max(0, y + j - r)) * width;
      const wj = k[j];
      for (let x = 0; x < width; x++) out[o + x] += tmp[src + x] * wj;
    }
  }
  return { width, height, data: out };
}
