import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { averagePrecision, evaluateSubmission } from '../../pipeline/evaluate.js';
import { intersectionArea, maskIou, runsFromCounts } from '../../pipeline/mask-runs.js';
import { encodeCounts, maskToCounts } from '../../pipeline/rle.js';
import { writeSubmission, type Prediction } from '../../pipeline/submission.js';
import { TruthSet } from '../../pipeline/truth.js';
import { expectError, rectMask, tempDir, writeTruth, type Rect } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('mask runs', () => {
  it('intersection and IoU agree with a pixel count on random masks', () => {
    const rng = new Rng(2);
    for (let t = 0; t < 100; t++) {
      const w = 1 + rng.int(20);
      const h = 1 + rng.int(20);
      const pa = rng.next();
      const pb = rng.next();
      const a = Uint8Array.from({ length: w * h }, () => (rng.next() < pa ? 1 : 0));
      const b = Uint8Array.from({ length: w * h }, () => (rng.next() < pb ? 1 : 0));
      let inter = 0;
      let union = 0;
      a.forEach((v, i) => ((inter += v & b[i]), (union += v | b[i])));
      const ra = runsFromCounts(maskToCounts(a, w, h), h);
      const rb = runsFromCounts(maskToCounts(b, w, h), h);
      expect(ra.area).toBe(a.reduce((s, v) => s + v, 0));
      expect(intersectionArea(ra, rb)).toBe(inter);
      expect(maskIou(ra, rb)).toBeCloseTo(union ? inter / union : 0, 12);
    }
  });

  it('the run box is the mask box, so far-apart masks are rejected at once', () => {
    const r = runsFromCounts(maskToCounts(rectMask(10, 8, [2, 4, 3, 6]), 10, 8), 8);
    expect([r.x0, r.x1, r.y0, r.y1]).toEqual([2, 4, 3, 6]);
    const empty = runsFromCounts([80], 8);
    expect(empty.area).toBe(0);
    expect(maskIou(empty, r)).toBe(0);
  });
});

describe('averagePrecision (VOC, monotone precision)', () => {
  it('matches hand-worked curves', () => {
    expect(averagePrecision([1, 1], 2)).toBe(1);
    // Recall reaches 1/2 only: AP = 1/2 * 1.
    expect(averagePrecision([1, 0, 0], 2)).toBe(0.5);
    // FP, TP: precision 0 then 1/2, made monotone 1/2 everywhere; recall 0 -> 1.
    expect(averagePrecision([0, 1], 1)).toBe(0.5);
    // TP FP TP over 2: recall steps at rank 1 (p 1) and rank 3 (p 2/3).
    expect(averagePrecision([1, 0, 1], 2)).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
    expect(averagePrecision([], 3)).toBe(0);
  });
});

/** Submission mask string of one rectangle. */
function rect(w: number, h: number, r: Rect): string {
  return encodeCounts(maskToCounts(rectMask(w, h, r), w, h));
}

