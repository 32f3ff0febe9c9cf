import type { Labels } from './planes.js';

/** 8-connected components of a 0/1 mask, labelled 1..count in raster order of first pixel. */
export function connectedComponents(mask: Uint8Array, width: number, height: number): Labels {
  const n = width * height;
  const data = new Uint32Array(n);
  const queue = new Int32Array(n);
  let count = 0;
  for (let s = 0; s < n; s++) {
    if (!mask[s] || data[s]) continue;
    const label = ++count;
    data[s] = label;
    let tail = 0;
    queue[tail++] = s;
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
          if (mask[j] && !data[j]) {
            data[j] = label;
            queue[tail++] = j;
          }
        }
      }
    }
  }
  return { width, height, data, count };
}
