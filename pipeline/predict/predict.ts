import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../engine/io/atomic-write.js';
import { refuseNonEmpty } from '../../engine/io/refuse-overwrite.js';
import { writeChart } from '../chart.js';
import { openDataset, type Dataset } from '../dataset.js';
import { fieldPredictions, fuseScores, writeScores, type FieldScores } from '../fusion.js';
import type { GrayImage } from '../png.js';
import { encodeGrayFast } from '../png-zlib.js';
import { encodeCellMasks } from '../rle.js';
import { readChannels } from '../segment/channels.js';
import { segmentField } from '../segment/field.js';
import { labelBoxes } from '../segment/morphology.js';
import { cellsPath, MAX_LABEL, readLabelPng } from '../segment/output.js';
import type { Labels } from '../segment/planes.js';
import { writeSubmission, type SubmissionRow } from '../submission.js';
import { TILE_DEFAULTS, type TileOptions } from '../tiles/crop.js';
import { fieldInput, tileInput } from './inputs.js';
import { checkOutputs, predictPaths } from './outputs.js';
import { predictionOverlay, topLabel } from './overlay.js';
import { ScoreQueue, type Tta } from './queue.js';
import { checkScorer, type Scorer } from './scorer.js';

export const PREDICT_DEFAULTS = { weight: 0.5, tta: 'none' as Tta, batch: 16 };

export interface PredictOptions {
  /** Kaggle-layout folder: train.csv or sample_submission.csv (or a csv file). */
  data: string;
  /** Which csv of a Kaggle root that has both (default: train.csv when present). */
  split?: 'train' | 'test';
  /** Output folder: submission.csv, scores.json and masks/ (outputs.ts). */
  out: string;
  /** Folder of `{ID}_cells.png` (segmentDataset's output); each field is segmented when absent. */
  seg?: string;
  image: Scorer;
  tile?: Scorer;
  /** Tile weight w in fused = w * tile + (1 - w) * image (default 0.5; 0 without a tile model). */
  weight?: number;
  tta?: Tta;
  /** The options the tile model's training tiles were cut with (TILES/tiles.json, read by
   * tileOptionsForModel); TILE_DEFAULTS where not given. */
  tileOptions?: Partial<TileOptions>;
  /** The segmentation scale for fields segmented here (the tiles' own, from tiles.json). */
  segmentScale?: number;
  /** Folder for one `{ID}_overlay.png` per field: cells outlined, tagged with their top
   * fused label and confidence. */
  overlay?: string;
  force?: boolean;
  log?: (line: string) => void;
  progress?: (done: number, total: number) => void;
}

export interface PredictResult {
  fields: number;
  cells: number;
  /** Submission rows: one per field, cells or not. */
  rows: number;
  /** The tile weight used. */
  weight: number;
  submission: string;
  scores: string;
  masks: string;
  /** The overlay folder, when asked for. */
  overlay?: string;
  /** How cells were cut for the tile model, when there is one. */
  tiles?: TileOptions;
}

/** A field whose network scores may still be in a partly filled batch. */
interface Pending {
  id: string;
  width: number;
  height: number;
  cells: number[];
  mask: string;
  masks: Map<number, string>;
  image?: number[];
  tiles: number[][];
}

function tileOptionsOf(o: Partial<TileOptions> | undefined): TileOptions {
  const t = { ...TILE_DEFAULTS, ...o };
  if (!Number.isInteger(t.size) || t.size < 1) throw new Error(`predict: tile size must be a positive integer, got ${t.size}`);
  if (!Number.isInteger(t.margin) || t.margin < 0) throw new Error(`predict: tile margin must be a non-negative integer, got ${t.margin}`);
  return t;
}

/** Labels as a 16-bit image: what the mask file stores and the RLE encoder reads. */
function labelImage(labels: Labels, what: string): GrayImage & { data: Uint16Array } {
  if (labels.count > MAX_LABEL) throw new Error(`${what}: ${labels.count} cells do not fit a 16-bit label image (at most ${MAX_LABEL})`);
  return { width: labels.width, height: labels.height, depth: 16, data: Uint16Array.from(labels.data) };
}

/**
 * For each field of a dataset, in csv order, cells from a segmentation
 * (read from `seg`, or made here), image-level scores from the image model, tile-level
 * scores for each cell from the tile model, fused per cell and label; writes the Kaggle
 * submission, the cached scores and the cell masks (the fusion sweep's input). Inputs are
 * prepared exactly as training prepared them (inputs.ts). Existing outputs are refused
 * without force before anything is read.
 */
