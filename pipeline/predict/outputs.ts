import { existsSync, readdirSync, statSync } from 'node:fs';
import { refuseOverwrite } from '../blend.js';

/** What predict writes: the submission, and beside it the cached scores and the cell masks
 * they point to, which `evaluate --sweep --scores` reads to re-fuse without a network. */
export interface PredictPaths {
  submission: string;
  /** `<out without .csv>.scores.json` */
  scores: string;
  /** `<out without .csv>.masks/`, one `{ID}_cells.png` (16-bit instance labels) per field. */
  masks: string;
}

export function predictPaths(out: string): PredictPaths {
  const base = out.toLowerCase().endsWith('.csv') ? out.slice(0, -4) : out;
  return { submission: out, scores: `${base}.scores.json`, masks: `${base}.masks` };
}

/** Throws before any work when an output exists and force is not given. */
export function checkOutputs(p: PredictPaths, force: boolean | undefined): void {
  refuseOverwrite(p.submission, force);
  refuseOverwrite(p.scores, force);
  if (!existsSync(p.masks)) return;
  if (!statSync(p.masks).isDirectory()) throw new Error(`${p.masks}: exists and is not a folder (predict writes the cell masks there)`);
  if (readdirSync(p.masks).length && !force) throw new Error(`${p.masks} is not empty (use --force to write into it)`);
}
