import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDataset } from '../../pipeline/dataset.js';
import { readGray, writePng, type GrayImage } from '../../pipeline/png.js';
import { cropCell } from '../../pipeline/tiles/crop.js';
import { makeTiles } from '../../pipeline/tiles/make.js';
import { segmentDataset } from '../../pipeline/segment/run.js';
import { writeLabelPng } from '../../pipeline/segment/output.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { tempDir } from '../pipeline/fixtures.js';
import { CARTOON, cartoonField } from './fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('hpa-tiles-')));
afterEach(() => cleanup());

describe('cropCell', () => {
  // 10x8 image whose samples are 1 + x + 10 y; cell 1 covers x 2..5, y 3..4; cell 2 is x=6.
  const W = 10;
  const H = 8;
  const img: GrayImage = { width: W, height: H, depth: 8, data: Uint8Array.from({ length: W * H }, (_, i) => 1 + i) };
  const labels = new Uint8Array(W * H);
  for (let y = 3; y <= 4; y++) {
    for (let x = 2; x <= 5; x++) labels[y * W + x] = 1;
    labels[y * W + 6] = 2;
  }
  const at = (x: number, y: number) => 1 + x + W * y;

  it('centres the box on a zero square and keeps the margin', () => {
    const [t] = cropCell([img], labels, 1, [2, 3, 5, 4], { size: 6, margin: 1, maskOthers: false });
    // box 4x2 + margin 1 -> 6x4 content on a 6x6 square, one zero row above and below.
    expect([...t.slice(0, 6)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...t.slice(6, 12)]).toEqual([1, 2, 3, 4, 5, 6].map((x) => at(x, 2)));
    expect([...t.slice(24, 30)]).toEqual([1, 2, 3, 4, 5, 6].map((x) => at(x, 5)));
    expect([...t.slice(30)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('zeroes other cells but keeps background with maskOthers', () => {
    const [t] = cropCell([img], labels, 1, [2, 3, 5, 4], { size: 6, margin: 1, maskOthers: true });
    expect(t[2 * 6 + 5]).toBe(0); // (6, 3) belongs to cell 2
    expect(t[1 * 6 + 5]).toBe(at(6, 2)); // (6, 2) is background
    expect(t[2 * 6 + 1]).toBe(at(2, 3));
  });

  it('keeps the cell centred when the margin runs off the image, and resizes', () => {
    const [t] = cropCell([img], labels, 1, [0, 0, 1, 1], { size: 4, margin: 1, maskOthers: false });
    // 4x4 canvas from (-1,-1): first row and column are outside the image.
    expect([...t.slice(0, 4)]).toEqual([0, 0, 0, 0]);
    expect([...t.slice(4, 8)]).toEqual([0, at(0, 0), at(1, 0), at(2, 0)]);
    const [small] = cropCell([img], labels, 1, [2, 3, 5, 4], { size: 3, margin: 1, maskOthers: false });
    expect(small.length).toBe(9);
    const [big] = cropCell([{ ...img, depth: 16, data: Uint16Array.from(img.data, (v) => v * 300) }], labels, 1, [2, 3, 5, 4], { size: 12, margin: 1, maskOthers: false });
    expect(big).toBeInstanceOf(Uint16Array);
    expect(big.length).toBe(144);
  });
});

function writeCartoonDataset(): string {
  const data = join(dir, 'data');
  mkdirSync(join(data, 'train'), { recursive: true });
  writeFileSync(join(data, 'train.csv'), 'ID,Label\nfa,0|5\nfb,2\n');
  for (const [id, seed] of [['fa', 1], ['fb', 2]] as const) {
    const { ch } = cartoonField(256, CARTOON, seed);
    for (const c of ['red', 'green', 'blue', 'yellow'] as const) writePng(join(data, 'train', `${id}_${c}.png`), 256, 256, ch[c].data);
  }
  return data;
}

describe('makeTiles', () => {
  it('writes a Kaggle-layout tile dataset with the image labels', () => {
    const data = writeCartoonDataset();
    const seg = join(dir, 'seg');
    segmentDataset({ data, out: seg, scale: 0.5 });
    const out = join(dir, 'tiles');
    const r = makeTiles({ data, seg, out, size: 64, margin: 4, maskOthers: true });
    expect(r).toEqual({ fields: 2, tiles: 12, unmatched: 0 });
    const ds = openDataset(out, { check: 'full' });
    expect(ds.items).toHaveLength(12);
    expect(ds.items[0]).toMatchObject({ id: 'fa_1', labels: [0, 5], width: 64, height: 64 });
    expect(ds.items.find((it) => it.id === 'fb_6')!.labels).toEqual([2]);
    // The centre of a tile is its cell's cytoplasm or nucleus, never black.
    const blue = readGray(join(out, 'train', 'fa_1_blue.png'));
    expect(blue.data[32 * 64 + 32]).toBeGreaterThan(50);

    expect(() => makeTiles({ data, seg, out })).toThrow(/tiles: not empty$/);
    expect(makeTiles({ data, seg, out, force: true, ids: ['fb'] }).tiles).toBe(6);
  });

  it('labels tiles with the matching true cell with truthLabels', () => {
    const data = join(dir, 'synth');
    writeSynthDataset(data, { images: 2, size: 256, seed: 4 });
    const seg = join(dir, 'seg');
    segmentDataset({ data, out: seg });
    const r = makeTiles({ data, seg, out: join(dir, 'tiles'), size: 32, truthLabels: true });
    expect(r.tiles + r.unmatched).toBeGreaterThan(10);
    // Every tile label is one of its field's true cell labels, as cells.csv gives them.
    const cellRows = readFileSync(join(data, 'cells.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const tileRows = readFileSync(join(dir, 'tiles', 'train.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(tileRows).toHaveLength(r.tiles);
    for (const [tileId, label] of tileRows) {
      const id = tileId.slice(0, tileId.lastIndexOf('_'));
      expect(cellRows.some(([cid, , l]) => cid === id && l === label)).toBe(true);
    }
  });

  it('gives one-line errors for a missing segmentation, mismatched sizes and test data', () => {
    const data = writeCartoonDataset();
    const seg = join(dir, 'seg');
    segmentDataset({ data, out: seg, scale: 0.5, ids: ['fa'] });
    expect(() => makeTiles({ data, seg, out: join(dir, 't1') })).toThrow(/fb_cells\.png: file not found \(no segmentation of fb; segment the fields first\)$/);
    writeLabelPng(join(seg, 'fb_cells.png'), { width: 128, height: 128, data: new Uint32Array(128 * 128).fill(1), count: 1 });
    expect(() => makeTiles({ data, seg, out: join(dir, 't2') })).toThrow(/fb_red\.png: 256x256 but its segmentation .*fb_cells\.png is 128x128$/);
    // A folder of bare images is the test layout: no labels to give the tiles.
    const bare = join(dir, 'bare');
    mkdirSync(bare);
    for (const c of ['red', 'green', 'blue', 'yellow']) copyFileSync(join(data, 'train', `fa_${c}.png`), join(bare, `fa_${c}.png`));
    expect(() => makeTiles({ data: bare, seg, out: join(dir, 't3') })).toThrow(/bare: tiles need image labels, i\.e\. a train\.csv \(found the test layout\)$/);
  });
});
