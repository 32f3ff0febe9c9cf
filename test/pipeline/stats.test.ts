import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { barChart, Canvas, lineChart, niceTicks, PALETTE, type Picture } from '../../pipeline/chart.js';
import { decodeGray } from '../../pipeline/png.js';
import { datasetStats, formatStatsTable, labelStats } from '../../pipeline/stats.js';
import { tempDir } from './fixtures.js';
import { sharedFile } from '../helpers/shared-data.js';
import { cli } from '../cli/run-cli.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const count = (pic: Picture, c: readonly number[]) => {
  let n = 0;
  for (let i = 0; i < pic.width * pic.height; i++) if (pic.data[i * 3] === c[0] && pic.data[i * 3 + 1] === c[1] && pic.data[i * 3 + 2] === c[2]) n++;
  return n;
};

describe('label statistics', () => {
  it('counts single-label images and all images per label', () => {
    const s = labelStats([{ id: 'a', labels: [0] }, { id: 'b', labels: [0, 5] }, { id: 'c', labels: [5] }, { id: 'd', labels: [18] }]);
    expect(s.rows[0]).toMatchObject({ name: 'Nucleoplasm', single: 1, all: 2 });
    expect(s.rows[5]).toMatchObject({ single: 1, all: 2 });
    expect(s.rows[18]).toMatchObject({ single: 1, all: 1 });
    expect(s.perImage).toEqual([0, 3, 1]);
    const table = formatStatsTable(s);
    expect(table).toMatch(/\n\s+0 {2}Nucleoplasm\s+1\s+2\s+50\.0%/);
    expect(table).toMatch(/4 images; labels per image: 1: 3, 2: 1/);
  });

  it('the stats command: a table by default, the counts with --json, a chart only when asked', async () => {
    writeFileSync(join(dir, 'train.csv'), 'ID,Label\na,0\nb,0|16\nc,16\n');
    const table = await cli('stats', '--data', dir);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/3 images; labels per image: 1: 2, 2: 1/);
    const j = JSON.parse((await cli('stats', '--data', dir, '--json')).out);
    expect(j).toMatchObject({ images: 3, perImage: [0, 2, 1], chart: null });
    expect(j.rows[16]).toMatchObject({ label: 16, single: 1, all: 2 });
    expect(readdirSync(dir)).toEqual(['train.csv']);
    const chart = join(dir, 'c.png');
    expect((await cli('stats', '--data', dir, '--chart', chart)).code).toBe(0);
    const again = await cli('stats', '--data', dir, '--chart', chart);
    expect(again).toMatchObject({ code: 1, err: [`hpa-engine: ${chart}: already exists (use --force to replace it)`] });
  });

  it('the stats command writes a chart, and will not overwrite one unasked', () => {
    writeFileSync(join(dir, 'train.csv'), 'ID,Label\na,0\nb,0|16\nc,16\n');
    const chart = join(dir, 'dist.png');
    const { stats } = datasetStats(dir, chart); // labels only: no images needed
    expect(stats.rows[16].all).toBe(2);
    const png = decodeGray(readFileSync(chart), chart);
    expect(png.width).toBeGreaterThan(300);
    expect(() => datasetStats(dir, chart)).toThrow(/dist\.png: already exists$/);
    expect(() => datasetStats(dir, chart, true)).not.toThrow();
    writeFileSync(join(dir, 'sample_submission.csv'), 'ID,ImageWidth,ImageHeight,PredictionString\nt,8,8,\n');
    expect(() => datasetStats(join(dir, 'sample_submission.csv'), undefined)).toThrow(/a test set has no labels/);
  });

  const real = sharedFile('hpa-sample/train.csv');
  it.skipIf(!real.present)(real.title('matches the competition counts on the real train.csv'), () => {
    const { stats } = datasetStats(real.path, undefined);
    expect(stats.images).toBe(21806);
    expect(stats.rows[11].all).toBe(78);
    expect(stats.rows[0].all).toBe(8797);
  });
});

describe('chart', () => {
  it('picks round ticks that enclose the data', () => {
    expect(niceTicks(0, 8797)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(niceTicks(0.31, 0.69, 4)).toEqual([0.3, 0.4, 0.5, 0.6, 0.7]);
  });

  it('draws bars whose heights follow the values', () => {
    const pic = barChart({
      title: 'T',
      categories: ['a', 'b'],
      series: [
        { name: 's', values: [10, 40], color: [200, 0, 0] },
        { name: 'u', values: [0, 0], color: [0, 0, 200] },
      ],
    });
    // find the two bars' heights by scanning columns
    const heights: number[] = [];
    for (let x = 0; x < pic.width; x++) {
      let h = 0;
      for (let y = 0; y < pic.height; y++) if (pic.data[(y * pic.width + x) * 3] === 200 && pic.data[(y * pic.width + x) * 3 + 1] === 0) h++;
      if (h > 7 && (heights.length === 0 || heights[heights.length - 1] !== h)) heights.push(h); // 7: the legend swatch
    }
    expect(heights).toHaveLength(2);
    expect(heights[1] / heights[0]).toBeCloseTo(4, 0);
    expect(() => barChart({ title: 'T', categories: ['a'], series: [{ name: 's', values: [1, 2] }] })).toThrow(/2 values for 1 categories/);
  });

  it('draws one line per series, breaking at non-finite points', () => {
    const pic = lineChart({
      title: 'loss',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        { name: 'train', x: [1, 2, 3], y: [0.9, 0.5, 0.3] },
        { name: 'val', x: [1, 2, 3], y: [1.0, NaN, 0.4] },
      ],
    });
    expect(count(pic, PALETTE[0])).toBeGreaterThan(100);
    expect(count(pic, PALETTE[1])).toBeGreaterThan(10);
    expect(count(pic, PALETTE[1])).toBeLessThan(count(pic, PALETTE[0]));
  });

  it('writes text with the built-in font', () => {
    const c = new Canvas(40, 10, [0, 0, 0]);
    c.text(1, 1, '0.5', [255, 255, 255]);
    const pic = c.picture();
    expect(count(pic, [255, 255, 255])).toBeGreaterThan(15);
    const v = new Canvas(10, 40, [0, 0, 0]);
    v.text(1, 38, 'ab', [255, 255, 255], 1, true);
    expect(count(v.picture(), [255, 255, 255])).toBeGreaterThan(10);
  });
});
