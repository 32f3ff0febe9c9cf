import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../engine/random.js';
import { readGray, type GrayImage } from '../../pipeline/png.js';
import {
  cellBoxes,
  cellCounts,
  countsToMask,
  countsToString,
  decodeCounts,
  encodeCellMasks,
  encodeCounts,
  maskToCounts,
  stringToCounts,
} from '../../pipeline/rle.js';
import { expectError, rectMask } from './fixtures.js';
import { sharedFile } from '../helpers/shared-data.js';

/** Rows of 0/1 as a row-major mask. */
function fromRows(rows: number[][]): { mask: Uint8Array; width: number; height: number } {
  return { mask: Uint8Array.from(rows.flat()), width: rows[0].length, height: rows.length };
}

describe('COCO RLE: the issue 7 vectors', () => {
  it('an empty 2048x2048 mask is one zero run, text PPPP4', () => {
    const counts = maskToCounts(new Uint8Array(2048 * 2048), 2048, 2048);
    expect(counts).toEqual([2048 * 2048]);
    expect(countsToString(counts)).toBe('PPPP4');
    expect(stringToCounts('PPPP4')).toEqual([4194304]);
  });

  it('an empty 512x512 mask is PPP8', () => {
    expect(countsToString(maskToCounts(new Uint8Array(512 * 512), 512, 512))).toBe('PPP8');
  });

  it('the 2x7 mask: runs [3,7,2,1,1], text 372JO, encoded as Kaggle shows', () => {
    const { mask, width, height } = fromRows([
      [0, 0, 1, 1, 1, 0, 1],
      [0, 1, 1, 1, 1, 0, 0],
    ]);
    const counts = maskToCounts(mask, width, height);
    expect(counts).toEqual([3, 7, 2, 1, 1]);
    expect(countsToString(counts)).toBe('372JO');
    // zlib builds may differ in bytes: compare what the known string decodes to.
    const known = 'eNozNjfy8gcAA1kBNg==';
    expect(inflateSync(Buffer.from(known, 'base64')).toString('latin1')).toBe('372JO');
    expect(decodeCounts(known, width, height)).toEqual([3, 7, 2, 1, 1]);
    expect(decodeCounts(encodeCounts(counts), width, height)).toEqual(counts);
    expect(countsToMask(counts, width, height)).toEqual(mask);
  });

  it('a 4x4 mask with a 2x2 centre is [5,2,2,2,5], text 52203', () => {
    const mask = rectMask(4, 4, [1, 2, 1, 2]);
    const counts = maskToCounts(mask, 4, 4);
    expect(counts).toEqual([5, 2, 2, 2, 5]);
    expect(countsToString(counts)).toBe('52203');
    expect(stringToCounts('52203')).toEqual(counts);
  });

  it('a mask that starts with foreground has a leading zero run; a full one ends without zeros', () => {
    expect(maskToCounts(rectMask(3, 2, [0, 0, 0, 1]), 3, 2)).toEqual([0, 2, 4]);
    expect(maskToCounts(new Uint8Array(6).fill(1), 3, 2)).toEqual([0, 6]);
  });
});

describe('COCO RLE: round trips', () => {
  it('random masks of random shapes survive counts, text and base64', () => {
    const rng = new Rng(7);
    for (let t = 0; t < 100; t++) {
      const width = 1 + rng.int(40);
      const height = 1 + rng.int(40);
      const p = rng.next(); // density from near-empty to near-full
      const mask = new Uint8Array(width * height);
      for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < p ? 1 : 0;
      const counts = maskToCounts(mask, width, height);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(width * height);
      expect(countsToMask(counts, width, height)).toEqual(mask);
      expect(stringToCounts(countsToString(counts))).toEqual(counts);
      expect(decodeCounts(encodeCounts(counts), width, height)).toEqual(counts);
    }
  });

  it('counts far beyond 2^25 and differences of both signs', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 100; t++) {
      const counts = Array.from({ length: 1 + rng.int(12) }, () => Math.floor(rng.next() * 2 ** (1 + rng.int(30))));
      expect(stringToCounts(countsToString(counts))).toEqual(counts);
    }
    // 3072^2 fields: the largest HPA images.
    expect(stringToCounts(countsToString([3072 * 3072]))).toEqual([3072 * 3072]);
    expect(stringToCounts(countsToString([5, 9437000, 3, 1, 2]))).toEqual([5, 9437000, 3, 1, 2]);
  });
});

