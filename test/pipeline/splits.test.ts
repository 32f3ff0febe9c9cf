import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { foldSplit, randomSplit, stratifiedFolds } from '../../pipeline/splits.js';

describe('randomSplit', () => {
  it('holds out 25% by default, seeded, disjoint and complete', () => {
    const a = randomSplit(100, undefined, 7);
    expect(a.val).toHaveLength(25);
    expect([...a.train, ...a.val].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(randomSplit(100, 0.25, 7)).toEqual(a);
    expect(randomSplit(100, 0.25, 8)).not.toEqual(a);
  });
  it('refuses fractions that make no sense', () => {
    expect(() => randomSplit(10, 1)).toThrow(/not in \[0, 1\)/);
    expect(() => randomSplit(3, 0.01)).toThrow(/leaves one side empty/);
  });
});

describe('stratifiedFolds', () => {
  // An HPA-like skew: label 0 common, label 15 rare, images carry 1..3 labels.
  const rng = new Rng(1);
  const weights = Array.from({ length: 19 }, (_, l) => 1 / (1 + l * l * 0.2));
  const total = weights.reduce((a, b) => a + b, 0);
  const draw = () => {
    let u = rng.next() * total;
    for (let l = 0; l < 19; l++) if ((u -= weights[l]) < 0) return l;
    return 18;
  };
  const labels = Array.from({ length: 600 }, () => [...new Set(Array.from({ length: 1 + rng.int(3) }, draw))]);

  it('spreads every label evenly over the folds, better than a random deal', () => {
    const k = 5;
    const folds = stratifiedFolds(labels, k, 3);
    expect(folds.every((f) => f >= 0 && f < k)).toBe(true);
    const sizes = Array.from({ length: k }, (_, f) => folds.filter((x) => x === f).length);
    // labels come first in iterative stratification, so sizes only roughly balance
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(0.2 * (600 / k));
    const spread = (assign: ArrayLike<number>) => {
      let worst = 0;
      for (let l = 0; l < 19; l++) {
        const per = new Array(k).fill(0);
        labels.forEach((ls, i) => ls.includes(l) && per[assign[i]]++);
        worst += Math.max(...per) - Math.min(...per);
      }
      return worst;
    };
    const random = Int32Array.from(new Rng(9).shuffle(labels.map((_, i) => i % k)));
    expect(spread(folds)).toBeLessThan(spread(random) / 2);
    // each label's per-fold count is within 1 of the others for most labels
    expect(spread(folds)).toBeLessThanOrEqual(19 * 2);
    expect(stratifiedFolds(labels, k, 3)).toEqual(folds);
  });

  it('fold k is the validation side of its split', () => {
    const folds = stratifiedFolds(labels, 4, 0);
    const s = foldSplit(folds, 2);
    expect(s.val.every((i) => folds[i] === 2)).toBe(true);
    expect(s.train.length + s.val.length).toBe(600);
    expect(() => foldSplit(folds, 4)).toThrow(/fold 4 is not in 0\.\.3/);
    expect(() => stratifiedFolds(labels.slice(0, 2), 3)).toThrow(/3 folds need at least 3 images/);
  });
});
