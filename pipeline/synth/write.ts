import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../engine/io/atomic-write.js';
import { Rng } from '../../engine/random.js';
import { csvLine } from '../csv.js';
import { formatLabels } from '../labels.js';
import { encodeGrayFast } from '../png-zlib.js';
import { FIELD_CELLS, renderField, type SynthField } from './field.js';
import { refuseNonEmpty } from '../../engine/io/refuse-overwrite.js';

export const SYNTH_DEFAULTS = { size: 256, seed: 0, bitDepth: 8 as 8 | 16, minCells: FIELD_CELLS.min, maxCells: FIELD_CELLS.max };

export interface SynthOptions {
  images: number;
  /** Square field side in pixels. */
  size?: number;
  seed?: number;
  bitDepth?: 8 | 16;
  force?: boolean;
  /** The range each field's cell count is drawn from (renderField's default 3..30 when absent). */
  minCells?: number;
  maxCells?: number;
  /** Called after each field, for progress. */
  onField?: (index: number, id: string) => void;
}

export interface SynthSummary {
  ids: string[];
  cells: number;
}

/** Kaggle-looking ids (uuid-shaped hex), drawn from the seed. */
function fieldId(rng: Rng): string {
  const hex = (n: number) => Array.from({ length: n }, () => rng.int(16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
}

/** Quantises [0,1] to the stored depth. */
function quantise(v: Float32Array, depth: 8 | 16): Uint8Array | Uint16Array {
  const max = depth === 16 ? 65535 : 255;
  const out = depth === 16 ? new Uint16Array(v.length) : new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.round(v[i] * max);
  return out;
}

/**
 * `hpa-engine synth`: writes N synthetic fields in the Kaggle layout (train.csv and
 * train/{ID}_{red,green,blue,yellow}.png) with the truth the real data lacks:
 * train/{ID}_cells.png (16-bit instance labels) and cells.csv (ID, Cell, Label).
 * Output is a pure function of the options: the same seed gives the same bytes.
 */
export function writeSynthDataset(out: string, opts: SynthOptions): SynthSummary {
  const size = opts.size ?? SYNTH_DEFAULTS.size;
  const depth = opts.bitDepth ?? SYNTH_DEFAULTS.bitDepth;
  const seed = opts.seed ?? SYNTH_DEFAULTS.seed;
  if (!Number.isInteger(opts.images) || opts.images < 1) throw new Error(`synth: images must be a positive integer, got ${opts.images}`);
  if (!Number.isInteger(size) || size < 16 || size > 8192) throw new Error(`synth: size must be an integer in 16..8192, got ${size}`);
  if (depth !== 8 && depth !== 16) throw new Error(`synth: bitDepth must be 8 or 16, got ${depth}`);
  const lo = opts.minCells ?? FIELD_CELLS.min;
  const hi = opts.maxCells ?? FIELD_CELLS.max;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) throw new Error(`synth: the cell count range ${lo}..${hi} is not 1 <= min <= max`);
  refuseNonEmpty(out, opts.force);
  const imgDir = join(out, 'train');
  mkdirSync(imgDir, { recursive: true });
  // The folder is a dataset once train.csv exists, and that is written last; a run that
  // stops half way must not leave an old csv pointing at half-replaced images.
  rmSync(join(out, 'train.csv'), { force: true });
  rmSync(join(out, 'cells.csv'), { force: true });
  const master = new Rng(seed);
  const train = ['ID,Label'];
  const cells = ['ID,Cell,Label'];
  const ids: string[] = [];
  let cellCount = 0;
  for (let k = 0; k < opts.images; k++) {
    const id = fieldId(master);
    const field = renderField(master.nextU32(), { width: size, height: size, minCells: opts.minCells, maxCells: opts.maxCells });
    writeField(imgDir, id, field, depth);
    train.push(csvLine([id, formatLabels(field.labels)]));
    field.cellLabels.forEach((ls, i) => cells.push(csvLine([id, i + 1, formatLabels(ls)])));
    cellCount += field.cellLabels.length;
    ids.push(id);
    opts.onField?.(k, id);
  }
  // The csvs go last: a folder with a train.csv is a finished one.
  writeFileAtomic(join(out, 'cells.csv'), cells.join('\n') + '\n');
  writeFileAtomic(join(out, 'train.csv'), train.join('\n') + '\n');
  return { ids, cells: cellCount };
}

/** Plain writes, not one fsync per image (that was a third of the run time): the images
 * only count once train.csv, written last and atomically, names them. */
function writeField(dir: string, id: string, f: SynthField, depth: 8 | 16): void {
  for (const c of ['red', 'green', 'blue', 'yellow'] as const) {
    writeFileSync(join(dir, `${id}_${c}.png`), encodeGrayFast(f.width, f.height, quantise(f[c], depth)));
  }
  writeFileSync(join(dir, `${id}_cells.png`), encodeGrayFast(f.width, f.height, f.cells));
}
