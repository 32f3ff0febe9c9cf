import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../cli/run-cli.js';
import { evaluateSubmission, sweepFusion } from '../../pipeline/evaluate.js';
import { fieldPredictions, fuseScores, readScores, SWEEP_WEIGHTS, writeScores, type FieldScores } from '../../pipeline/fusion.js';
import { readGray } from '../../pipeline/png.js';
import { encodeCellMasks } from '../../pipeline/rle.js';
import { writeSubmission } from '../../pipeline/submission.js';
import { expectError, tempDir, writeTruth } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** Nineteen scores, zero except the ones given. */
function scores(given: Record<number, number>): number[] {
  return Array.from({ length: 19 }, (_, l) => given[l] ?? 0);
}

describe('fusion', () => {
  it('fused = w * tile + (1 - w) * image, per label', () => {
    const f = fuseScores(0.3, [1, 0, 0.5], [0, 1, 0.5]);
    [0.3, 0.7, 0.5].forEach((v, i) => expect(f[i]).toBeCloseTo(v, 12));
    expect(SWEEP_WEIGHTS).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });

  it('fieldPredictions gives every cell all 19 labels with its own mask', () => {
    const field: FieldScores = { id: 'f', width: 4, height: 4, cells: [2, 5], image: scores({ 0: 1 }), tiles: [scores({ 1: 1 }), scores({})], mask: 'm.png' };
    const preds = fieldPredictions(field, 0.25, new Map([[2, 'M2'], [5, 'M5']]));
    expect(preds).toHaveLength(38);
    expect(preds[0]).toEqual({ label: 0, confidence: 0.75, mask: 'M2' });
    expect(preds[1]).toEqual({ label: 1, confidence: 0.25, mask: 'M2' });
    expect(preds[19]).toEqual({ label: 0, confidence: 0.75, mask: 'M5' });
    expectError(() => fieldPredictions(field, 0.5, new Map([[2, 'M2']])), /^field f: no mask for cell 5$/);
  });
});

describe('cached scores file', () => {
  const field = (mask: string): FieldScores => ({ id: 'f1', width: 8, height: 6, cells: [1, 3], image: scores({ 2: 0.5 }), tiles: [scores({ 2: 0.25 }), scores({ 7: 1 })], mask });

  it('round-trips, keeps mask paths relative to the file, and never overwrites without force', () => {
    mkdirSync(join(dir, 'out', 'masks'), { recursive: true });
    const file = join(dir, 'out', 'scores.json');
    writeScores(file, [field(join(dir, 'out', 'masks', 'f1.png'))]);
    expect(JSON.parse(readFileSync(file, 'utf8')).fields[0].mask).toBe(join('masks', 'f1.png'));
    // The folder moves as a whole.
    renameSync(join(dir, 'out'), join(dir, 'moved'));
    expect(readScores(join(dir, 'moved', 'scores.json'))).toEqual([field(join(dir, 'moved', 'masks', 'f1.png'))]);
    expectError(() => writeScores(join(dir, 'moved', 'scores.json'), []), /already exists/);
    writeScores(join(dir, 'moved', 'scores.json'), [], true);
    expect(readScores(join(dir, 'moved', 'scores.json'))).toEqual([]);
  });

  it('bad files get one-line errors naming the field', () => {
    const file = join(dir, 's.json');
    const put = (doc: unknown) => writeFileSync(file, JSON.stringify(doc));
    const ok = { format: 'hpa-engine/scores', version: 1, labels: 19, fields: [field('m.png')] };
    put(ok);
    expect(readScores(file)).toHaveLength(1);
    writeFileSync(file, '{');
    expectError(() => readScores(file), /s\.json: not a scores file/);
    put({ ...ok, labels: 18 });
    expectError(() => readScores(file), /scores for 18 labels, expected 19/);
    put({ ...ok, fields: [{ ...field('m.png'), tiles: [scores({})] }] });
    expectError(() => readScores(file), /s\.json: field 1 \(ID f1\): 'tiles' needs one row per cell \(2\)/);
    put({ ...ok, fields: [{ ...field('m.png'), image: [1, 2] }] });
    expectError(() => readScores(file), /field 1 \(ID f1\): 'image' is not a list of 19 numbers/);
    put({ ...ok, fields: [field('m.png'), field('m.png')] });
    expectError(() => readScores(file), /field 2 \(ID f1\): ID given twice/);
    expectError(() => readScores(join(dir, 'none.json')), /none\.json: file not found/);
  });
});

