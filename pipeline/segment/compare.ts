import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Labels } from './planes.js';
import { combineMatches, matchInstances, nucleusCoverage, type MatchResult } from './match.js';
import { readLabelPng } from './output.js';

/** Where a reference mask for `id` may sit: the HPA networks' masks as in hpa-sample, a
 * segment output folder, or a synthetic dataset's truth (train/{ID}_cells.png). */
export function referencePath(dir: string, id: string): string {
  const candidates = [`${id}_predictedmask.png`, `${id}_cells.png`, join('train', `${id}_cells.png`)].map((f) => join(dir, f));
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`compare: no reference mask for ${id} in ${dir} (looked for ${id}_predictedmask.png, ${id}_cells.png, train/${id}_cells.png)`);
  return found;
}

export interface FieldComparison extends MatchResult {
  id: string;
  /** Share of reference cells that hold a produced nucleus. */
  nucleusCoverage: number;
}

export function compareField(id: string, cells: Labels, nuclei: Labels, refDir: string, iou = 0.6): FieldComparison {
  const file = referencePath(refDir, id);
  const ref = readLabelPng(file);
  if (ref.width !== cells.width || ref.height !== cells.height) {
    throw new Error(`${file}: ${ref.width}x${ref.height} but the field is ${cells.width}x${cells.height}`);
  }
  return { id, ...matchInstances(cells, ref, iou), nucleusCoverage: nucleusCoverage(nuclei, ref) };
}

export function overallComparison(fields: FieldComparison[]): FieldComparison {
  const refs = fields.reduce((s, f) => s + f.reference, 0);
  const covered = fields.reduce((s, f) => s + f.nucleusCoverage * f.reference, 0);
  return { id: 'overall', ...combineMatches(fields), nucleusCoverage: refs ? covered / refs : 1 };
}

export function formatComparison(c: FieldComparison): string {
  const p = (v: number) => v.toFixed(3);
  return (
    `${c.id}: cells ${c.predicted} vs ${c.reference} reference, matched ${c.matched} at IoU>=0.6; ` +
    `precision ${p(c.precision)} recall ${p(c.recall)} F1 ${p(c.f1)} mean IoU ${p(c.meanIoU)} nuclei found ${p(c.nucleusCoverage)}`
  );
}
