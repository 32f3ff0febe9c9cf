import { NUM_LABELS } from '../labels.js';

/**
 * pos_weight of BCE-with-logits (torch's BCEWithLogitsLoss(pos_weight=...)): each class's
 * positive term weighted against its negatives, from the training split's labels.
 * - `none`: 1 for every class (plain BCE, the seed's loss);
 * - `balanced`: negatives / positives, torch's documented choice, so a class with 3
 *   positives in 60 images weighs its positives 19x;
 * - `sqrt`: the square root of that, a milder push for small data sets where the full
 *   ratio floods the rare classes with false positives.
 * With rare positives plain BCE learns probabilities that seldom pass 0.5, the threshold
 * the F1 uses, so a model that ranks well still predicts nothing. A class with no
 * positive (or no negative) in the split keeps weight 1.
 */
export const POS_WEIGHTS = ['none', 'balanced', 'sqrt'] as const;
export type PosWeightMode = (typeof POS_WEIGHTS)[number];

/** One weight per label from the training images' label lists; undefined for `none`. */
export function posWeights(mode: PosWeightMode, labels: readonly (readonly number[])[]): Float32Array | undefined {
  if (mode === 'none') return undefined;
  const pos = new Float64Array(NUM_LABELS);
  for (const ls of labels) for (const l of new Set(ls)) pos[l]++;
  const n = labels.length;
  return Float32Array.from(pos, (p) => {
    if (p === 0 || p === n) return 1;
    const ratio = (n - p) / p;
    return mode === 'balanced' ? ratio : Math.sqrt(ratio);
  });
}