/** A label image of random blobs, some spanning whole columns, with holes and gaps. */
function randomLabels(rng: Rng, width: number, height: number, cells: number): GrayImage {
  const data = new Uint16Array(width * height);
  for (let k = 1; k <= cells; k++) {
    const x0 = rng.int(width);
    const x1 = Math.min(width - 1, x0 + rng.int(8));
    const full = rng.next() < 0.3;
    const y0 = full ? 0 : rng.int(height);
    const y1 = full ? height - 1 : Math.min(height - 1, y0 + rng.int(8));
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (rng.next() < 0.8) data[y * width + x] = k;
  }
  return { width, height, depth: 16, data };
}

describe('cell masks straight from a label image', () => {
  it('cellCounts from the cell box equals maskToCounts of the whole image', () => {
    const rng = new Rng(11);
    for (let t = 0; t < 60; t++) {
      const width = 1 + rng.int(25);
      const height = 1 + rng.int(25);
      const img = randomLabels(rng, width, height, 1 + rng.int(6));
      const boxes = cellBoxes(img);
      for (const [id, box] of boxes) {
        const bin = new Uint8Array(width * height);
        img.data.forEach((v, i) => (bin[i] = v === id ? 1 : 0));
        // The box is tight.
        const xs: number[] = [];
        const ys: number[] = [];
        bin.forEach((v, i) => v && (xs.push(i % width), ys.push(Math.floor(i / width))));
        expect(box).toEqual({ x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) });
        expect(cellCounts(img, id, box)).toEqual(maskToCounts(bin, width, height));
      }
    }
  });

  it('a cell filling the whole image, and one filling whole columns at the right edge', () => {
    const full: GrayImage = { width: 3, height: 4, depth: 8, data: new Uint8Array(12).fill(2) };
    expect(cellCounts(full, 2, cellBoxes(full).get(2)!)).toEqual([0, 12]);
    const edge: GrayImage = { width: 3, height: 2, depth: 8, data: Uint8Array.from([0, 5, 5, 0, 5, 5]) };
    expect(cellCounts(edge, 5, cellBoxes(edge).get(5)!)).toEqual([2, 4]);
  });

  it('encodeCellMasks gives every cell, or the cells asked for, and names a missing one', () => {
    const img = randomLabels(new Rng(5), 30, 20, 4);
    const ids = [...cellBoxes(img).keys()].sort((a, b) => a - b);
    const masks = encodeCellMasks(img, 'f1');
    expect([...masks.keys()]).toEqual(ids);
    for (const [id, s] of masks) {
      const back = countsToMask(decodeCounts(s, 30, 20), 30, 20);
      expect(back).toEqual(Uint8Array.from(img.data, (v) => (v === id ? 1 : 0)));
    }
    expect([...encodeCellMasks(img, 'f1', [ids[1]]).keys()]).toEqual([ids[1]]);
    expectError(() => encodeCellMasks(img, 'field f1', [99]), /^field f1: cell 99 is not in the mask image$/);
  });
});

describe('bad RLE gives one-line errors', () => {
  it('rejects text that is not COCO RLE', () => {
    expectError(() => stringToCounts('37~'), /'~' at 2/);
    expectError(() => stringToCounts('3P'), /ends inside count 1/);
    // A negative first count: 'O' is -1.
    expectError(() => stringToCounts('O'), /count 0 is negative/);
  });

  it('rejects masks that are not base64, not zlib, or the wrong size', () => {
    expectError(() => decodeCounts('abc!', 2, 7), /^mask is not base64$/);
    expectError(() => decodeCounts('AAAA', 2, 7), /^mask is not zlib data/);
    expectError(() => decodeCounts('eNozNjfy8gcAA1kBNg==', 4, 4), /covers 14 pixels, not 4x4 = 16/);
  });
});

const sampleMask = sharedFile('hpa-sample/5c27f04c-bb99-11e8-b2b9-ac1f6b6435d0_predictedmask.png');
const SAMPLE_MASK = sampleMask.path;

describe.skipIf(!sampleMask.present)(sampleMask.title('real HPA cell masks (../shared/hpa-sample)'), () => {
  it('every cell of a 2048^2 field encodes and decodes to exactly its pixels', () => {
    const img = readGray(SAMPLE_MASK);
    const masks = encodeCellMasks(img, SAMPLE_MASK);
    expect(masks.size).toBeGreaterThan(3);
    const n = img.width * img.height;
    let covered = 0;
    for (const [id, s] of masks) {
      const back = countsToMask(decodeCounts(s, img.width, img.height), img.width, img.height);
      let wrong = 0;
      for (let i = 0; i < n; i++) {
        if (back[i] !== (img.data[i] === id ? 1 : 0)) wrong++;
        covered += back[i];
      }
      expect(wrong, `cell ${id}`).toBe(0);
    }
    // Together the cells are exactly the foreground.
    let foreground = 0;
    for (const v of img.data) if (v) foreground++;
    expect(covered).toBe(foreground);
  });
});
