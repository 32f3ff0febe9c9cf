import type { Dataset } from '../dataset.js';
import { foldSplit, randomSplit, stratifiedFolds, type Split } from '../splits.js';
import type { TrainOptions } from './options.js';

/** The run's train/validation split: stratified fold k of N, or a seeded random hold-out. */
export function runSplit(ds: Dataset, o: Pick<TrainOptions, 'valSplit' | 'folds' | 'fold' | 'seed'>): Split {
  const n = ds.items.length;
  if (o.folds !== undefined) {
    const folds = stratifiedFolds(ds.items.map((it) => it.labels ?? []), o.folds, o.seed);
    return foldSplit(folds, o.fold ?? 0);
  }
  return randomSplit(n, o.valSplit, o.seed);
}

/** A short fingerprint of which images validate (FNV-1a over the IDs). */
export function splitHash(ds: Dataset, split: Split): string {
  let h = 0x811c9dc5;
  for (const i of split.val) {
    for (const ch of `${ds.items[i].id}\n`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return `${split.val.length}:${h.toString(16)}`;
}
