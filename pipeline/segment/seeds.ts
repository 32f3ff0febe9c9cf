import type { Labels, Plane } from './planes.js';
import { connectedComponents } from './components.js';

/** Grayscale reconstruction by dilation of `marker` under `mask` (marker <= mask), in place
 * on a copy of marker, 8-connected. Vincent's hybrid algorithm: one raster and one
 * anti-raster sweep settle most pixels, a FIFO finishes the rest, so it stays O(n)-ish. */
export function reconstructByDilation(marker: Float32Array, mask: Float32Array, width: number, height: number): Float32Array {
  const g = marker.slice();
  const n = width * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let m = g[i];
      if (x > 0 && g[i - 1] > m) m = g[i - 1];
      if (y > 0) {
        const u = i - width;
        if (g[u] > m) m = g[u];
        if (x > 0 && g[u - 1] > m) m = g[u - 1];
        if (x < width - 1 && g[u + 1] > m) m = g[u + 1];
      }
      g[i] = m < mask[i] ? m : mask[i];
    }
  }
  const queue = new Int32Array(n);
  const inQueue = new Uint8Array(n);
  let head = 0;
  let tail = 0;
  const push = (i: number) => {
    if (inQueue[i]) return;
    inQueue[i] = 1;
    queue[tail] = i;
    tail = tail + 1 === n ? 0 : tail + 1;
  };
  let pending = 0;
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      let m = g[i];
      if (x < width - 1 && g[i + 1] > m) m = g[i + 1];
      if (y < height - 1) {
        const d = i + width;
        if (g[d] > m) m = g[d];
        if (x < width - 1 && g[d + 1] > m) m = g[d + 1];
        if (x > 0 && g[d - 1] > m) m = g[d - 1];
      }
      const v = m < mask[i] ? m : mask[i];
      g[i] = v;
      // A later-in-raster neighbour that could still rise from this pixel: finish it by FIFO.
      const canRaise = (j: number) => g[j] < v && g[j] < mask[j];
      if (
        (x < width - 1 && canRaise(i + 1)) ||
        (y < height - 1 && (canRaise(i + width) || (x < width - 1 && canRaise(i + width + 1)) || (x > 0 && canRaise(i + width - 1))))
      ) {
        push(i);
        pending++;
      }
    }
  }
  while (pending > 0) {
    const i = queue[head];
    head = head + 1 === n ? 0 : head + 1;
    inQueue[i] = 0;
    pending--;
    const x = i % width;
    const y = (i - x) / width;
    const v = g[i];
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if ((dx === 0 && dy === 0) || xx < 0 || xx >= width) continue;
        const j = yy * width + xx;
        if (g[j] < v && g[j] !== mask[j]) {
          g[j] = v < mask[j] ? v : mask[j];
          if (!inQueue[j]) {
            push(j);
            pending++;
          }
        }
      }
    }
  }
  return g;
}

/** Markers at the maxima of `f` whose dynamic (height above the saddle that joins them to a
 * higher maximum) is at least h: the regional maxima of the h-maxima transform R(f - h).
 * Unlike a fixed-radius peak search this keeps one seed per elongated nucleus (its ridge is
 * flat) but two for a waisted pair. Only pixels inside `inside`; outside it f counts as a
 * floor below everything, so every separate object keeps its highest peak however low. */
export function hMaximaMarkers(f: Plane, h: number, inside: Uint8Array): Labels {
  const { width, height, data } = f;
  let lo = Infinity;
  for (let i = 0; i < data.length; i++) if (inside[i] && data[i] < lo) lo = data[i];
  const floor = lo - h;
  const g = new Float32Array(data.length);
  const shifted = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    g[i] = inside[i] ? data[i] : floor;
    shifted[i] = g[i] - h;
  }
  return regionalMaxima(reconstructByDilation(shifted, g, width, height), width, height, inside);
}

/** Plateaus (8-connected, equal value) inside `inside` with no higher neighbour, labelled.
 * Exact float equality is right here: plateau values of a reconstruction are copies. */
export function regionalMaxima(g: Float32Array, width: number, height: number, inside: Uint8Array): Labels {
  const n = width * height;
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  const tops = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    if (!inside[s] || seen[s]) continue;
    const v = g[s];
    let tail = 0;
    queue[tail++] = s;
    seen[s] = 1;
    let isMax = true;
    for (let head = 0; head < tail; head++) {
      const i = queue[head];
      const x = i % width;
      const y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const j = yy * width + xx;
          if (g[j] > v) isMax = false;
          else if (g[j] === v && inside[j] && !seen[j]) {
            seen[j] = 1;
            queue[tail++] = j;
          }
        }
      }
    }
    if (isMax) for (let k = 0; k < tail; k++) tops[queue[k]] = 1;
  }
  return connectedComponents(tops, width, height);
}
