// Cost of the submission side on full-size fields: encoding every cell mask of a 2048^2
// label image, decoding them back, and the mask IoUs of a whole field against its truth.
// Uses a synthetic grid of cells and the real HPA sample masks when present.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fieldOverlaps } from '../pipeline/evaluate.js';
import { runsFromCounts } from '../pipeline/mask-runs.js';
import { readGray, type GrayImage } from '../pipeline/png.js';
import { cellBoxes, cellCounts, decodeCounts, encodeCellMasks, maskToCounts } from '../pipeline/rle.js';
import type { BenchRow } from './report.js';

// Run from the repository root, beside ../shared as on the CI machine.
const SAMPLE = resolve('../shared/hpa-sample');

function syntheticField(size = 2048, cell = 160): GrayImage {
  const data = new Uint16Array(size * size);
  const per = Math.floor(size / cell);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const cx = Math.floor(x / cell);
      const cy = Math.floor(y / cell);
      const dx = (x % cell) - cell / 2;
      const dy = (y % cell) - cell / 2;
      if (cx < per && cy < per && dx * dx + dy * dy < (cell * 0.45) ** 2) data[y * size + x] = cy * per + cx + 1;
    }
  }
  return { width: size, height: size, depth: 16, data };
}

function time<T>(fn: () => T, reps: number): { ms: number; out: T } {
  let out = fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) out = fn();
  return { ms: (performance.now() - t0) / reps, out };
}

export async function rleBench(args: string[]): Promise<BenchRow[]> {
  const reps = args.includes('--quick') ? 1 : 5;
  // The real masks hold about ten cells; the synthetic grid is the crowded case.
  const fields: [string, GrayImage][] = [['synthetic', syntheticField()]];
  if (existsSync(SAMPLE)) {
    for (const f of readdirSync(SAMPLE).filter((f) => f.endsWith('_predictedmask.png'))) fields.push([f.slice(0, 8), readGray(join(SAMPLE, f))]);
  }
  const rows: BenchRow[] = [];
  for (const [name, img] of fields) {
    const cells = cellBoxes(img).size;
    const enc = time(() => encodeCellMasks(img, name), reps);
    const dec = time(() => [...enc.out.values()].map((s) => decodeCounts(s, img.width, img.height)), reps);
    const runs = dec.out.map((c) => runsFromCounts(c, img.height));
    const truth = { id: name, width: img.width, height: img.height, cells: [], masks: runs, labels: runs.map(() => [0]) };
    const iou = time(() => fieldOverlaps(truth, runs), reps);
    // The slow way the bounding-box pass avoids: one full-image scan per cell.
    const naive = time(() => {
      const bin = new Uint8Array(img.width * img.height);
      for (const id of cellBoxes(img).keys()) {
        for (let i = 0; i < bin.length; i++) bin[i] = img.data[i] === id ? 1 : 0;
        maskToCounts(bin, img.width, img.height);
      }
    }, 1);
    const boxes = cellBoxes(img);
    const countsOnly = time(() => {
      for (const [id, box] of boxes) cellCounts(img, id, box);
    }, reps);
    rows.push({
      field: `${name} ${img.width}x${img.height}`,
      cells,
      'encode all cells ms': enc.ms,
      'of which counts ms': countsOnly.ms,
      'full scan per cell ms': naive.ms,
      'decode all ms': dec.ms,
      'IoU all pairs ms': iou.ms,
      'mean mask b64 chars': [...enc.out.values()].reduce((s, m) => s + m.length, 0) / cells,
    });
  }
  return rows;
}
