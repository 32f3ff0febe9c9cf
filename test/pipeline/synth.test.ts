import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../pipeline/csv.js';
import { openDataset } from '../../pipeline/dataset.js';
import { LABEL_NAMES, NEGATIVE } from '../../pipeline/labels.js';
import { readGray } from '../../pipeline/png.js';
import { renderField } from '../../pipeline/synth/field.js';
import { writeSynthDataset } from '../../pipeline/synth/write.js';
import { tempDir } from './fixtures.js';

const tmp = tempDir('hpa-synth-');
afterAll(() => tmp.cleanup());

function sameBytes(a: string, b: string): void {
  const fa = readdirSync(a, { recursive: true }).map(String).sort();
  const fb = readdirSync(b, { recursive: true }).map(String).sort();
  expect(fa).toEqual(fb);
  for (const f of fa) {
    if (f === 'train') continue;
    expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
  }
}

describe('writeSynthDataset', () => {
  const a = join(tmp.dir, 'a');
  const summary = writeSynthDataset(a, { images: 6, size: 96, seed: 11 });

  it('the same seed gives byte-identical output, another seed does not', () => {
    const b = join(tmp.dir, 'b');
    writeSynthDataset(b, { images: 6, size: 96, seed: 11 });
    sameBytes(a, b);
    const c = join(tmp.dir, 'c');
    writeSynthDataset(c, { images: 6, size: 96, seed: 12 });
    expect(readFileSync(join(c, 'train.csv'), 'utf8')).not.toBe(readFileSync(join(a, 'train.csv'), 'utf8'));
  });

  it('writes a Kaggle layout that openDataset reads, with cell truth that agrees with it', () => {
    const ds = openDataset(a, { check: 'full' });
    expect(ds.items.map((i) => i.id)).toEqual(summary.ids);
    expect(ds.items.every((i) => i.width === 96 && i.height === 96)).toBe(true);
    const cells = readCsv(join(a, 'cells.csv'));
    expect(cells.header).toEqual(['ID', 'Cell', 'Label']);
    expect(cells.rows).toHaveLength(summary.cells);
    let touching = 0;
    for (const item of ds.items) {
      const rows = cells.rows.filter((r) => r.cells[0] === item.id);
      expect(rows.map((r) => Number(r.cells[1]))).toEqual(rows.map((_, k) => k + 1));
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.length).toBeLessThanOrEqual(30);
      const mask = readGray(join(a, 'train', `${item.id}_cells.png`));
      expect(mask.depth).toBe(16);
      const present = new Set(mask.data);
      present.delete(0);
      expect([...present].sort((x, y) => x - y)).toEqual(rows.map((_, k) => k + 1));
      // image label = union of cell labels, Negative only when alone
      const cellLabels = rows.map((r) => r.cells[2].split('|').map(Number));
      const union = [...new Set(cellLabels.flat())].filter((l) => l !== NEGATIVE || cellLabels.every((c) => c[0] === NEGATIVE));
      expect(item.labels).toEqual(union.sort((x, y) => x - y));
      for (let i = 1; i < mask.data.length; i++) {
        const p = mask.data[i];
        const q = mask.data[i - 1];
        if (p && q && p !== q && i % 96 !== 0) touching++;
      }
    }
    expect(touching, 'neighbouring cells share borders').toBeGreaterThan(0);
  });

  it('writes 16-bit channels with --bit-depth 16', () => {
    const d = join(tmp.dir, 'deep');
    writeSynthDataset(d, { images: 1, size: 48, seed: 1, bitDepth: 16 });
    const ds = openDataset(d);
    const g = readGray(ds.channelPath(ds.items[0].id, 'blue'));
    expect(g.depth).toBe(16);
    expect(Math.max(...g.data)).toBeGreaterThan(2000);
  });

  it('refuses to write into a folder that holds something, unless forced', () => {
    const d = join(tmp.dir, 'busy');
    writeSynthDataset(d, { images: 1, size: 32, seed: 1 });
    expect(() => writeSynthDataset(d, { images: 1, size: 32, seed: 1 })).toThrow(/busy: not empty$/);
    writeFileSync(join(d, 'note.txt'), 'mine');
    writeSynthDataset(d, { images: 2, size: 32, seed: 3, force: true });
    expect(openDataset(d).items).toHaveLength(2);
    expect(() => writeSynthDataset(d, { images: 0, force: true })).toThrow(/images must be a positive integer/);
    expect(() => writeSynthDataset(d, { images: 1, size: 8, force: true })).toThrow(/size must be an integer in 16\.\.8192/);
    expect(() => writeSynthDataset(d, { images: 1, minCells: 5, maxCells: 4, force: true })).toThrow('synth: the cell count range 5..4 is not 1 <= min <= max');
  });

  it('draws each field\'s cell count from minCells..maxCells; the default range is 3..30 and writes what it always wrote', () => {
    const few = join(tmp.dir, 'few');
    writeSynthDataset(few, { images: 6, size: 160, seed: 11, minCells: 3, maxCells: 6 });
    const counts = new Map<string, number>();
    for (const r of readCsv(join(few, 'cells.csv')).rows) counts.set(r.cells[0], (counts.get(r.cells[0]) ?? 0) + 1);
    expect(counts.size).toBe(6);
    // a crowded draw can lose a cell to its neighbours, never gain one
    for (const [id, n] of counts) expect(n >= 1 && n <= 6, `${id}: ${n} cells`).toBe(true);
    const dflt = join(tmp.dir, 'default-range');
    writeSynthDataset(dflt, { images: 6, size: 96, seed: 11, minCells: 3, maxCells: 30 });
    sameBytes(a, dflt);
  });
});

