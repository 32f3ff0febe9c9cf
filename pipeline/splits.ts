import { Rng } from '../engine/random.js';
import { NUM_LABELS } from './labels.js';

export interface Split {
  train: number[];
  val: number[];
}

/** A seeded random hold-out: `valFraction` of the indices 0..n-1 (rounded) go to val. */
export function randomSplit(n: number, valFraction = 0.25, seed = 0): Split {
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`validation fraction ${valFraction} is not in [0, 1)`);
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const nVal = Math.round(n * valFraction);
  if (n > 1 && valFraction > 0 && (nVal === 0 || nVal === n)) {
    throw new Error(`a ${valFraction} validation split of ${n} images leaves one side empty`);
  }
  const sort = (a: number[]) => a.sort((x, y) => x - y);
  return { train: sort(order.slice(nVal)), val: sort(order.slice(0, nVal)) };
}

/**
 * Multilabel-stratified k-fold by iterative stratification (Sechidis, Tsoumakas and
 * Vlahavas, 2011): the rarest label still unassigned is dealt out first, each of its images
 * to the fold that most lacks that label, so rare classes spread evenly over the folds.
 * Returns the fold (0..folds-1) of every image.
 */
export function stratifiedFolds(labels: readonly (readonly number[])[], folds: number, seed = 0): Int32Array {
  const n = labels.length;
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`folds must be an integer >= 2, got ${folds}`);
  if (folds > n) throw new Error(`${folds} folds need at least ${folds} images, have ${n}`);
  const rng = new Rng(seed);
  const fold = new Int32Array(n).fill(-1);
  // Desired counts per fold, overall and per label; they go down as images are dealt.
  const want = new Float64Array(folds).fill(n / folds);
  const perLabel = new Float64Array(NUM_LABELS);
  for (const ls of labels) for (const l of ls) perLabel[l]++;
  const wantLabel = Array.from({ length: NUM_LABELS }, (_, l) => new Float64Array(folds).fill(perLabel[l] / folds));
  const byLabel: number[][] = Array.from({ length: NUM_LABELS }, () => []);
  labels.forEach((ls, i) => ls.forEach((l) => byLabel[l].push(i)));
  for (const list of byLabel) rng.shuffle(list);
  const remaining = Int32Array.from(perLabel);
  const assign = (i: number, f: number) => {
    fold[i] = f;
    want[f]--;
    for (const l of labels[i]) {
      wantLabel[l][f]--;
      remaining[l]--;
    }
  };
  const best = (score: (f: number) => number[]) => {
    let chosen: number[] = [];
    let top: number[] | undefined;
    for (let f = 0; f < folds; f++) {
      const s = score(f);
      const cmp = top === undefined ? 1 : compare(s, top);
      if (cmp > 0) {
        top = s;
        chosen = [f];
      } else if (cmp === 0) chosen.push(f);
    }
    return chosen.length === 1 ? chosen[0] : chosen[rng.int(chosen.length)];
  };
  for (;;) {
    let rare = -1;
    for (let l = 0; l < NUM_LABELS; l++) {
      if (remaining[l] > 0 && (rare < 0 || remaining[l] < remaining[rare])) rare = l;
    }
    if (rare < 0) break;
    for (const i of byLabel[rare]) {
      if (fold[i] >= 0) continue;
      assign(i, best((f) => [wantLabel[rare][f], want[f]]));
    }
  }
  // Images without labels only balance the fold sizes.
  for (let i = 0; i < n; i++) if (fold[i] < 0) assign(i, best((f) => [want[f]]));
  return fold;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i] ? 1 : -1;
  return 0;
}

/** Fold k of an assignment as a split: fold k validates, the rest train. */
export function foldSplit(folds: Int32Array, k: number): Split {
  const count = Math.max(...folds) + 1;
  if (!Number.isInteger(k) || k < 0 || k >= count) throw new Error(`fold ${k} is not in 0..${count - 1}`);
  const train: number[] = [];
  const val: number[] = [];
  folds.forEach((f, i) => (f === k ? val : train).push(i));
  return { train, val };
}
