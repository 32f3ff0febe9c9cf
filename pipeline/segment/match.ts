import type { Labels } from './planes.js';
import { labelAreas } from './sizes.js';

export interface MatchResult {
  predicted: number;
  reference: number;
  matched: number;
  precision: number;
  recall: number;
  f1: number;
  /** Mean over reference objects of the best IoU any predicted object reaches (0 if none):
   * unlike a mean over matches only, it also drops when objects are missed. */
  meanIoU: number;
  /** [predicted label, reference label, IoU] of each one-to-one match. */
  pairs: Array<[number, number, number]>;
}

/** Pixel overlaps between every pair of objects that touch: key = p * (ref.count + 1) + r. */
function overlaps(pred: Labels, ref: Labels): Map<number, number> {
  if (pred.width !== ref.width || pred.height !== ref.height) {
    throw new Error(`compare: label sizes differ (${pred.width}x${pred.height} vs reference ${ref.width}x${ref.height})`);
  }
  const stride = ref.count + 1;
  const inter = new Map<number, number>();
  for (let i = 0; i < pred.data.length; i++) {
    const p = pred.data[i];
    const r = ref.data[i];
    if (!p || !r) continue;
    const key = p * stride + r;
    inter.set(key, (inter.get(key) ?? 0) + 1);
  }
  return inter;
}

/** One-to-one matching at IoU >= threshold, greedy by IoU (exact for thresholds above 0.5,
 * where no object can reach that IoU with two others). */
export function matchInstances(pred: Labels, ref: Labels, threshold = 0.6): MatchResult {
  const inter = overlaps(pred, ref);
  const pa = labelAreas(pred);
  const ra = labelAreas(ref);
  const stride = ref.count + 1;
  const bestForRef = new Float64Array(ref.count + 1);
  const candidates: Array<[number, number, number]> = [];
  for (const [key, n] of inter) {
    const p = Math.floor(key / stride);
    const r = key % stride;
    const iou = n / (pa[p] + ra[r] - n);
    if (iou > bestForRef[r]) bestForRef[r] = iou;
    if (iou >= threshold) candidates.push([p, r, iou]);
  }
  candidates.sort((a, b) => b[2] - a[2]);
  const usedP = new Set<number>();
  const usedR = new Set<number>();
  const pairs: Array<[number, number, number]> = [];
  for (const c of candidates) {
    if (usedP.has(c[0]) || usedR.has(c[1])) continue;
    usedP.add(c[0]);
    usedR.add(c[1]);
    pairs.push(c);
  }
  const predicted = countPresent(pa);
  const reference = countPresent(ra);
  const matched = pairs.length;
  const precision = predicted ? matched / predicted : reference ? 0 : 1;
  const recall = reference ? matched / reference : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  let sum = 0;
  for (let r = 1; r <= ref.count; r++) if (ra[r]) sum += bestForRef[r];
  return { predicted, reference, matched, precision, recall, f1, meanIoU: reference ? sum / reference : 1, pairs };
}

function countPresent(areas: Int32Array): number {
  let n = 0;
  for (let l = 1; l < areas.length; l++) if (areas[l]) n++;
  return n;
}

/** Share of reference objects that hold a found nucleus: at least half of some nucleus lies
 * inside them. A cell without one cannot be found by a nucleus-seeded watershed at all. */
export function nucleusCoverage(nuclei: Labels, ref: Labels): number {
  const inter = overlaps(nuclei, ref);
  const na = labelAreas(nuclei);
  const stride = ref.count + 1;
  const covered = new Set<number>();
  for (const [key, n] of inter) {
    const p = Math.floor(key / stride);
    if (n * 2 >= na[p]) covered.add(key % stride);
  }
  const reference = countPresent(labelAreas(ref));
  return reference ? covered.size / reference : 1;
}

/** Sums matches over fields: the overall figures weigh every object equally. */
export function combineMatches(results: MatchResult[]): MatchResult {
  const predicted = results.reduce((s, r) => s + r.predicted, 0);
  const reference = results.reduce((s, r) => s + r.reference, 0);
  const matched = results.reduce((s, r) => s + r.matched, 0);
  const precision = predicted ? matched / predicted : reference ? 0 : 1;
  const recall = reference ? matched / reference : 1;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const iouSum = results.reduce((s, r) => s + r.meanIoU * r.reference, 0);
  return { predicted, reference, matched, precision, recall, f1, meanIoU: reference ? iouSum / reference : 1, pairs: [] };
}
