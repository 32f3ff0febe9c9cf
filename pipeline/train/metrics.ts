import { NUM_LABELS } from '../labels.js';

/** One epoch's figures over the images seen (train or validation). */
export interface EpochMetrics {
  /** Mean BCE per image (each batch's mean weighted by its size). */
  loss: number;
  f1: number;
  accuracy: number;
  precision: number;
  recall: number;
  images: number;
}

/** The same definitions in words, for help texts; keep in step with `sampleScores`. */
export const METRIC_HELP =
  'Metrics (as scikit-learn average="samples"): a label is predicted when its sigmoid ' +
  'probability is >= 0.5. For each image with predicted set P and true set T: ' +
  'precision = |P&T|/|P|, recall = |P&T|/|T|, F1 = 2|P&T|/(|P|+|T|); a zero denominator ' +
  'gives 0, except an image with no predicted and no true labels, which scores 1 on all ' +
  'three. precision, recall and F1 are the means of these per-image values. accuracy is ' +
  'exact-match (subset) accuracy: the fraction of images whose predicted set equals T over ' +
  `all ${NUM_LABELS} labels. loss is the mean binary cross-entropy per image and label.`;

const THRESHOLD = 0.5;

/** Per-image scores. zero_division is 0 (as sklearn's zero_division=0), except that an image
 * with nothing predicted and nothing true was predicted perfectly, so it gets 1 rather than
 * a 0 that would punish a correct answer. */
export function sampleScores(predicted: number, truth: number, both: number): { precision: number; recall: number; f1: number } {
  if (predicted === 0 && truth === 0) return { precision: 1, recall: 1, f1: 1 };
  return {
    precision: predicted ? both / predicted : 0,
    recall: truth ? both / truth : 0,
    f1: (2 * both) / (predicted + truth),
  };
}

/** Sums per-image scores over an epoch's batches; `result` gives the means. */
export class MetricsAccumulator {
  private images = 0;
  private lossSum = 0;
  private f1Sum = 0;
  private exact = 0;
  private precisionSum = 0;
  private recallSum = 0;

  /** `probs` are sigmoid outputs and `targets` multi-hot labels, both [n, NUM_LABELS]
   * row-major (a target >= 0.5 counts as true, so smoothed labels work); `meanLoss` is the
   * batch's mean BCE. */
  add(probs: Float32Array, targets: Float32Array, n: number, meanLoss: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`MetricsAccumulator.add: n must be a whole number >= 0, got ${n}`);
    const size = n * NUM_LABELS;
    if (probs.length !== size || targets.length !== size) {
      throw new Error(`MetricsAccumulator.add: ${n} images need ${size} probabilities and targets, got ${probs.length} and ${targets.length}`);
    }
    for (let i = 0; i < n; i++) {
      let predicted = 0;
      let truth = 0;
      let both = 0;
      for (let c = i * NUM_LABELS; c < (i + 1) * NUM_LABELS; c++) {
        const p = probs[c] >= THRESHOLD;
        const t = targets[c] >= THRESHOLD;
        predicted += +p;
        truth += +t;
        both += +(p && t);
      }
      const s = sampleScores(predicted, truth, both);
      this.precisionSum += s.precision;
      this.recallSum += s.recall;
      this.f1Sum += s.f1;
      if (both === predicted && both === truth) this.exact++;
    }
    if (n) this.lossSum += meanLoss * n;
    this.images += n;
  }

  /** The running sums, so a checkpoint taken mid-epoch resumes the epoch's figures. */
  get state(): number[] {
    return [this.images, this.lossSum, this.f1Sum, this.exact, this.precisionSum, this.recallSum];
  }

  static fromState(s: readonly number[]): MetricsAccumulator {
    const m = new MetricsAccumulator();
    if (s.length !== 6 || !s.every((v) => typeof v === 'number')) throw new Error(`metrics state must be 6 numbers, got ${JSON.stringify(s)}`);
    [m.images, m.lossSum, m.f1Sum, m.exact, m.precisionSum, m.recallSum] = s;
    return m;
  }

  /** The epoch's means; with no images every figure is NaN (nothing was measured). */
  result(): EpochMetrics {
    const k = this.images;
    const mean = (sum: number) => (k ? sum / k : NaN);
    return {
      loss: mean(this.lossSum),
      f1: mean(this.f1Sum),
      accuracy: mean(this.exact),
      precision: mean(this.precisionSum),
      recall: mean(this.recallSum),
      images: k,
    };
  }
}
