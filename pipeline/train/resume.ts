import { resolve } from 'node:path';
import type { TrainOptions, TrainRecord } from './options.js';

/**
 * An option given again when resuming that the run cannot take: a value that differs from
 * the one the run was trained with, or an epoch count the run has already reached. `option`
 * is the TrainOptions key, so the CLI can name its flag (pipeline/ never does).
 */
export class ResumeConflictError extends Error {
  constructor(
    readonly option: keyof TrainOptions,
    readonly run: string,
    message: string,
  ) {
    super(`${run}: ${message}`);
  }
}

/** Folders compare as absolute paths: the run may have been started from another folder's
 * relative path, which still names the same place when resolved from here. */
const PATHS: ReadonlySet<keyof TrainOptions> = new Set(['data', 'out', 'init', 'cache']);

function same(key: keyof TrainOptions, a: unknown, b: unknown): boolean {
  if (PATHS.has(key) && typeof a === 'string' && typeof b === 'string') return resolve(a) === resolve(b);
  return a === b;
}

/** What resuming changed, for the log. */
export interface ResumeChanges {
  notes: string[];
}

/**
 * The options of a run being resumed, with what was given again applied:
 * - `epochs` sets the run's total (extending a finished or stopped run); it must be above
 *   the epochs already done, and a finished run resumed without it has nothing to do;
 * - `lr` changes the learning rate from the next step on (fine-tuning);
 * - `workers` is how this process decodes, not part of the run;
 * - every other option must equal the run's own.
 * Mutates and returns `record.options`.
 */
export function applyResume(record: TrainRecord, run: string, given: Partial<TrainOptions>): ResumeChanges {
  const o = record.options;
  const done = record.progress.epoch;
  const notes: string[] = [];
  for (const [k, v] of Object.entries(given) as Array<[keyof TrainOptions, unknown]>) {
    if (v === undefined || k === 'epochs' || k === 'lr' || k === 'workers') continue;
    if (!same(k, o[k], v)) {
      throw new ResumeConflictError(k, run, `the run was trained with ${k} ${String(o[k] ?? 'unset')}, not ${String(v)}; a resumed run keeps its options except the epoch count and the learning rate (start a new run to change it)`);
    }
  }
  if (given.workers !== undefined) o.workers = given.workers;
  if (given.epochs !== undefined) {
    if (given.epochs <= done) {
      throw new ResumeConflictError('epochs', run, `has done ${done} epoch${done === 1 ? '' : 's'} already; ask for more than ${done} to extend it`);
    }
    if (given.epochs !== o.epochs) notes.push(`epochs: ${o.epochs} -> ${given.epochs} (${done} done)`);
    o.epochs = given.epochs;
  } else if (done >= o.epochs) {
    throw new ResumeConflictError('epochs', run, `has finished its ${o.epochs} epoch${o.epochs === 1 ? '' : 's'}; ask for more epochs to extend it`);
  }
  if (given.lr !== undefined && given.lr !== o.lr) {
    notes.push(`learning rate: ${o.lr} -> ${given.lr} from epoch ${done + 1}${record.progress.batch ? `, batch ${record.progress.batch + 1}` : ''} (metrics.csv records it per epoch)`);
    o.lr = given.lr;
  }
  return { notes };
}
