import { describe, expect, it } from 'vitest';
import { NUM_LABELS } from '../../pipeline/labels.js';
import { METRIC_HELP, MetricsAccumulator } from '../../pipeline/train/metrics.js';

/** One batch from per-image (predicted, true) label lists: predicted labels get probability
 * 0.5 (the threshold itself counts), the others 0.4999. */
function batch(rows: [number[], number[]][]): { probs: Float32Array; targets: Float32Array; n: number } {
  const n = rows.length;
  const probs = new Float32Array(n * NUM_LABELS).fill(0.4999);
  const targets = new Float32Array(n * NUM_LABELS);
  rows.forEach(([p, t], i) => {
    for (const c of p) probs[i * NUM_LABELS + c] = c % 2 ? 0.5 : 0.97;
    for (const c of t) targets[i * NUM_LABELS + c] = 1;
  });
  return { probs, targets, n };
}

function metricsOf(rows: [number[], number[]][], loss = 0) {
  const acc = new MetricsAccumulator();
  const b = batch(rows);
  acc.add(b.probs, b.targets, b.n, loss);
  return acc.result();
}

describe('MetricsAccumulator', () => {
  it('scores a single image', () => {
    // P = {0, 1, 2}, T = {0}: precision 1/3, recall 1, F1 2*1/(3+1).
    const m = metricsOf([[[0, 1, 2], [0]]], 0.25);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBe(1);
    expect(m.f1).toBe(0.5);
    expect(m.accuracy).toBe(0);
    expect(m.loss).toBe(0.25);
    expect(m.images).toBe(1);
  });

  it('counts an exact match, including the 18th (negative) label', () => {
    expect(metricsOf([[[18], [18]]])).toMatchObject({ precision: 1, recall: 1, f1: 1, accuracy: 1 });
  });

  it('handles empty predicted or true sets as documented', () => {
    expect(metricsOf([[[], []]])).toMatchObject({ precision: 1, recall: 1, f1: 1, accuracy: 1 });
    expect(metricsOf([[[3], []]])).toMatchObject({ precision: 0, recall: 0, f1: 0, accuracy: 0 });
    expect(metricsOf([[[], [4]]])).toMatchObject({ precision: 0, recall: 0, f1: 0, accuracy: 0 });
  });

  it('averages over images (sklearn average="samples")', () => {
    const m = metricsOf([
      [[0, 1, 2], [0]], // p 1/3, r 1, f1 1/2
      [[5], [5]], // 1, 1, 1, exact
      [[], []], // 1, 1, 1, exact
      [[3], []], // 0, 0, 0
      [[], [4]], // 0, 0, 0
    ]);
    expect(m.precision).toBeCloseTo(7 / 15, 12);
    expect(m.recall).toBeCloseTo(3 / 5, 12);
    expect(m.f1).toBeCloseTo(2.5 / 5, 12);
    expect(m.accuracy).toBeCloseTo(2 / 5, 12);
    expect(m.images).toBe(5);
  });

  it('weights each batch loss by its size, and sums scores across batches', () => {
    const acc = new MetricsAccumulator();
    const a = batch([[[1], [1]], [[1], [2]], [[2], [2]]]);
    const b = batch([[[], [7]]]);
    acc.add(a.probs, a.targets, a.n, 0.2);
    acc.add(b.probs, b.targets, b.n, 1.0);
    const m = acc.result();
    expect(m.loss).toBeCloseTo((3 * 0.2 + 1.0) / 4, 12); // 0.4, not the batch mean 0.6
    expect(m.accuracy).toBe(2 / 4);
    expect(m.f1).toBe(2 / 4);
    expect(m.images).toBe(4);
  });

  it('gives NaN with no images, and rejects arrays of the wrong size', () => {
    const m = new MetricsAccumulator().result();
    expect(m.images).toBe(0);
    expect(m.f1).toBeNaN();
    expect(m.loss).toBeNaN();
    const acc = new MetricsAccumulator();
    expect(() => acc.add(new Float32Array(NUM_LABELS), new Float32Array(NUM_LABELS), 2, 0)).toThrow(/2 images need 38/);
  });

  it('explains the definitions for --help', () => {
    expect(METRIC_HELP).toMatch(/>= 0\.5/);
    expect(METRIC_HELP).toMatch(/exact-match/);
    expect(METRIC_HELP).toMatch(/scores 1/);
  });
});
