import type { Labels, Plane } from './planes.js';

/** Seeded watershed by flooding: every seed label grows into `allowed` pixels in order of the
 * landscape height (low first), each pixel taking the label of the neighbour that reached it.
 * A bucket queue over `levels` quantised heights keeps it O(n); buckets are FIFO, so on a
 * plateau fronts advance at equal speed and meet in the middle. A pixel's priority is never
 * below the level being flooded (flooding is monotone), which keeps the queue a single pass.
 * Pixels no seed can reach stay 0. 4-connected growth, so fronts cannot leak diagonally. */
export function seededWatershed(landscape: Plane, seeds: Labels, allowed: Uint8Array, levels = 4096): Labels {
  const { width, height, data: f } = landscape;
  const n = width * height;
  const out = new Uint32Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!allowed[i] && !seeds.data[i]) continue;
    if (f[i] < lo) lo = f[i];
    if (f[i] > hi) hi = f[i];
  }
  const scale = hi > lo ? (levels - 1) / (hi - lo) : 0;
  const level = (i: number) => Math.round((f[i] - lo) * scale);

  // One singly-linked FIFO per level; a pixel is queued at most once (labelled on push).
  const next = new Int32Array(n).fill(-1);
  const headOf = new Int32Array(levels).fill(-1);
  const tailOf = new Int32Array(levels).fill(-1);
  const push = (i: number, lv: number) => {
    if (tailOf[lv] < 0) headOf[lv] = i;
    else next[tailOf[lv]] = i;
    tailOf[lv] = i;
  };

  let current = levels;
  for (let i = 0; i < n; i++) {
    if (!seeds.data[i]) continue;
    out[i] = seeds.data[i];
    const lv = level(i);
    push(i, lv);
    if (lv < current) current = lv;
  }
  for (let lv = current; lv < levels; lv++) {
    while (headOf[lv] >= 0) {
      const i = headOf[lv];
      headOf[lv] = next[i];
      if (headOf[lv] < 0) tailOf[lv] = -1;
      const label = out[i];
      const x = i % width;
      const visit = (j: number) => {
        if (out[j] || !allowed[j]) return;
        out[j] = label;
        const lj = level(j);
        push(j, lj > lv ? lj : lv);
      };
      if (x > 0) visit(i - 1);
      if (x < width - 1) visit(i + 1);
      if (i >= width) visit(i - width);
      if (i < n - width) visit(i + width);
    }
  }
  return { width, height, data: out, count: seeds.count };
}