describe('renderField: the cells and the 19 patterns', () => {
  const size = 128;
  const mean = (v: Float32Array, pick: (i: number) => boolean) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < v.length; i++) if (pick(i)) (s += v[i]), n++;
    return n ? s / n : 0;
  };

  it('each nucleus lies inside its own cell and is smaller than it', () => {
    for (let seed = 0; seed < 4; seed++) {
      const f = renderField(seed, { width: size, height: size });
      expect(f.cellLabels.length).toBeGreaterThanOrEqual(3);
      const area = new Map<number, number>();
      const nuc = new Map<number, number>();
      for (let i = 0; i < f.cells.length; i++) {
        area.set(f.cells[i], (area.get(f.cells[i]) ?? 0) + 1);
        if (f.nuclei[i]) {
          expect(f.nuclei[i]).toBe(f.cells[i]);
          nuc.set(f.nuclei[i], (nuc.get(f.nuclei[i]) ?? 0) + 1);
        }
      }
      for (let k = 1; k <= f.cellLabels.length; k++) {
        expect(nuc.get(k)).toBeGreaterThan(0);
        expect(nuc.get(k)!).toBeLessThan(0.6 * area.get(k)!);
      }
    }
  });

  it('cells of a field share most labels but not all', () => {
    let differ = 0;
    let fields = 0;
    for (let seed = 0; seed < 40; seed++) {
      const f = renderField(seed, { width: 64, height: 64 });
      const key = (l: number[]) => l.join('|');
      const counts = new Map<string, number>();
      for (const l of f.cellLabels) counts.set(key(l), (counts.get(key(l)) ?? 0) + 1);
      const top = Math.max(...counts.values());
      expect(top / f.cellLabels.length).toBeGreaterThanOrEqual(0.3);
      if (counts.size > 1) differ++;
      fields++;
    }
    expect(differ).toBeGreaterThan(fields / 4);
    expect(differ).toBeLessThan(fields);
  });

  it('puts each pattern in its compartment', () => {
    const field = (l: number) => renderField(77, { width: size, height: size, labels: [l], cells: 5 });
    const inNuc = (f: ReturnType<typeof field>) => (i: number) => f.nuclei[i] > 0;
    const inCyto = (f: ReturnType<typeof field>) => (i: number) => f.cells[i] > 0 && f.nuclei[i] === 0;
    const nucleoplasm = field(0);
    expect(mean(nucleoplasm.green, inNuc(nucleoplasm))).toBeGreaterThan(4 * mean(nucleoplasm.green, inCyto(nucleoplasm)));
    const cytosol = field(16);
    expect(mean(cytosol.green, inCyto(cytosol))).toBeGreaterThan(3 * mean(cytosol.green, inNuc(cytosol)));
    const membrane = field(13);
    const edge = (i: number) => {
      const l = membrane.cells[i];
      return l > 0 && [i - 1, i + 1, i - size, i + size].some((j) => j >= 0 && j < membrane.cells.length && membrane.cells[j] !== l);
    };
    expect(mean(membrane.green, edge)).toBeGreaterThan(3 * mean(membrane.green, inNuc(membrane)));
    const negative = field(18);
    expect(mean(negative.green, (i) => negative.cells[i] > 0)).toBeLessThan(0.5 * mean(cytosol.green, (i) => cytosol.cells[i] > 0));
    const spindle = renderField(5, { width: size, height: size, labels: [11] });
    expect(spindle.cellLabels.some((l) => l.includes(11))).toBe(true);
  });

  it('gives every class a pattern of its own', () => {
    const greens = LABEL_NAMES.map((_, l) => renderField(31, { width: 64, height: 64, labels: [l], cells: 4 }).green);
    const corr = (a: Float32Array, b: Float32Array) => {
      const ma = mean(a, () => true);
      const mb = mean(b, () => true);
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let i = 0; i < a.length; i++) {
        ab += (a[i] - ma) * (b[i] - mb);
        aa += (a[i] - ma) ** 2;
        bb += (b[i] - mb) ** 2;
      }
      return ab / Math.sqrt(aa * bb);
    };
    for (let a = 0; a < 19; a++) for (let b = a + 1; b < 19; b++) expect(corr(greens[a], greens[b]), `${a} vs ${b}`).toBeLessThan(0.95);
  });
});
