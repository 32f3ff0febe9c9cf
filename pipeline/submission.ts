import { basename } from 'node:path';
import { writeFileAtomic } from '../engine/io/atomic-write.js';
import { csvLine, readCsv, requireColumns, type CsvTable } from './csv.js';
import { NUM_LABELS } from './labels.js';
import { decodeCounts, type RleCounts } from './rle.js';
import { refuseOverwrite } from '../engine/io/refuse-overwrite.js';

/** One `label confidence mask` triple; mask is the base64(zlib(COCO RLE text)) string. */
export interface Prediction {
  label: number;
  confidence: number;
  mask: string;
}

export interface SubmissionRow {
  id: string;
  width: number;
  height: number;
  predictions: Prediction[];
}

/** A row as read back: its row number in the file and each prediction's decoded counts
 * (shared between triples that repeat the same mask string, as the 19 classes of a cell do). */
export interface ReadRow extends SubmissionRow {
  row: number;
  predictions: (Prediction & { counts: RleCounts })[];
}

export const SUBMISSION_COLUMNS = ['ID', 'ImageWidth', 'ImageHeight', 'PredictionString'] as const;

/** Seven significant digits keep the order of float32 scores without printing noise. */
function formatConfidence(c: number): string {
  return String(Number(c.toPrecision(7)));
}

export function formatSubmission(rows: readonly SubmissionRow[]): string {
  const lines = [SUBMISSION_COLUMNS.join(',')];
  for (const r of rows) {
    const triples = r.predictions.map((p) => `${p.label} ${formatConfidence(p.confidence)} ${p.mask}`);
    lines.push(csvLine([r.id, r.width, r.height, triples.join(' ')]));
  }
  return lines.join('\n') + '\n';
}

/** Writes the csv atomically; an existing file is kept unless force. Every field needs a row,
 * with or without predictions, as Kaggle's sample_submission has. */
export function writeSubmission(file: string, rows: readonly SubmissionRow[], force = false): void {
  refuseOverwrite(file, force);
  writeFileAtomic(file, formatSubmission(rows));
}

/** The size a truth field has, or undefined for an ID the truth does not know. */
export type TruthSize = (id: string) => { width: number; height: number } | undefined;

/** Reads and checks a submission: every PredictionString well formed and every mask covering
 * its row's image; with `truthSize`, also every ID known and every size matching the truth.
 * Errors are one line naming the file and row. */
export function readSubmission(file: string, truthSize?: TruthSize): ReadRow[] {
  return submissionFromTable(readCsv(file), truthSize);
}

export function submissionFromTable(table: CsvTable, truthSize?: TruthSize): ReadRow[] {
  const name = basename(table.file);
  const col = requireColumns(table, SUBMISSION_COLUMNS);
  const seen = new Map<string, number>();
  const out: ReadRow[] = [];
  for (const { row, cells } of table.rows) {
    const id = cells[col.ID].trim();
    const where = `${name} row ${row} (ID ${id})`;
    if (!id) throw new Error(`${name} row ${row}: empty ID`);
    const before = seen.get(id);
    if (before !== undefined) throw new Error(`${where}: ID already given in row ${before}`);
    seen.set(id, row);
    const width = parseSize(cells[col.ImageWidth], 'ImageWidth', where);
    const height = parseSize(cells[col.ImageHeight], 'ImageHeight', where);
    if (truthSize) {
      const t = truthSize(id);
      if (!t) throw new Error(`${where}: unknown ID (not in the truth)`);
      if (t.width !== width || t.height !== height) {
        throw new Error(`${where}: size ${width}x${height} does not match the truth's ${t.width}x${t.height}`);
      }
    }
    out.push({ id, width, height, row, predictions: parsePredictionString(cells[col.PredictionString], width, height, where) });
  }
  return out;
}

function parseSize(text: string, column: string, where: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) === 0) throw new Error(`${where}: ${column} '${text}' is not a positive integer`);
  return Number(t);
}

function parsePredictionString(text: string, width: number, height: number, where: string): ReadRow['predictions'] {
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length % 3 !== 0) {
    throw new Error(`${where}: malformed PredictionString (${words.length} words, not 'label confidence mask' triples)`);
  }
  const decoded = new Map<string, RleCounts>();
  const preds: ReadRow['predictions'] = [];
  for (let k = 0; k < words.length; k += 3) {
    const [l, c, mask] = words.slice(k, k + 3);
    const n = k / 3 + 1;
    if (!/^\d+$/.test(l) || Number(l) >= NUM_LABELS) {
      throw new Error(`${where}: malformed PredictionString, triple ${n}: label '${l}' is not 0..${NUM_LABELS - 1}`);
    }
    const confidence = Number(c);
    if (c === '' || !Number.isFinite(confidence)) {
      throw new Error(`${where}: malformed PredictionString, triple ${n}: confidence '${c}' is not a number`);
    }
    let counts = decoded.get(mask);
    if (!counts) {
      try {
        counts = decodeCounts(mask, width, height);
      } catch (e) {
        throw new Error(`${where}: malformed PredictionString, triple ${n}: ${(e as Error).message}`);
      }
      decoded.set(mask, counts);
    }
    preds.push({ label: Number(l), confidence, mask, counts });
  }
  return preds;
}
