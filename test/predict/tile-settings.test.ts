/**
 * Tiles that predict knows: `tiles` at 64 px records how it cut cells (TILES/tiles.json), the
 * tile model's record names that folder, and `predict --tile-model` cuts cells exactly so,
 * with no tile flag given; a hand-given --tile-size that disagrees is refused. Real binary,
 * real PNGs, real checkpoints (tiny B0s).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, openDataset } from '../../pipeline/dataset.js';
import { readChannels, readGrayFile } from '../../pipeline/segment/channels.js';
import { labelBoxes } from '../../pipeline/segment/morphology.js';
import { readLabelPng } from '../../pipeline/segment/output.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { cropCell } from '../../pipeline/tiles/crop.js';

const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l.startsWith('hpa-engine:')), stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'hpa-tile-settings-'));
const data = join(dir, 'data');
const seg = join(dir, 'seg');
const tiles = join(dir, 'tiles');
const TINY = ['--size', '32', '--resize', '32', '--batch', '4', '--epochs', '1', '--workers', '0', '--no-cache'];

beforeAll(() => {
  writeSynthDataset(data, { images: 6, size: 160, seed: 11 });
  for (const args of [
    ['segment', '--data', data, '--out', seg, '--scale', '0.5'],
    ['tiles', '--data', data, '--seg', seg, '--out', tiles, '--size', '64', '--margin', '3', '--mask-others'],
    ['train', '--data', data, '--out', join(dir, 'image'), ...TINY],
    ['train', '--data', tiles, '--out', join(dir, 'tile'), ...TINY],
  ]) {
    const r = cli(...args);
    expect(r.code, `${args.join(' ')}\n${r.stderr.slice(-1500)}`).toBe(0);
  }
});

describe('tile settings from tiles to predict', () => {
  it('tiles writes TILES/tiles.json: size, margin, mask-others and the segmentation scale', () => {
    const s = JSON.parse(readFileSync(join(tiles, 'tiles.json'), 'utf8'));
    expect(s).toMatchObject({ size: 64, margin: 3, maskOthers: true, segmentScale: 0.5, truthLabels: false, seg });
  });

  it('predict --tile-model cuts each cell exactly as the tiles command cut it, with no tile flag given', () => {
    const out = join(dir, 'predict');
    const r = cli('predict', '--data', data, '--split', 'train', '--seg', seg, '--image-model', join(dir, 'image', 'best.safetensors'), '--tile-model', join(dir, 'tile', 'best.safetensors'), '--out', out, '--json');
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.tiles).toEqual({ size: 64, margin: 3, maskOthers: true });
    // predict's tile of every cell, cut from its own masks with its options, is the tiles command's PNG.
    const ds = openDataset(data);
    let compared = 0;
    for (const it of ds.items) {
      const cells = readLabelPng(join(out, 'masks', `${it.id}_cells.png`));
      const ch = readChannels(ds, it.id);
      const boxes = labelBoxes(cells);
      for (let cell = 1; cell <= cells.count; cell++) {
        const b = boxes[cell];
        if (!b.area) continue;
        const cut = cropCell(CHANNELS.map((c) => ch[c]), cells.data, cell, [b.x0, b.y0, b.x1, b.y1], result.tiles);
        CHANNELS.forEach((c, k) => {
          const png = readGrayFile(join(tiles, 'train', `${it.id}_${cell}_${c}.png`));
          expect([png.width, png.height]).toEqual([64, 64]);
          expect(Buffer.from(cut[k]).equals(Buffer.from(png.data)), `${it.id} cell ${cell} ${c}`).toBe(true);
        });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5);
  });

  it('a hand-given --tile-size or --tile-margin that disagrees with the tiles folder is refused, naming it', () => {
    const base = ['predict', '--data', data, '--split', 'train', '--seg', seg, '--image-model', join(dir, 'image', 'best.safetensors'), '--tile-model', join(dir, 'tile', 'best.safetensors'), '--out', join(dir, 'refused')];
    const size = cli(...base, '--tile-size', '256');
    expect(size.code).toBe(2);
    expect(size.err).toHaveLength(1);
    expect(size.err[0]).toMatch(/^hpa-engine: predict: --tile-size: the tile model was trained on tiles cut with size 64 \(.*tiles\.json\), not 256/);
    const margin = cli(...base, '--tile-margin', '0');
    expect(margin.code).toBe(2);
    expect(margin.err[0]).toMatch(/^hpa-engine: predict: --tile-margin: the tile model was trained on tiles cut with margin 3 /);
  });
});