describe('evaluateSubmission: hand-built cases', () => {
  // Field A, 12 wide and 8 high: A1 = x0..3 y0..3 {0}; A2 = x4..7 y0..3 {0,1};
  // A3 = x8..11 y4..7 {1}. Field B, same size: B1 = x0..3 y0..3 {0}; B2 = x6..9 y4..7 {5}.
  // Every truth cell has 16 pixels.
  function truth(): string {
    const t = join(dir, 'truth');
    writeTruth(t, [
      { id: 'A', width: 12, height: 8, cells: [{ rect: [0, 3, 0, 3], labels: [0] }, { rect: [4, 7, 0, 3], labels: [0, 1] }, { rect: [8, 11, 4, 7], labels: [1] }] },
      { id: 'B', width: 12, height: 8, cells: [{ rect: [0, 3, 0, 3], labels: [0] }, { rect: [6, 9, 4, 7], labels: [5] }] },
    ]);
    return t;
  }

  it('two labels, a duplicate, a detection over two truth masks, IoU exactly 0.6, a label with no truth', () => {
    const t = truth();
    const A = (r: Rect) => rect(12, 8, r);
    const a1 = A([0, 3, 0, 3]);
    const across = A([2, 7, 0, 3]); // 24 px: 8 on A1 (IoU 8/32), 16 on A2 (IoU 16/24 = 0.667)
    const preds: Prediction[] = [
      // label 0, truth A1, A2, B1 (3):
      { label: 0, confidence: 0.9, mask: a1 }, // A1, IoU 1: TP
      { label: 0, confidence: 0.8, mask: a1 }, // A1 again, already taken: FP
      { label: 0, confidence: 0.7, mask: across }, // best is A2 at 0.667: TP
      // label 1, truth A2, A3 (2):
      { label: 1, confidence: 0.6, mask: a1 }, // A1 has no label 1, nothing else overlaps: FP
      { label: 1, confidence: 0.5, mask: across }, // only A2 counts for label 1 (0.667): TP
      { label: 1, confidence: 0.3, mask: A([8, 11, 4, 7]) }, // A3 exactly: TP
      // label 2 has no truth anywhere: left out of the mean.
      { label: 2, confidence: 0.95, mask: a1 },
    ];
    const b1Shifted = rect(12, 8, [1, 4, 0, 3]); // on B1: 12 shared, union 20, IoU exactly 0.6
    writeSubmission(join(dir, 's.csv'), [
      { id: 'A', width: 12, height: 8, predictions: preds },
      { id: 'B', width: 12, height: 8, predictions: [{ label: 0, confidence: 0.6, mask: b1Shifted }] },
    ]);
    const r = evaluateSubmission(join(dir, 's.csv'), t);
    // Label 0 ranked: 0.9 TP, 0.8 FP, 0.7 TP, 0.6 TP (B). Precision 1, 1/2, 2/3, 3/4 at
    // recall 1/3, 1/3, 2/3, 1; monotone: 1, 3/4, 3/4, 3/4. AP = 1/3 (1 + 3/4 + 3/4) = 5/6.
    expect(r.labels[0]).toMatchObject({ truth: 3, detections: 4, truePositives: 3 });
    expect(r.labels[0].ap).toBeCloseTo(5 / 6, 12);
    // Label 1 ranked: 0.6 FP, 0.5 TP, 0.3 TP. Precision 0, 1/2, 2/3 at recall 0, 1/2, 1;
    // monotone: 2/3 all along. AP = 1/2 * 2/3 + 1/2 * 2/3 = 2/3.
    expect(r.labels[1]).toMatchObject({ truth: 2, detections: 3, truePositives: 2 });
    expect(r.labels[1].ap).toBeCloseTo(2 / 3, 12);
    // Label 2: detections but no truth. Label 5: truth (B2) but no detections, AP 0.
    expect(r.labels[2]).toMatchObject({ ap: null, truth: 0, detections: 1 });
    expect(r.labels[5]).toMatchObject({ ap: 0, truth: 1, detections: 0 });
    expect(r.labels.filter((l) => l.ap !== null).map((l) => l.label)).toEqual([0, 1, 5]);
    // mAP = (5/6 + 2/3 + 0) / 3 = 1/2.
    expect(r.mAP).toBeCloseTo(0.5, 12);
    expect(r.fields).toBe(2);
    expect(r.truthFields).toBe(2);
  });

  it('IoU just under 0.6 is a miss; perfect masks in any field order give 1', () => {
    const t = truth();
    // x1..4 less the pixel (1, 0), which is on B1: 11 shared of 15 px, union 20: IoU 0.55.
    const m = rectMask(12, 8, [1, 4, 0, 3]);
    m[0 * 12 + 1] = 0;
    const under = encodeCounts(maskToCounts(m, 12, 8));
    writeSubmission(join(dir, 's.csv'), [{ id: 'B', width: 12, height: 8, predictions: [{ label: 0, confidence: 0.9, mask: under }] }]);
    const r = evaluateSubmission(join(dir, 's.csv'), t);
    expect(r.labels[0]).toMatchObject({ ap: 0, truth: 1, truePositives: 0 });
    // Field A is not in the submission, so its truth does not count.
    expect(r.fields).toBe(1);
    expect(r.truthFields).toBe(2);

    const B = (rr: Rect) => rect(12, 8, rr);
    writeSubmission(
      join(dir, 'p.csv'),
      [
        { id: 'B', width: 12, height: 8, predictions: [{ label: 5, confidence: 0.2, mask: B([6, 9, 4, 7]) }, { label: 0, confidence: 0.1, mask: B([0, 3, 0, 3]) }] },
        { id: 'A', width: 12, height: 8, predictions: [] },
      ],
    );
    const p = evaluateSubmission(join(dir, 'p.csv'), t);
    // A's truth is in play with no detections: label 0 finds 1 of 3, label 1 none.
    expect(p.labels[0].ap).toBeCloseTo(1 / 3, 12);
    expect(p.labels[1].ap).toBe(0);
    expect(p.labels[5].ap).toBe(1);
    expect(p.mAP).toBeCloseTo((1 / 3 + 0 + 1) / 3, 12);
  });

  it('an instance that cells.csv does not list is not truth: a detection on it is a false positive', () => {
    const t = join(dir, 'truth');
    writeTruth(t, [{ id: 'C', width: 6, height: 6, cells: [{ rect: [0, 2, 0, 2], labels: [4] }, { rect: [3, 5, 3, 5] }] }]);
    const truthSet = new TruthSet(t);
    expect(truthSet.field('C')!.cells).toEqual([1]);
    writeSubmission(join(dir, 's.csv'), [
      {
        id: 'C',
        width: 6,
        height: 6,
        predictions: [
          { label: 4, confidence: 0.9, mask: rect(6, 6, [3, 5, 3, 5]) }, // unlabelled instance: FP
          { label: 4, confidence: 0.8, mask: rect(6, 6, [0, 2, 0, 2]) }, // TP
        ],
      },
    ]);
    // FP then TP over 1 truth: AP 1/2.
    expect(evaluateSubmission(join(dir, 's.csv'), t).labels[4].ap).toBe(0.5);
  });
});

