import type { Rng } from '../../engine/random.js';
import { NEGATIVE, NUM_LABELS } from '../labels.js';

export const SPINDLE = 11;

/** How often each class heads a synthetic field: the competition's train.csv counts,
 * square-rooted and floored so that rare classes (spindle: 78 images) still show up often
 * enough to learn from. */
const IMAGE_COUNTS = [8797, 1095, 2451, 1262, 1425, 1792, 775, 1846, 964, 1011, 818, 78, 1734, 3216, 2013, 252, 5685, 621, 34];
const WEIGHTS = IMAGE_COUNTS.map((c, l) => (l === NEGATIVE ? 0 : Math.max(Math.sqrt(c), 20)));
const TOTAL = WEIGHTS.reduce((a, b) => a + b, 0);

function drawClass(rng: Rng, exclude: readonly number[]): number {
  for (;;) {
    let u = rng.next() * TOTAL;
    let l = 0;
    for (; l < NUM_LABELS - 1; l++) if ((u -= WEIGHTS[l]) < 0) break;
    if (l < NUM_LABELS - 1 && !exclude.includes(l)) return l;
  }
}

/** The labels a field is about: one (48%), two (41%) or three (11%) classes as in
 * train.csv, or Negative alone (5%). */
export function drawFieldLabels(rng: Rng): number[] {
  if (rng.next() < 0.05) return [NEGATIVE];
  const u = rng.next();
  const k = u < 0.48 ? 1 : u < 0.89 ? 2 : 3;
  const out: number[] = [];
  while (out.length < k) out.push(drawClass(rng, out));
  return out.sort((a, b) => a - b);
}

/** A label that only some cells of the field show (about a third of fields have one). */
export function drawMinorLabel(rng: Rng, field: readonly number[]): number | undefined {
  const u = rng.next();
  const l = drawClass(rng, [...field, SPINDLE]);
  return u < 0.35 && !field.includes(NEGATIVE) ? l : undefined;
}

/**
 * One cell's labels: the field's, now and then one of them missing, the field's minor
 * label in some cells, and a few cells with no specific signal (single-cell variability,
 * why the competition gives only image labels). The mitotic spindle shows only in a
 * dividing cell.
 */
export function drawCellLabels(rng: Rng, field: readonly number[], minor: number | undefined, dividing: boolean): number[] {
  if (field.length === 1 && field[0] === NEGATIVE) return [NEGATIVE];
  const drop = rng.next();
  const which = rng.int(field.length);
  const add = rng.next();
  const silent = rng.next();
  let ls = field.filter((l) => l !== SPINDLE || dividing);
  if (drop < 0.1 && ls.length > 1) ls = ls.filter((l) => l !== field[which]);
  if (minor !== undefined && add < 0.4) ls.push(minor);
  if (silent < 0.04) ls = [];
  if (!ls.length) return [NEGATIVE];
  return [...new Set(ls)].sort((a, b) => a - b);
}

/** The image label: the union of its cells' labels. Negative only when no cell shows a
 * specific pattern, as in train.csv, where Negative never appears with another label. */
export function imageLabels(cells: readonly (readonly number[])[]): number[] {
  const all = new Set(cells.flat());
  if (all.size > 1) all.delete(NEGATIVE);
  return [...all].sort((a, b) => a - b);
}
