import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readGray, writePng } from '../../pipeline/png.js';
import { segmentDataset } from '../../pipeline/segment/run.js';
import { readLabelPng, writeLabelPng, type FieldInfo } from '../../pipeline/segment/output.js';
import { tempDir } from '../pipeline/fixtures.js';
import { CARTOON, cartoonField } from './fixtures.js';
import { cli } from '../cli/run-cli.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('hpa-segment-')));
afterEach(() => cleanup());

/** A Kaggle train layout with two drawn fields; the truth goes to truth/train/{ID}_cells.png. */
function writeDataset(): { data: string; truth: string } {
  const data = join(dir, 'data');
  const truth = join(dir, 'truth');
  mkdirSync(join(data, 'train'), { recursive: true });
  mkdirSync(join(truth, 'train'), { recursive: true });
  writeFileSync(join(data, 'train.csv'), 'ID,Label\nfa,0|5\nfb,2\n');
  for (const [id, seed] of [['fa', 1], ['fb', 2]] as const) {
    const { ch, truth: t } = cartoonField(256, CARTOON, seed);
    for (const c of ['red', 'green', 'blue', 'yellow'] as const) writePng(join(data, 'train', `${id}_${c}.png`), 256, 256, ch[c].data);
    writeLabelPng(join(truth, 'train', `${id}_cells.png`), t);
  }
  return { data, truth };
}

describe('segmentDataset', () => {
  it('writes 16-bit labels and a json per field, flags edge cells, scores against truth', () => {
    const { data, truth } = writeDataset();
    const out = join(dir, 'seg');
    const lines: string[] = [];
    const r = segmentDataset({ data, out, scale: 0.5, compare: truth, overlay: join(dir, 'ov'), log: (l) => lines.push(l) });
    expect(r.fields.map((f) => f.info.id)).toEqual(['fa', 'fb']);
    const cells = readGray(join(out, 'fa_cells.png'));
    expect(cells.depth).toBe(16);
    expect(readGray(join(out, 'fa_nuclei.png')).depth).toBe(16);
    const info = JSON.parse(readFileSync(join(out, 'fa.json'), 'utf8')) as FieldInfo;
    expect(info.cellCount).toBe(6);
    expect(info.cells.filter((c) => c.border).length).toBe(1);
    const edge = info.cells.find((c) => c.border)!;
    expect(edge.bbox[2]).toBe(255);
    for (const c of info.cells) {
      expect(c.area).toBeGreaterThan(0);
      expect(c.nucleusArea).toBeGreaterThan(0);
      expect(cells.data[Math.round((c.bbox[1] + c.bbox[3]) / 2) * 256 + Math.round((c.bbox[0] + c.bbox[2]) / 2)]).toBe(c.cell);
    }
    expect(r.overall!.f1).toBeGreaterThanOrEqual(0.9);
    expect(r.overall!.reference).toBe(12);
    expect(existsSync(join(dir, 'ov', 'fa_overlay.png')) && existsSync(join(dir, 'ov', 'fb_overlay.png'))).toBe(true);
    expect(readGray(join(dir, 'ov', 'fa_overlay.png')).width).toBe(256);
    expect(lines.some((l) => /^fa: 6 cells \(1 on the border\)/.test(l))).toBe(true);

    // Its own output as the reference: a perfect score.
    const self = segmentDataset({ data, out: join(dir, 'seg2'), ids: ['fb'], scale: 0.5, compare: out });
    expect(self.overall!.f1).toBe(1);
  });

  it('the segment command with --compare --json: one JSON document on stdout, progress on stderr', async () => {
    const { data, truth } = writeDataset();
    const r = await cli('segment', '--data', data, '--out', join(dir, 'seg'), '--scale', '0.5', '--compare', truth, '--json');
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.fields.map((f: { id: string }) => f.id)).toEqual(['fa', 'fb']);
    expect(j.fields[0]).toMatchObject({ cells: 6, border: 1 });
    expect(j.fields[0].comparison).toMatchObject({ id: 'fa', reference: 6 });
    expect(j.overall).toMatchObject({ id: 'overall', reference: 12 });
    expect(j.overall.f1).toBeGreaterThanOrEqual(0.9);
    expect(r.err.some((l) => /^fa: 6 cells/.test(l))).toBe(true);
  });

  it('refuses to overwrite without force, and says which file', () => {
    const { data } = writeDataset();
    const out = join(dir, 'seg');
    segmentDataset({ data, out, ids: ['fa'], scale: 0.5 });
    expect(() => segmentDataset({ data, out, ids: ['fa'], scale: 0.5 })).toThrow(/fa_cells\.png: already exists$/);
    expect(segmentDataset({ data, out, ids: ['fa'], scale: 0.5, force: true }).fields).toHaveLength(1);
  });

  it('gives one-line errors for an unknown ID, a missing channel and a missing reference', () => {
    const { data } = writeDataset();
    expect(() => segmentDataset({ data, out: join(dir, 's1'), ids: ['nope'] })).toThrow(/^ID 'nope' is not in .*train\.csv$/);
    expect(() => segmentDataset({ data, out: join(dir, 's2'), ids: ['fa'], compare: join(dir, 'empty') })).toThrow(/^compare: no reference mask for fa in /);
    unlinkSync(join(data, 'train', 'fb_yellow.png'));
    expect(() => segmentDataset({ data, out: join(dir, 's3'), ids: ['fb'] })).toThrow(/fb_yellow\.png: file not found$/);
  });
});

describe('label files', () => {
  it('round-trip 16-bit labels and refuse more than 65535 objects', () => {
    const f = join(dir, 'l.png');
    writeLabelPng(f, { width: 3, height: 1, data: Uint32Array.from([0, 65535, 7]), count: 65535 });
    expect([...readLabelPng(f).data]).toEqual([0, 65535, 7]);
    expect(() => writeLabelPng(f, { width: 1, height: 1, data: Uint32Array.from([65536]), count: 65536 })).toThrow(
      /l\.png: 65536 objects do not fit a 16-bit label image \(at most 65535\)$/,
    );
  });
});
