import { describe, expect, it } from 'vitest';
import { NUM_LABELS } from '../../pipeline/labels.js';
import { bceMean } from '../../pipeline/train/eval-batch.js';
import { posWeights } from '../../pipeline/train/pos-weight.js';
import { bceWithLogits } from '../reference/loss.js';
import { T } from '../reference/tensor.js';
import { Rng } from '../../engine/random.js';

describe('pos_weight from the training labels', () => {
  // 8 images: label 0 in 2 (6 negatives: ratio 3), label 1 in 4 (ratio 1), label 2 in all 8, the rest in none
  const labels = [[0, 1, 2], [0, 2], [1, 2], [1, 2], [1, 2], [2], [2], [2]];

  it('none gives no weights (plain BCE)', () => {
    expect(posWeights('none', labels)).toBeUndefined();
  });

  it('balanced is negatives / positives per class; a class always or never present keeps 1', () => {
    const w = posWeights('balanced', labels)!;
    expect(w.length).toBe(NUM_LABELS);
    expect(w[0]).toBe(3);
    expect(w[1]).toBe(1);
    expect(w[2]).toBe(1);
    for (let c = 3; c < NUM_LABELS; c++) expect(w[c]).toBe(1);
  });

  it('sqrt is the square root of the balanced ratio', () => {
    const w = posWeights('sqrt', labels)!;
    expect(w[0]).toBeCloseTo(Math.sqrt(3), 6);
    expect(w[1]).toBe(1);
  });

  it('a label listed twice for one image counts once', () => {
    expect(posWeights('balanced', [[0, 0], [1], [1], [1]])![0]).toBe(3);
  });
});

describe('bceMean (the validation loss) is the bceWithLogits reference, with and without pos_weight', () => {
  const rng = new Rng(7);
  const n = 5;
  const z = Float32Array.from({ length: n * NUM_LABELS }, () => rng.normal() * 4);
  const y = Float32Array.from({ length: n * NUM_LABELS }, (_, i) => (i % 7 === 0 ? 0.3 : rng.next() < 0.2 ? 1 : 0));
  const pw = Float32Array.from({ length: NUM_LABELS }, () => rng.uniform(0.5, 6));
  const ref = (w?: Float32Array) => bceWithLogits(T([n, NUM_LABELS], Array.from(z)), T([n, NUM_LABELS], Array.from(y)), w && T([NUM_LABELS], Array.from(w)));

  it('matches the reference', () => {
    expect(bceMean(z, y)).toBeCloseTo(ref(), 10);
    expect(bceMean(z, y, pw)).toBeCloseTo(ref(pw), 10);
    expect(bceMean(z, y, pw)).not.toBeCloseTo(bceMean(z, y), 3);
  });

  it('refuses logits that are not rows of the weights', () => {
    expect(() => bceMean(z.subarray(0, 20), y.subarray(0, 20), pw)).toThrow('bceMean: 20 logits are not rows of 19 classes (pos_weight)');
  });
});