describe('evaluateSubmission: bad input names the row or file', () => {
  it('unknown ID, size mismatch, bad truth', () => {
    const t = join(dir, 'truth');
    writeTruth(t, [{ id: 'A', width: 6, height: 4, cells: [{ rect: [0, 1, 0, 1], labels: [0] }] }]);
    writeSubmission(join(dir, 'u.csv'), [{ id: 'A', width: 6, height: 4, predictions: [] }, { id: 'X', width: 6, height: 4, predictions: [] }]);
    expectError(() => evaluateSubmission(join(dir, 'u.csv'), t), /^u\.csv row 3 \(ID X\): unknown ID/);
    writeSubmission(join(dir, 'z.csv'), [{ id: 'A', width: 4, height: 6, predictions: [] }]);
    expectError(() => evaluateSubmission(join(dir, 'z.csv'), t), /^z\.csv row 2 \(ID A\): size 4x6 does not match the truth's 6x4$/);
    expectError(() => evaluateSubmission(join(dir, 'z.csv'), join(dir, 'nowhere')), /train\.csv: file not found/);
  });

  it('cells.csv rows that do not fit the truth', () => {
    const t = join(dir, 'truth');
    writeTruth(t, [{ id: 'A', width: 6, height: 4, cells: [{ rect: [0, 1, 0, 1], labels: [0] }] }]);
    writeFileSync(join(t, 'cells.csv'), 'ID,Cell,Label\nA,1,0\nA,7,3\n');
    expectError(() => new TruthSet(t).field('A'), /^cells\.csv row 3: cell 7 is not in .*A_cells\.png$/);
    writeFileSync(join(t, 'cells.csv'), 'ID,Cell,Label\nA,1,0\nQ,1,3\n');
    expectError(() => new TruthSet(t), /^cells\.csv row 3: ID Q is not in train\.csv$/);
    writeFileSync(join(t, 'cells.csv'), 'ID,Cell,Label\nA,1,0|19\n');
    expectError(() => new TruthSet(t), /^cells\.csv row 2: unknown label '19'/);
    writeFileSync(join(t, 'cells.csv'), 'ID,Cell,Label\nA,1,0\nA,1,2\n');
    expectError(() => new TruthSet(t), /^cells\.csv row 3: cell 1 of A already given in row 2$/);
  });
});
