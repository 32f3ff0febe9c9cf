import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { Canvas, lineChart, PALETTE, sideBySide } from '../../pipeline/chart.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EpochMetrics } from '../../pipeline/train/metrics.js';
import { drawCurves, EPOCH_HEADER, formatEpochRow, readMetricsCsv, writeMetricsCsv, type EpochRow } from '../../pipeline/train/run-log.js';
import { tempDir } from '../pipeline/fixtures.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('hpa-train-')));
afterEach(() => cleanup());

const m = (loss: number, f1: number): EpochMetrics => ({ loss, f1, accuracy: 0.25, precision: 0.5, recall: 0.75, images: NaN });
const rows: EpochRow[] = [
  { epoch: 1, train: m(0.693147, 0.1), val: m(0.6, 0.2), lr: 3e-4, seconds: 12.5, imagesPerSecond: 0.7 },
  { epoch: 2, train: m(0.5, 0.3), lr: 1.5e-4, seconds: 11, imagesPerSecond: 0.75 },
  { epoch: 3, train: m(NaN, 0.35), val: m(0.4, 0.45), lr: 0, seconds: 10, imagesPerSecond: 1 },
];
const csvFile = () => join(dir, 'metrics.csv');

describe('metrics.csv', () => {
  it('round-trips, with empty val cells for epochs without validation', () => {
    writeMetricsCsv(dir, rows);
    const text = readFileSync(csvFile(), 'utf8').split('\n');
    expect(text[0]).toBe(
      'epoch,train_loss,train_f1,train_accuracy,train_precision,train_recall,val_loss,val_f1,val_accuracy,val_precision,val_recall,lr,seconds,images_per_s',
    );
    expect(text[2]).toBe('2,0.5,0.3,0.25,0.5,0.75,,,,,,0.00015,11,0.75');
    expect(readMetricsCsv(dir)).toEqual(rows);
  });

  it('keeps six significant digits', () => {
    writeMetricsCsv(dir, [{ ...rows[1], train: m(2 / 3, 1 / 3) }]);
    expect(readMetricsCsv(dir)[0].train.loss).toBe(0.666667);
  });

  it('names the file and row of a malformed line', () => {
    writeMetricsCsv(dir, rows);
    const lines = readFileSync(csvFile(), 'utf8').split('\n');
    const rewrite = (row: number, line: string) => writeFileSync(csvFile(), lines.map((l, i) => (i === row - 1 ? line : l)).join('\n'));
    rewrite(3, lines[2].replace('0.3', 'abc'));
    expect(() => readMetricsCsv(dir)).toThrow(`${csvFile()} row 3: column 'train_f1' is 'abc', not a number`);
    rewrite(2, lines[1].replace(/,0\.6,/, ',,'));
    expect(() => readMetricsCsv(dir)).toThrow(/metrics\.csv row 2: the val_ columns are partly empty/);
    rewrite(4, lines[3].replace(/^3,/, '1,'));
    expect(() => readMetricsCsv(dir)).toThrow(/row 4: epoch 1 should be a whole number after 2/);
    rewrite(3, '2,0.5');
    expect(() => readMetricsCsv(dir)).toThrow(/metrics\.csv row 3: 2 cells where 14 expected/);
  });

  it('says when there is no metrics.csv', () => {
    expect(() => readMetricsCsv(dir)).toThrow(/metrics\.csv: file not found/);
  });
});

describe('curves.png', () => {
  for (const [what, data] of [['several epochs', rows], ['a single epoch', rows.slice(0, 1)], ['no validation', [rows[1]]]] as const) {
    it(`draws loss and F1 side by side for ${what}`, () => {
      drawCurves(dir, [...data]);
      const png = decode(readFileSync(join(dir, 'curves.png')));
      expect([png.width, png.height, png.channels]).toEqual([1120, 400, 3]);
      // Both plots have ink in their own half.
      const inkIn = (x0: number, x1: number) => {
        let n = 0;
        for (let y = 0; y < png.height; y++) for (let x = x0; x < x1; x++) if (png.data[(y * png.width + x) * 3] < 100) n++;
        return n;
      };
      expect(inkIn(0, 560)).toBeGreaterThan(500);
      expect(inkIn(560, 1120)).toBeGreaterThan(500);
    });
  }
});

describe('terminal table', () => {
  it('aligns each row under the headings', () => {
    const header = EPOCH_HEADER.split('\n');
    const lines = rows.map(formatEpochRow);
    const bars = (s: string) => [...s].flatMap((c, i) => (c === '|' ? [i] : []));
    expect(header[1]).toMatch(/^epoch \|\s+loss\s+f1\s+acc\s+prec\s+rec \|.* lr\s+s\s+img\/s$/);
    for (const l of [header[0], ...lines]) expect(bars(l).slice(0, 3)).toEqual(bars(header[1]));
    for (const l of lines) expect(l.length).toBe(header[1].length);
    expect(lines[0]).toBe('    1 |   0.6931  0.100  0.250  0.500  0.750 |   0.6000  0.200  0.250  0.500  0.750 |  3.00e-4    12.5    0.70');
    expect(lines[1]).toContain('|        -      -      -      -      - |');
    expect(lines[2]).toContain('|      NaN  0.350');
  });
});

describe('chart additions for the curves', () => {
  const colored = (data: Uint8Array, c: readonly number[]) => {
    let n = 0;
    for (let i = 0; i < data.length; i += 3) if (data[i] === c[0] && data[i + 1] === c[1] && data[i + 2] === c[2]) n++;
    return n;
  };

  it('lineChart: markers make a lone point visible, include widens the axes', () => {
    const series = [{ name: 'train', x: [1], y: [0.5] }];
    expect(colored(lineChart({ title: 't', series }).data, PALETTE[0])).toBe(9);
    expect(colored(lineChart({ title: 't', series, markers: true }).data, PALETTE[0])).toBe(25);
    const ink = (pic: { data: Uint8Array }) => colored(pic.data, [30, 30, 30]);
    // Tick labels 0..1 instead of 0.5..1.5: a different axis, so different ink.
    expect(ink(lineChart({ title: 't', series, include: { y: [0, 1] } }))).not.toBe(ink(lineChart({ title: 't', series })));
  });

  it('sideBySide puts pictures left to right, top-aligned, on white', () => {
    const a = new Canvas(2, 2, [255, 0, 0]).picture();
    const b = new Canvas(3, 1, [0, 0, 255]).picture();
    const pic = sideBySide([a, b]);
    expect([pic.width, pic.height]).toEqual([5, 2]);
    const px = (x: number, y: number) => [...pic.data.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3)];
    expect([px(1, 1), px(2, 0), px(4, 0), px(3, 1)]).toEqual([[255, 0, 0], [0, 0, 255], [0, 0, 255], [255, 255, 255]]);
  });
});
