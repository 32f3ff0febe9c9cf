import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeCounts, maskToCounts } from '../../pipeline/rle.js';
import { readSubmission, writeSubmission, type SubmissionRow } from '../../pipeline/submission.js';
import { expectError, rectMask, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const maskA = encodeCounts(maskToCounts(rectMask(6, 4, [1, 2, 0, 1]), 6, 4));
const maskB = encodeCounts(maskToCounts(rectMask(6, 4, [3, 5, 2, 3]), 6, 4));

const rows: SubmissionRow[] = [
  {
    id: 'f1',
    width: 6,
    height: 4,
    predictions: [
      { label: 0, confidence: 0.25, mask: maskA },
      { label: 18, confidence: 0.123456789, mask: maskA },
      { label: 3, confidence: 1e-9, mask: maskB },
    ],
  },
  { id: 'f2', width: 6, height: 4, predictions: [] },
];

/** Writes a csv by hand, header included. */
function csv(...lines: string[]): string {
  const file = join(dir, 'sub.csv');
  writeFileSync(file, ['ID,ImageWidth,ImageHeight,PredictionString', ...lines].join('\n') + '\n');
  return file;
}

describe('submission csv', () => {
  it('writes Kaggle columns, a row for a field with no cells, and reads it back', () => {
    const file = join(dir, 'sub.csv');
    writeSubmission(file, rows);
    const text = readFileSync(file, 'utf8').split('\n');
    expect(text[0]).toBe('ID,ImageWidth,ImageHeight,PredictionString');
    expect(text[1]).toBe(`f1,6,4,0 0.25 ${maskA} 18 0.1234568 ${maskA} 3 1e-9 ${maskB}`);
    expect(text[2]).toBe('f2,6,4,');
    const back = readSubmission(file);
    expect(back.map((r) => [r.id, r.row, r.width, r.height])).toEqual([
      ['f1', 2, 6, 4],
      ['f2', 3, 6, 4],
    ]);
    expect(back[0].predictions.map((p) => [p.label, p.confidence, p.mask])).toEqual([
      [0, 0.25, maskA],
      [18, 0.1234568, maskA],
      [3, 1e-9, maskB],
    ]);
    expect(back[0].predictions[0].counts).toEqual([4, 2, 2, 2, 14]);
    // Triples with the same mask string share one decoded counts array.
    expect(back[0].predictions[1].counts).toBe(back[0].predictions[0].counts);
    expect(back[1].predictions).toEqual([]);
  });

  it('never overwrites without force', () => {
    const file = join(dir, 'sub.csv');
    writeSubmission(file, rows);
    expectError(() => writeSubmission(file, []), /sub\.csv: already exists$/);
    writeSubmission(file, [], true);
    expect(readSubmission(file)).toEqual([]);
  });

  it('accepts a quoted PredictionString and extra spaces', () => {
    expect(readSubmission(csv(`f1,6,4,"  0 0.5   ${maskA} "`))[0].predictions).toHaveLength(1);
  });
});

describe('submission errors name the row', () => {
  it('malformed PredictionString', () => {
    expectError(() => readSubmission(csv('f1,6,4,', `f2,6,4,0 0.5`)), /^sub\.csv row 3 \(ID f2\): malformed PredictionString \(2 words/);
    expectError(() => readSubmission(csv(`f1,6,4,19 0.5 ${maskA}`)), /row 2 \(ID f1\): malformed PredictionString, triple 1: label '19' is not 0\.\.18/);
    expectError(() => readSubmission(csv(`f1,6,4,0 0.5 ${maskA} 1 high ${maskA}`)), /row 2 \(ID f1\): malformed PredictionString, triple 2: confidence 'high'/);
    expectError(() => readSubmission(csv(`f1,6,4,0 0.5 nope!`)), /row 2 \(ID f1\): malformed PredictionString, triple 1: mask is not base64/);
    // The mask is fine but for a 2x7 image, not this 6x4 one.
    expectError(() => readSubmission(csv(`f1,6,4,0 0.5 eNozNjfy8gcAA1kBNg==`)), /row 2 \(ID f1\): .*covers 14 pixels, not 6x4/);
  });

  it('bad sizes, duplicate IDs, wrong columns', () => {
    expectError(() => readSubmission(csv('f1,6,0,')), /row 2 \(ID f1\): ImageHeight '0' is not a positive integer/);
    expectError(() => readSubmission(csv('f1,6,4,', 'f1,6,4,')), /row 3 \(ID f1\): ID already given in row 2/);
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'ID,Width,ImageHeight,PredictionString\n');
    expectError(() => readSubmission(file), /bad\.csv row 1: missing column 'ImageWidth'/);
  });

  it('unknown ID and a size that does not match the truth', () => {
    const truth = (id: string) => (id === 'f1' ? { width: 6, height: 4 } : undefined);
    expect(readSubmission(csv(`f1,6,4,0 0.5 ${maskA}`), truth)).toHaveLength(1);
    expectError(() => readSubmission(csv('f1,6,4,', 'zz,6,4,'), truth), /^sub\.csv row 3 \(ID zz\): unknown ID/);
    expectError(() => readSubmission(csv('f1,4,6,'), truth), /row 2 \(ID f1\): size 4x6 does not match the truth's 6x4/);
  });
});
