import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { writePng } from '../../pipeline/png.js';

export { tempDir } from '../pipeline/fixtures.js';

/** Inclusive rectangle [x0..x1] x [y0..y1]. */
export type Rect = [x0: number, x1: number, y0: number, y1: number];

/** Row-major 0/1 mask of one rectangle. */
export function rectMask(width: number, height: number, [x0, x1, y0, y1]: Rect): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * width + x] = 1;
  return m;
}

export interface TruthCell {
  rect: Rect;
  /** Labels for cells.csv; undefined leaves the instance out of cells.csv. */
  labels?: number[];
}

/** Writes a truth folder in the synthetic generator's layout: train.csv, cells.csv and a
 * 16-bit instance PNG per field, cell k (1-based, in list order) painted with value k. */
export function writeTruth(dir: string, fields: { id: string; width: number; height: number; cells: TruthCell[] }[]): void {
  mkdirSync(join(dir, 'train'), { recursive: true });
  const train = ['ID,Label'];
  const cells = ['ID,Cell,Label'];
  for (const f of fields) {
    const img = new Uint16Array(f.width * f.height);
    const all = new Set<number>();
    f.cells.forEach((c, k) => {
      const [x0, x1, y0, y1] = c.rect;
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) img[y * f.width + x] = k + 1;
      if (c.labels) {
        cells.push(`${f.id},${k + 1},${c.labels.join('|')}`);
        c.labels.forEach((l) => all.add(l));
      }
    });
    train.push(`${f.id},${[...all].join('|') || '18'}`);
    writePng(join(dir, 'train', `${f.id}_cells.png`), f.width, f.height, img);
  }
  writeFileSync(join(dir, 'train.csv'), train.join('\n') + '\n');
  writeFileSync(join(dir, 'cells.csv'), cells.join('\n') + '\n');
}

/** The error must be one line and match `pattern`. */
export function expectError(fn: () => unknown, pattern: RegExp): void {
  let msg = '';
  try {
    fn();
  } catch (e) {
    msg = (e as Error).message;
  }
  expect(msg, 'expected an error').not.toBe('');
  expect(msg).not.toContain('\n');
  expect(msg).toMatch(pattern);
}
