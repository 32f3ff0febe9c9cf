import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Canvas, textWidth } from '../../pipeline/chart.js';
import { NUM_LABELS } from '../../pipeline/labels.js';
import { predictionOverlay, topLabel } from '../../pipeline/predict/overlay.js';
import { predictDataset } from '../../pipeline/predict/predict.js';
import type { Scorer } from '../../pipeline/predict/scorer.js';
import { segmentDataset } from '../../pipeline/segment/run.js';
import type { FieldChannels } from '../../pipeline/segment/field.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { tempDir } from '../pipeline/fixtures.js';

const tmp = tempDir('hpa-overlay-');
afterAll(() => tmp.cleanup());

const dark = (w: number, h: number) => ({ width: w, height: h, depth: 8 as const, data: new Uint8Array(w * h) });

describe('prediction overlays', () => {
  it('tags a cell with the label of the highest score', () => {
    expect(topLabel([0.1, 0.7, 0.3, 0.7])).toEqual({ label: 1, confidence: 0.7 });
    expect(topLabel(Array.from({ length: NUM_LABELS }, (_, l) => (l === 18 ? 0.9 : 0.2)))).toEqual({ label: 18, confidence: 0.9 });
  });

  it('outlines each cell in white and writes its top label and confidence at its centroid', () => {
    const W = 300;
    const H = 60;
    const ch: FieldChannels = { red: dark(W, H), green: dark(W, H), blue: dark(W, H), yellow: dark(W, H) };
    // Two rectangular cells: 1 at x 10..49, y 10..49; 2 at x 170..259, y 10..49.
    const data = new Uint32Array(W * H);
    for (let y = 10; y < 50; y++) for (let x = 10; x < 260; x++) if (x < 50 || x >= 170) data[y * W + x] = x < 50 ? 1 : 2;
    const pic = predictionOverlay(ch, { width: W, height: H, data, count: 2 }, [{ cell: 2, label: 3, confidence: 0.876 }]);
    expect([pic.width, pic.height]).toEqual([W, H]);
    const px = (x: number, y: number) => [...pic.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
    expect(px(10, 30)).toEqual([255, 255, 255]); // cell 1's left edge
    expect(px(30, 10)).toEqual([255, 255, 255]); // its top edge
    expect(px(30, 30)).toEqual([0, 0, 0]); // inside, on a dark field, untagged
    expect(px(100, 30)).toEqual([0, 0, 0]); // background between the cells
    // Cell 2's tag, centred on its centroid (214.5, 29.5).
    const text = 'Fibrillar center 0.88';
    const w = textWidth(text) + 4;
    const x0 = Math.round(214.5 - w / 2);
    const y0 = Math.round(29.5 - 5);
    const want = new Canvas(w, 11, [0, 0, 0]);
    want.text(2, 2, text, [255, 230, 0]);
    for (let y = 0; y < 11; y++) for (let x = 0; x < w; x++) expect(px(x0 + x, y0 + y), `tag pixel ${x},${y}`).toEqual([...want.data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)]);
  });

  describe('predict --overlay', () => {
    const data = join(tmp.dir, 'data');
    const seg = join(tmp.dir, 'seg');
    let ids: string[];
    beforeAll(() => {
      ids = writeSynthDataset(data, { images: 2, size: 128, seed: 5 }).ids;
      segmentDataset({ data, out: seg });
    });
    // Label 7 scores highest in every field, so every tag must read Golgi.
    const scorer: Scorer = {
      blend: ['red', 'green', 'blue'],
      resize: 32,
      crop: 32,
      batchSize: 2,
      score: async (_x, n) => new Float32Array(n * NUM_LABELS).map((_, i) => (i % NUM_LABELS === 7 ? 0.8 : 0.1)),
    };

    it('writes one overlay per field, the size of the field', async () => {
      const overlay = join(tmp.dir, 'overlays');
      const r = await predictDataset({ data, seg, out: join(tmp.dir, 'out1'), image: scorer, overlay });
      expect(r.overlay).toBe(overlay);
      expect(readdirSync(overlay).sort()).toEqual(ids.map((id) => `${id}_overlay.png`).sort());
      for (const id of ids) {
        const png = decode(readFileSync(join(overlay, `${id}_overlay.png`)));
        expect([png.width, png.height, png.channels]).toEqual([128, 128, 3]);
        // Tag ink (255, 230, 0) is there: cells were tagged.
        let ink = 0;
        for (let i = 0; i < png.data.length; i += 3) if (png.data[i] === 255 && png.data[i + 1] === 230 && png.data[i + 2] === 0) ink++;
        expect(ink, id).toBeGreaterThan(0);
      }
    });

    it('refuses a non-empty overlay folder without force, before scoring anything', async () => {
      const overlay = join(tmp.dir, 'mine');
      mkdirSync(overlay);
      writeFileSync(join(overlay, 'keep.txt'), 'mine');
      let scored = 0;
      const counting: Scorer = { ...scorer, score: async (x, n) => (scored++, scorer.score(x, n)) };
      await expect(predictDataset({ data, seg, out: join(tmp.dir, 'out2'), image: counting, overlay })).rejects.toThrow(`${overlay}: not empty`);
      expect(scored).toBe(0);
      expect(readFileSync(join(overlay, 'keep.txt'), 'utf8')).toBe('mine');
    });
  });
});
