import { join } from 'node:path';
import { refuseNonEmpty, refuseOverwrite } from '../../engine/io/refuse-overwrite.js';

/** What predict writes into its output folder: the submission, the cached scores and the
 * cell masks they point to, which the fusion sweep reads to re-fuse without a network. */
export interface PredictPaths {
  submission: string;
  scores: string;
  /** One `{ID}_cells.png` (16-bit instance labels) per field. */
  masks: string;
}

export function predictPaths(dir: string): PredictPaths {
  return { submission: join(dir, 'submission.csv'), scores: join(dir, 'scores.json'), masks: join(dir, 'masks') };
}

/** Throws before any work when an output exists and force is not given. */
export function checkOutputs(p: PredictPaths, force: boolean | undefined): void {
  refuseOverwrite(p.submission, force);
  refuseOverwrite(p.scores, force);
  refuseNonEmpty(p.masks, force);
}
