import type { Plane } from './planes.js';

/** Exact Euclidean distance from each foreground pixel to the nearest background pixel
 * (Felzenszwalb & Huttenlocher's two-pass lower-envelope algorithm, O(n)). Pixels beyond the
 * image edge do not count as background, so an object cut by the border is not thinned there.
 * Background pixels get 0. */
export function distanceTransform(mask: Uint8Array, width: number, height: number): Plane {
  const INF = 1e20;
  const f = new Float64Array(Math.max(width, height));
  const d = new Float64Array(Math.max(width, height));
  const v = new Int32Array(Math.max(width, height));
  const z = new Float64Array(Math.max(width, height) + 1);
  const sq = new Float64Array(width * height);
  for (let i = 0; i < sq.length; i++) sq[i] = mask[i] ? INF : 0;

  const pass = (n: number) => {
    let k = 0;
    v[0] = 0;
    z[0] = -INF;
    z[1] = INF;
    for (let q = 1; q < n; q++) {
      let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      while (s <= z[k]) {
        k--;
        s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = INF;
    }
    k = 0;
    for (let q = 0; q < n; q++) {
      while (z[k + 1] < q) k++;
      const dq = q - v[k];
      d[q] = dq * dq + f[v[k]];
    }
  };

  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = sq[y * width + x];
    pass(height);
    for (let y = 0; y < height; y++) sq[y * width + x] = d[y];
  }
  // With no background at all, every pixel is 'as far as the image is big'.
  const far = width + height;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) f[x] = sq[row + x];
    pass(width);
    for (let x = 0; x < width; x++) out[row + x] = d[x] >= INF ? far : Math.sqrt(d[x]);
  }
  return { width, height, data: out };
}