describe('evaluate --sweep', () => {
  // One 10x6 field; the truth cells (in instance order): 1 {0}, 2 {0,1}, 3 {1}. The cell
  // masks the scores point at are the truth masks themselves, so a cell's detection of a
  // label is a TP exactly when the cell has that label, and AP only depends on the ranking.
  function setup(): { truth: string; scoresFile: string } {
    const truth = join(dir, 'truth');
    writeTruth(truth, [
      { id: 'A', width: 10, height: 6, cells: [{ rect: [0, 2, 0, 5], labels: [0] }, { rect: [3, 5, 0, 5], labels: [0, 1] }, { rect: [6, 9, 0, 2], labels: [1] }] },
    ]);
    // Image scores tie across cells; the tile scores rank every truth cell above the others.
    const fs: FieldScores = {
      id: 'A',
      width: 10,
      height: 6,
      cells: [3, 1, 2],
      image: scores({ 0: 0.9, 1: 0.2 }),
      tiles: [scores({ 0: 0.1, 1: 0.8 }), scores({ 0: 0.8, 1: 0.1 }), scores({ 0: 0.7, 1: 0.9 })],
      mask: join(truth, 'train', 'A_cells.png'),
    };
    const scoresFile = join(dir, 'scores.json');
    writeScores(scoresFile, [fs]);
    return { truth, scoresFile };
  }

  it('image only, tile only and fused mAP as worked out by hand, equal to scoring a written submission', () => {
    const { truth, scoresFile } = setup();
    const fields = readScores(scoresFile);
    const rows = sweepFusion(fields, truth, SWEEP_WEIGHTS);
    expect(rows.map((r) => r.weight)).toEqual(SWEEP_WEIGHTS);
    // w = 0: every cell scores the same per label, ties keep the cell order 3, 1, 2.
    // Label 0: cell 3 FP, 1 TP, 2 TP: precision 0, 1/2, 2/3 at recall 0, 1/2, 1 -> AP 2/3.
    // Label 1: cell 3 TP, 1 FP, 2 TP: AP 1/2 * 1 + 1/2 * 2/3 = 5/6. mAP = 3/4.
    expect(rows[0].result.labels[0].ap).toBeCloseTo(2 / 3, 12);
    expect(rows[0].result.labels[1].ap).toBeCloseTo(5 / 6, 12);
    expect(rows[0].result.mAP).toBeCloseTo(0.75, 12);
    // w = 1: the tiles rank the true cells first for both labels: mAP 1.
    expect(rows[10].result.mAP).toBe(1);
    // w = 0.5 keeps that order (label 0: 0.85, 0.8, 0.5; label 1: 0.55, 0.5, 0.15).
    expect(rows[5].result.mAP).toBe(1);

    // The sweep must agree with the written submission path for each weight.
    const img = readGray(fields[0].mask);
    const masks = encodeCellMasks(img, fields[0].mask, fields[0].cells);
    for (const r of [rows[0], rows[3], rows[10]]) {
      const file = join(dir, `w${r.weight}.csv`);
      writeSubmission(file, [{ id: 'A', width: 10, height: 6, predictions: fieldPredictions(fields[0], r.weight, masks) }]);
      const s = evaluateSubmission(file, truth);
      expect(s.mAP).toBeCloseTo(r.result.mAP!, 12);
      expect(s.labels.map((l) => l.ap)).toEqual(r.result.labels.map((l) => l.ap));
    }
  });

  it('scores that do not fit the truth name the field', () => {
    const { truth } = setup();
    const base = readScores(join(dir, 'scores.json'))[0];
    expectError(() => sweepFusion([{ ...base, id: 'Z' }], truth, [0]), /^scores field Z: unknown ID/);
    expectError(() => sweepFusion([{ ...base, width: 12 }], truth, [0]), /^scores field A: size 12x6 does not match the truth's 10x6$/);
    expectError(() => sweepFusion([{ ...base, cells: [1, 9], tiles: [base.tiles[0], base.tiles[1]] }], truth, [0]), /^scores field A: cell 9 is not in .*A_cells\.png$/);
  });

  it('the evaluate command prints the per-label table and the sweep table, or both as JSON', async () => {
    const { truth, scoresFile } = setup();
    const swept = await cli('evaluate', '--sweep', '--scores', scoresFile, '--truth', truth);
    expect(swept.code).toBe(0);
    const sweep = swept.out.split('\n');
    expect(sweep[0]).toBe('tile weight  mAP@0.6');
    expect(sweep[1]).toBe('        0.0  0.7500  image only');
    expect(sweep[11]).toMatch(/^ {8}1\.0 {2}1\.0000 {2}tile only$/);
    expect(sweep.filter((l) => l.includes('<- best'))).toHaveLength(1);
    const json = JSON.parse((await cli('evaluate', '--sweep', '--scores', scoresFile, '--truth', truth, '--json')).out);
    expect(json.sweep).toHaveLength(11);
    expect(json.sweep[0]).toMatchObject({ weight: 0, mAP: 0.75, fields: 1 });
    expect(json.sweep[10]).toMatchObject({ weight: 1, mAP: 1 });

    const fields = readScores(scoresFile);
    const masks = encodeCellMasks(readGray(fields[0].mask), 'A');
    const sub = join(dir, 'sub.csv');
    writeSubmission(sub, [{ id: 'A', width: 10, height: 6, predictions: fieldPredictions(fields[0], 0, masks) }]);
    const table = (await cli('evaluate', '--submission', sub, '--truth', truth)).out;
    expect(table).toMatch(/^ +0 +0\.6667 +2 +3 +2 +Nucleoplasm$/m);
    expect(table).toMatch(/^ +1 +0\.8333 +2 +3 +2 +Nuclear membrane$/m);
    expect(table).toMatch(/^ +2 +- +0 +3 +0 +Nucleoli$/m);
    expect(table).toMatch(/^mAP@0\.6 0\.7500 over 2 labels with truth, 1 fields$/m);
    const one = JSON.parse((await cli('evaluate', '--submission', sub, '--truth', truth, '--json')).out);
    expect(one).toMatchObject({ mAP: 0.75, fields: 1, truthFields: 1 });
    expect(one.labels[0]).toMatchObject({ label: 0, truth: 2, detections: 3, truePositives: 2 });
    expect(one.labels[0].ap).toBeCloseTo(0.6667, 4);
    const bad = await cli('evaluate', '--sweep', '--truth', truth);
    expect(bad).toMatchObject({ code: 2, err: ['hpa-engine: evaluate: --sweep needs --scores FILE (see hpa-engine evaluate --help)'] });
  });
});