export async function predictDataset(o: PredictOptions): Promise<PredictResult> {
  const log = o.log ?? (() => {});
  checkScorer(o.image, 'image');
  if (o.tile) checkScorer(o.tile, 'tile');
  const tta = o.tta ?? PREDICT_DEFAULTS.tta;
  if (tta !== 'none' && tta !== 'flip') throw new Error(`predict: tta must be none or flip, got '${String(tta)}'`);
  const requested = o.weight ?? PREDICT_DEFAULTS.weight;
  if (!(requested >= 0 && requested <= 1)) throw new Error(`predict: weight must be a number in 0..1, got ${requested}`);
  const weight = o.tile ? requested : 0;
  const tileOpts = tileOptionsOf(o.tileOptions);
  const paths = predictPaths(o.out);
  checkOutputs(paths, o.force);
  if (o.overlay) refuseNonEmpty(o.overlay, o.force);

  const ds = openDataset(o.data, { split: o.split });
  if (o.seg) {
    for (const it of ds.items) {
      const file = cellsPath(o.seg, it.id);
      if (!existsSync(file)) throw new Error(`${file}: file not found (no segmentation of ${it.id} in ${o.seg})`);
    }
  }
  mkdirSync(paths.masks, { recursive: true });
  mkdirSync(dirname(resolve(paths.submission)), { recursive: true });

  const describe = (s: Scorer) => `blend ${s.blend.join(',')}, resize ${s.resize}, crop ${s.crop}, batch ${s.batchSize}`;
  log(`predict: ${ds.items.length} fields of ${ds.csv ?? ds.imageDir}; cells ${o.seg ? `from ${o.seg}` : 'segmented here'}; tta ${tta}`);
  log(`image model: ${describe(o.image)}`);
  if (o.tile) {
    log(`tile model: ${describe(o.tile)}; tiles ${tileOpts.size} px, margin ${tileOpts.margin}${tileOpts.maskOthers ? ', other cells masked' : ''}; tile weight ${weight}`);
  } else {
    log(`no tile model: tile weight forced to 0 (image-level scores only${o.weight !== undefined && o.weight !== 0 ? `; weight ${o.weight} ignored` : ''})`);
  }

  const imageQ = new ScoreQueue(o.image, tta, 'image');
  const tileQ = o.tile ? new ScoreQueue(o.tile, tta, 'tile') : undefined;
  const fields: Pending[] = [];
  let cellCount = 0;
  for (const [k, it] of ds.items.entries()) {
    const t0 = performance.now();
    const ch = readChannels(ds, it.id);
    const { width, height } = ch.blue;
    let labels: Labels;
    if (o.seg) {
      const file = cellsPath(o.seg, it.id);
      labels = readLabelPng(file);
      if (labels.width !== width || labels.height !== height) {
        throw new Error(`${file}: ${labels.width}x${labels.height} but the field ${it.id} is ${width}x${height} (${ds.where(it)})`);
      }
    } else {
      const seg = segmentField(ch, o.segmentScale !== undefined ? { scale: o.segmentScale } : {}, it.id);
      for (const w of seg.warnings) log(`warning: ${w}`);
      labels = seg.cells;
    }
    const mask = resolve(cellsPath(paths.masks, it.id));
    const gray = labelImage(labels, mask);
    writeFileAtomic(mask, encodeGrayFast(width, height, gray.data));
    const boxes = labelBoxes(labels);
    const cells = boxes.flatMap((b, cell) => (cell > 0 && b.area ? [cell] : []));
    const field: Pending = { id: it.id, width, height, cells, mask, masks: encodeCellMasks(gray, mask, cells), tiles: new Array(cells.length) };
    fields.push(field);
    cellCount += cells.length;
    await imageQ.push(fieldInput(ch, o.image, it.id), (s) => (field.image = s));
    if (tileQ && o.tile) {
      for (const [i, cell] of cells.entries()) {
        await tileQ.push(tileInput(ch, labels, cell, boxes[cell], tileOpts, o.tile, it.id), (s) => (field.tiles[i] = s));
      }
    }
    log(`${it.id}: ${cells.length} cells (${((performance.now() - t0) / 1000).toFixed(2)} s)`);
    o.progress?.(k + 1, ds.items.length);
  }
  await imageQ.flush();
  await tileQ?.flush();

  const scores: FieldScores[] = fields.map((f) => ({
    id: f.id,
    width: f.width,
    height: f.height,
    cells: f.cells,
    image: f.image!,
    // Without a tile model the cache holds the image scores in the tile slot, so a sweep over
    // w re-fuses to the image scores at every weight instead of inventing tile scores.
    tiles: o.tile ? f.tiles : f.cells.map(() => f.image!),
    mask: f.mask,
  }));
  const rows: SubmissionRow[] = scores.map((s, i) => ({
    id: s.id,
    width: s.width,
    height: s.height,
    predictions: fieldPredictions(s, weight, fields[i].masks),
  }));
  writeScores(paths.scores, scores, o.force);
  writeSubmission(paths.submission, rows, o.force);
  log(`wrote ${paths.submission} (${rows.length} rows, ${cellCount} cells), ${paths.scores} and ${paths.masks}`);
  if (o.overlay) writeOverlays(ds, scores, weight, o.overlay, log);
  return { fields: fields.length, cells: cellCount, rows: rows.length, weight, ...paths, ...(o.overlay ? { overlay: o.overlay } : {}), ...(o.tile ? { tiles: tileOpts } : {}) };
}

/** Reads each field and its mask again (holding every field's pixels until the last batch
 * is scored would cost gigabytes on a test set) and draws its cells with their top label. */
function writeOverlays(ds: Dataset, scores: readonly FieldScores[], weight: number, dir: string, log: (line: string) => void): void {
  mkdirSync(dir, { recursive: true });
  for (const s of scores) {
    const tags = s.cells.map((cell, i) => ({ cell, ...topLabel(fuseScores(weight, s.tiles[i], s.image)) }));
    const file = join(dir, `${s.id}_overlay.png`);
    writeChart(file, predictionOverlay(readChannels(ds, s.id), readLabelPng(s.mask), tags));
  }
  log(`wrote ${scores.length} overlays to ${dir}`);
}
