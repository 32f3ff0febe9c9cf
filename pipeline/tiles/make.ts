import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../engine/io/atomic-write.js';
import { csvLine } from '../csv.js';
import { CHANNELS, openDataset, type Dataset } from '../dataset.js';
import { formatLabels } from '../labels.js';
import { encodeGrayFast } from '../png-zlib.js';
import { TruthSet } from '../truth.js';
import { readChannels, readGrayFile } from '../segment/channels.js';
import { cellsPath, readLabelPng } from '../segment/output.js';
import { labelBoxes } from '../segment/morphology.js';
import type { Labels } from '../segment/planes.js';
import { cropCell, TILE_DEFAULTS, type TileOptions } from './crop.js';
import { segmentScaleOf, writeTileSettings } from './settings.js';
import { refuseNonEmpty } from '../../engine/io/refuse-overwrite.js';

export interface MakeTilesOptions extends Partial<TileOptions> {
  data: string;
  seg: string;
  out: string;
  ids?: string[];
  /** Label each tile with its matching true cell's labels (synthetic data's cells.csv)
   * instead of the whole image's. */
  truthLabels?: boolean;
  force?: boolean;
  log?: (line: string) => void;
}

export interface MakeTilesResult {
  fields: number;
  tiles: number;
  /** Cells left out with truthLabels because no true cell covers half of them. */
  unmatched: number;
}

function requireSegmentation(seg: string, id: string): string {
  const file = cellsPath(seg, id);
  if (!existsSync(file)) throw new Error(`${file}: file not found (no segmentation of ${id}; segment the fields first)`);
  return file;
}

/** For each segmented cell, the labels of the true cell that covers at least half of it
 * (undefined when none does, or the csv gives that cell no labels). */
function truthLabelsFor(truth: TruthSet, id: string, cells: Labels): Array<number[] | undefined> {
  const field = truth.field(id);
  if (!field) throw new Error(`${join(truth.dir, 'train.csv')}: no ID ${id} (needed for truth labels)`);
  const file = truth.maskPath(id);
  const t = readGrayFile(file);
  if (t.width !== cells.width || t.height !== cells.height) {
    throw new Error(`${file}: ${t.width}x${t.height} but the segmentation of ${id} is ${cells.width}x${cells.height}`);
  }
  const byCell = new Map(field.cells.map((c, k) => [c, field.labels[k]]));
  const counts = new Map<number, number>();
  const area = new Int32Array(cells.count + 1);
  for (let i = 0; i < t.data.length; i++) {
    const s = cells.data[i];
    if (!s) continue;
    area[s]++;
    if (t.data[i]) {
      const key = s * 65536 + t.data[i];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const best = new Array<[number, number]>(cells.count + 1).fill([0, 0]);
  for (const [key, n] of counts) {
    const s = Math.floor(key / 65536);
    if (n > best[s][1]) best[s] = [key % 65536, n];
  }
  return best.map(([tc, n], s) => (s > 0 && n * 2 >= area[s] ? byCell.get(tc) : undefined));
}

function checkOut(out: string, force: boolean | undefined): void {
  refuseNonEmpty(out, force);
  mkdirSync(join(out, 'train'), { recursive: true });
}

function pickIds(ds: Dataset, ids: string[] | undefined): Dataset['items'] {
  if (!ids?.length) return ds.items;
  const byId = new Map(ds.items.map((it) => [it.id, it]));
  return ids.map((id) => {
    const it = byId.get(id);
    if (!it) throw new Error(`ID '${id}' is not in ${ds.csv ?? ds.imageDir}`);
    return it;
  });
}

/**
 * `hpa-engine tiles`: one tile per segmented cell, written as a Kaggle-layout dataset:
 * TILES/train/{ID}_{cell}_{colour}.png and TILES/train.csv (tile ID, labels), so training on
 * tiles needs no code of its own. Tile labels are the image's (weak) labels, or with
 * truthLabels the matching true cell's. Tiles are plain writes; TILES/tiles.json records how
 * they were cut (settings.ts); train.csv, written last and atomically, is what makes the
 * folder a dataset.
 */
export function makeTiles(o: MakeTilesOptions): MakeTilesResult {
  const opts: TileOptions = {
    size: o.size ?? TILE_DEFAULTS.size,
    margin: o.margin ?? TILE_DEFAULTS.margin,
    maskOthers: o.maskOthers ?? TILE_DEFAULTS.maskOthers,
  };
  if (!Number.isInteger(opts.size) || opts.size < 8 || opts.size > 4096) throw new Error(`tiles: size must be an integer in 8..4096, got ${opts.size}`);
  if (!Number.isInteger(opts.margin) || opts.margin < 0) throw new Error(`tiles: margin must be a non-negative integer, got ${opts.margin}`);
  const log = o.log ?? (() => {});
  const ds = openDataset(o.data, { check: 'none' });
  if (ds.kind !== 'train') throw new Error(`${o.data}: tiles need image labels, i.e. a train.csv (found the test layout)`);
  const truth = o.truthLabels ? new TruthSet(o.data) : undefined;
  const items = pickIds(ds, o.ids);
  // Every field must have its segmentation before anything is written.
  for (const it of items) requireSegmentation(o.seg, it.id);
  checkOut(o.out, o.force);
  const rows = ['ID,Label'];
  let tiles = 0;
  let unmatched = 0;
  for (const it of items) {
    const cells = readLabelPng(requireSegmentation(o.seg, it.id));
    const ch = readChannels(ds, it.id);
    const planes = CHANNELS.map((c) => ch[c]);
    for (const [c, img] of CHANNELS.map((c) => [c, ch[c]] as const)) {
      if (img.width !== cells.width || img.height !== cells.height) {
        throw new Error(`${ds.channelPath(it.id, c)}: ${img.width}x${img.height} but its segmentation ${cellsPath(o.seg, it.id)} is ${cells.width}x${cells.height}`);
      }
    }
    const cellTruth = truth ? truthLabelsFor(truth, it.id, cells) : undefined;
    const boxes = labelBoxes(cells);
    let n = 0;
    for (let cell = 1; cell <= cells.count; cell++) {
      const b = boxes[cell];
      if (!b.area) continue;
      const labels = cellTruth ? cellTruth[cell] : it.labels!;
      if (!labels) {
        unmatched++;
        continue;
      }
      const tileId = `${it.id}_${cell}`;
      const out = cropCell(planes, cells.data, cell, [b.x0, b.y0, b.x1, b.y1], opts);
      CHANNELS.forEach((c, k) => writeFileSync(join(o.out, 'train', `${tileId}_${c}.png`), encodeGrayFast(opts.size, opts.size, out[k])));
      rows.push(csvLine([tileId, formatLabels(labels)]));
      n++;
    }
    tiles += n;
    log(`${it.id}: ${n} tiles`);
  }
  // A csv with no rows is not a dataset; say so rather than leave one behind.
  if (!tiles) throw new Error(`tiles: the segmentations in ${o.seg} hold no cells${unmatched ? ` matched to a true cell` : ''}: nothing to write`);
  // How the cells were cut, for predict (tiles.json); train.csv last, as before.
  writeTileSettings(o.out, { ...opts, segmentScale: items.length ? segmentScaleOf(o.seg, items[0].id) : undefined, truthLabels: !!o.truthLabels, seg: o.seg });
  writeFileAtomic(join(o.out, 'train.csv'), rows.join('\n') + '\n');
  return { fields: items.length, tiles, unmatched };
}
