import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeGallery } from '../../pipeline/gallery/gallery.js';
import { fitSize } from '../../pipeline/gallery/panel.js';
import { readCsv } from '../../pipeline/csv.js';
import { readGray } from '../../pipeline/png.js';
import { decode } from 'fast-png';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { sharedFile } from '../helpers/shared-data.js';
import { tempDir } from './fixtures.js';

const tmp = tempDir('hpa-gallery-');
afterAll(() => tmp.cleanup());

const rgb = (file: string) => {
  const png = decode(readFileSync(file));
  expect(png.channels).toBe(3);
  return { width: png.width, height: png.height, data: png.data as Uint8Array };
};

const synth = join(tmp.dir, 'synth');
writeSynthDataset(synth, { images: 40, size: 64, seed: 7 });

describe('gallery', () => {
  it('fits the longer side to the panel and never enlarges a small field', () => {
    expect(fitSize(2048, 2048, 512)).toEqual({ width: 512, height: 512 });
    expect(fitSize(3072, 2048, 512)).toEqual({ width: 512, height: 341 });
    expect(fitSize(200, 100, 512)).toEqual({ width: 200, height: 100 });
  });

  it("draws Figs. 5, 6, 7 and 9 of a Kaggle train folder, with Fig. 9's fields the first single-label one of each label in csv order", () => {
    const out = join(tmp.dir, 'g1');
    const lines: string[] = [];
    const r = writeGallery({ data: synth, out, panel: 64, log: (l) => lines.push(l) });
    expect(r.figures.map((f) => f.figure)).toEqual(['Fig. 5', 'Fig. 6', 'Fig. 7', 'Fig. 9']);
    for (const f of r.figures) expect(existsSync(f.file)).toBe(true);

    // The csv read here, not through the gallery's own reader.
    const rows = readCsv(join(synth, 'train.csv')).rows.map(({ cells }) => ({ id: cells[0], labels: cells[1].split('|').map(Number) }));
    expect(r.figures[1].ids).toEqual(rows.slice(0, 3).map((x) => x.id));
    const expected = new Map<number, string>();
    for (const x of rows) if (x.labels.length === 1 && !expected.has(x.labels[0])) expected.set(x.labels[0], x.id);
    const labels = [...expected.keys()].sort((a, b) => a - b);
    expect(r.figures[3].ids).toEqual(labels.map((l) => expected.get(l)));
    expect(r.missingLabels).toEqual(Array.from({ length: 19 }, (_, l) => l).filter((l) => !expected.has(l)));
    if (r.missingLabels.length) expect(lines.join('\n')).toContain(`no single-label field for label`);

    // Fig. 9: 5 panels a row; each panel 64 wide, 8 white pixels between.
    const f9 = rgb(r.figures[3].file);
    expect(f9.width).toBe(Math.min(5, labels.length) * 64 + (Math.min(5, labels.length) - 1) * 8);
  });

  it('shows each channel of the first field alone in its colour, at the mean of the full-resolution pixels it covers', () => {
    const out = join(tmp.dir, 'g2');
    const r = writeGallery({ data: synth, out, panel: 32 });
    const id = r.figures[0].ids[0];
    const f5 = rgb(r.figures[0].file);
    expect(f5.width).toBe(4 * 32 + 3 * 8);
    const panelTop = f5.height - 32;
    const colours = { red: [1, 0, 0], green: [0, 1, 0], blue: [0, 0, 1], yellow: [1, 1, 0] } as const;
    (['red', 'green', 'blue', 'yellow'] as const).forEach((c, k) => {
      const src = readGray(join(synth, 'train', `${id}_${c}.png`));
      const x0 = k * (32 + 8);
      // 64 -> 32: each panel pixel is the mean of a 2x2 block.
      for (const [px, py] of [[3, 5], [16, 16], [30, 1], [9, 27]]) {
        const at = ((panelTop + py) * f5.width + x0 + px) * 3;
        const s = (dx: number, dy: number) => src.data[(2 * py + dy) * 64 + 2 * px + dx];
        const mean = (s(0, 0) + s(1, 0) + s(0, 1) + s(1, 1)) / 4;
        for (let o = 0; o < 3; o++) expect(Math.abs(f5.data[at + o] - colours[c][o] * mean), `${c} at ${px},${py} plane ${o}`).toBeLessThanOrEqual(0.51);
      }
    });
  });

  it('puts the ybr blend in red, green, blue order', () => {
    const out = join(tmp.dir, 'g3');
    const r = writeGallery({ data: synth, out, panel: 64, fields: 1 });
    const id = r.figures[1].ids[0];
    const f6 = rgb(r.figures[1].file);
    const top = f6.height - 64;
    const plane = (c: string) => readGray(join(synth, 'train', `${id}_${c}.png`)).data;
    const [y, b, red] = [plane('yellow'), plane('blue'), plane('red')];
    for (const i of [0, 100, 2000, 4095]) {
      const at = ((top + Math.floor(i / 64)) * f6.width + (i % 64)) * 3;
      expect([...f6.data.subarray(at, at + 3)]).toEqual([y[i], b[i], red[i]]);
    }
  });

  it('refuses to replace a figure unless forced, before reading anything', () => {
    const out = join(tmp.dir, 'g4');
    mkdirSync(out);
    writeFileSync(join(out, 'fig7-rgb.png'), 'mine');
    expect(() => writeGallery({ data: join(tmp.dir, 'nowhere'), out })).toThrow(/fig7-rgb\.png: already exists/);
    expect(readFileSync(join(out, 'fig7-rgb.png'), 'utf8')).toBe('mine');
    writeGallery({ data: synth, out, panel: 16, force: true });
    expect(readFileSync(join(out, 'fig7-rgb.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('leaves Fig. 9 out of a test split, which has no labels', () => {
    const test = join(tmp.dir, 'test-split');
    mkdirSync(join(test, 'test'), { recursive: true });
    const id = readCsv(join(synth, 'train.csv')).rows[0].cells[0];
    for (const c of ['red', 'green', 'blue', 'yellow']) copyFileSync(join(synth, 'train', `${id}_${c}.png`), join(test, 'test', `${id}_${c}.png`));
    writeFileSync(join(test, 'sample_submission.csv'), `ID,ImageWidth,ImageHeight,PredictionString\n${id},64,64,\n`);
    const r = writeGallery({ data: test, out: join(tmp.dir, 'g5'), panel: 16 });
    expect(r.figures.map((f) => f.figure)).toEqual(['Fig. 5', 'Fig. 6', 'Fig. 7']);
  });

  it('names the folder when no field has its images', () => {
    const empty = join(tmp.dir, 'no-images');
    mkdirSync(empty);
    writeFileSync(join(empty, 'train.csv'), 'ID,Label\nabc,0\n');
    expect(() => writeGallery({ data: empty, out: join(tmp.dir, 'g6') })).toThrow(/train\.csv: none of its 1 fields has all four channel images/);
  });

  const sample = sharedFile('hpa-sample/train.csv');
  it.runIf(sample.present)(sample.title('draws the real HPA fields beside the full competition csv, passing over the rows whose images are absent'), () => {
    const r = writeGallery({ data: join(sample.path, '..'), out: join(tmp.dir, 'g7'), panel: 128 });
    expect(r.figures[1].ids).toEqual(['5c27f04c-bb99-11e8-b2b9-ac1f6b6435d0', 'b6a469d8-bbad-11e8-b2ba-ac1f6b6435d0']);
    // b6a469d8 is labelled 11 alone; 5c27f04c has three labels.
    expect(r.figures[3].ids).toEqual(['b6a469d8-bbad-11e8-b2ba-ac1f6b6435d0']);
    expect(r.skippedNoImages).toBeGreaterThan(1000);
    const f7 = rgb(r.figures[2].file);
    expect(f7.width).toBe(2 * 128 + 8);
  });
});
