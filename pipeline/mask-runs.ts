import type { RleCounts } from './rle.js';

/** A binary mask as its foreground runs [start, end) in column-major pixel order, plus the
 * box those runs span, so that overlaps cost O(runs) and far-apart masks cost O(1). */
export interface MaskRuns {
  starts: Int32Array;
  ends: Int32Array;
  area: number;
  /** Inclusive box; empty masks get x0 > x1. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export function runsFromCounts(counts: RleCounts, height: number): MaskRuns {
  const n = counts.length >> 1;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let p = 0;
  let area = 0;
  let x0 = Infinity;
  let x1 = -1;
  let y0 = Infinity;
  let y1 = -1;
  let m = 0;
  for (let k = 0; k < counts.length; k++) {
    const q = p + counts[k];
    if (k & 1 && q > p) {
      starts[m] = p;
      ends[m++] = q;
      area += q - p;
      const xa = Math.floor(p / height);
      const xb = Math.floor((q - 1) / height);
      if (xa < x0) x0 = xa;
      if (xb > x1) x1 = xb;
      // A run that wraps into another column reaches both the bottom and the top row.
      const ya = xa === xb ? p - xa * height : 0;
      const yb = xa === xb ? q - 1 - xb * height : height - 1;
      if (ya < y0) y0 = ya;
      if (yb > y1) y1 = yb;
    }
    p = q;
  }
  return { starts: starts.subarray(0, m), ends: ends.subarray(0, m), area, x0, x1, y0, y1 };
}

/** Pixels in both masks: a merge of the two sorted run lists. */
export function intersectionArea(a: MaskRuns, b: MaskRuns): number {
  if (a.x1 < b.x0 || b.x1 < a.x0 || a.y1 < b.y0 || b.y1 < a.y0) return 0;
  let i = 0;
  let j = 0;
  let inter = 0;
  const { starts: as, ends: ae } = a;
  const { starts: bs, ends: be } = b;
  while (i < as.length && j < bs.length) {
    const lo = as[i] > bs[j] ? as[i] : bs[j];
    const hi = ae[i] < be[j] ? ae[i] : be[j];
    if (hi > lo) inter += hi - lo;
    if (ae[i] < be[j]) i++;
    else j++;
  }
  return inter;
}

/** Intersection over union; 0 when both are empty. */
export function maskIou(a: MaskRuns, b: MaskRuns): number {
  const inter = intersectionArea(a, b);
  const union = a.area + b.area - inter;
  return union > 0 ? inter / union : 0;
}
