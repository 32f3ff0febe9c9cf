import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readCsv, requireColumns, type CsvTable } from './csv.js';
import { parseLabels } from './labels.js';
import { pngInfo } from './png-info.js';
import { readGray } from './png.js';

export const CHANNELS = ['red', 'green', 'blue', 'yellow'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface DatasetItem {
  id: string;
  /** Row in the csv (header = row 1); absent when the ids came from a folder listing. */
  row?: number;
  /** Sorted label indices; absent in the test layout. */
  labels?: number[];
  width?: number;
  height?: number;
}

export interface Dataset {
  kind: 'train' | 'test';
  /** The csv the items came from, if any. */
  csv?: string;
  imageDir: string;
  items: DatasetItem[];
  channelPath(id: string, channel: Channel): string;
  /** `train.csv row 5, ID abc`: where an item came from, for error messages. */
  where(item: DatasetItem): string;
}

export interface OpenOptions {
  /** Which half of a Kaggle root to read when both are present (default: train). */
  split?: 'train' | 'test';
  /** 'header' (default) checks every channel file exists, ends properly and has one size;
   * 'full' also decodes each one; 'none' trusts the folder. */
  check?: 'none' | 'header' | 'full';
  /** The channels that must exist (default: all four). */
  channels?: readonly Channel[];
}

const TRAIN_COLUMNS = ['ID', 'Label'] as const;
// Kaggle's sample_submission.csv also has an empty PredictionString column; it is not needed.
const TEST_COLUMNS = ['ID', 'ImageWidth', 'ImageHeight'] as const;

/**
 * Opens a folder in the Kaggle HPA layout. `path` may be:
 * - a root with train.csv (images in train/ or beside the csv) and/or sample_submission.csv
 *   (images in test/ or beside it);
 * - a folder of test images with no csv (ids come from the `{ID}_{channel}.png` names);
 * - a csv file itself.
 * Every problem is reported as one line naming the file and row.
 */
export function openDataset(path: string, opts: OpenOptions = {}): Dataset {
  if (!existsSync(path)) throw new Error(`${path}: no such folder`);
  let ds: Dataset;
  if (statSync(path).isFile()) {
    ds = fromCsv(path, dirname(path));
  } else {
    const trainCsv = join(path, 'train.csv');
    const testCsv = join(path, 'sample_submission.csv');
    const wantTest = opts.split === 'test' || (opts.split === undefined && !existsSync(trainCsv));
    if (!wantTest) {
      if (!existsSync(trainCsv)) throw new Error(`${path}: no train.csv`);
      ds = fromCsv(trainCsv, path);
    } else if (existsSync(testCsv)) {
      ds = fromCsv(testCsv, path);
    } else {
      const dir = existsSync(join(path, 'test')) ? join(path, 'test') : path;
      ds = fromListing(dir);
    }
  }
  const check = opts.check ?? 'header';
  if (check !== 'none') checkImages(ds, opts.channels ?? CHANNELS, check === 'full');
  return ds;
}

function fromCsv(csv: string, root: string): Dataset {
  const table = readCsv(csv);
  const name = basename(csv);
  const isTest = table.header.includes('PredictionString') || table.header.includes('ImageWidth');
  const items = isTest ? testItems(table) : trainItems(table);
  const sub = join(root, isTest ? 'test' : 'train');
  const imageDir = existsSync(sub) && statSync(sub).isDirectory() ? sub : root;
  return makeDataset(isTest ? 'test' : 'train', imageDir, items, csv, name);
}

function trainItems(table: CsvTable): DatasetItem[] {
  const col = requireColumns(table, TRAIN_COLUMNS);
  const name = basename(table.file);
  const items = table.rows.map(({ row, cells }) => ({
    id: cells[col.ID].trim(),
    row,
    labels: parseLabels(cells[col.Label], `${name} row ${row}`),
  }));
  return checkIds(items, name);
}

function testItems(table: CsvTable): DatasetItem[] {
  const col = requireColumns(table, TEST_COLUMNS, ['PredictionString']);
  const name = basename(table.file);
  const items = table.rows.map(({ row, cells }) => {
    const size = (k: 'ImageWidth' | 'ImageHeight') => {
      const v = cells[col[k]].trim();
      if (!/^\d+$/.test(v) || Number(v) === 0) throw new Error(`${name} row ${row}: ${k} '${v}' is not a positive integer`);
      return Number(v);
    };
    return { id: cells[col.ID].trim(), row, width: size('ImageWidth'), height: size('ImageHeight') };
  });
  return checkIds(items, name);
}

/** Ids become file names, so one that could climb out of the folder is refused. */
function checkIds<T extends DatasetItem>(items: T[], name: string): T[] {
  if (!items.length) throw new Error(`${name}: empty csv (a header but no rows)`);
  const seen = new Map<string, number | undefined>();
  for (const it of items) {
    const at = `${name} row ${it.row}`;
    if (it.id === '') throw new Error(`${at}: empty ID`);
    if (/[/\\\0]/.test(it.id) || it.id.includes('..')) {
      throw new Error(`${at}: ID '${it.id}' contains a path separator or '..' (refused: it could escape the folder)`);
    }
    const first = seen.get(it.id);
    if (seen.has(it.id)) throw new Error(`${at}: duplicate ID '${it.id}' (first at row ${first})`);
    seen.set(it.id, it.row);
  }
  return items;
}

function fromListing(dir: string): Dataset {
  const ids = new Set<string>();
  const pattern = new RegExp(`^(.+)_(${CHANNELS.join('|')})\\.png$`);
  for (const f of readdirSync(dir)) {
    const m = pattern.exec(f);
    if (m) ids.add(m[1]);
  }
  if (!ids.size) throw new Error(`${dir}: no train.csv, no sample_submission.csv and no {ID}_{red,green,blue,yellow}.png images`);
  const items = [...ids].sort().map((id) => ({ id }));
  return makeDataset('test', dir, items, undefined, basename(dir));
}

function makeDataset(kind: Dataset['kind'], imageDir: string, items: DatasetItem[], csv: string | undefined, name: string): Dataset {
  return {
    kind,
    csv,
    imageDir,
    items,
    channelPath: (id, channel) => join(imageDir, `${id}_${channel}.png`),
    where: (it) => (it.row === undefined ? `${name}, ID ${it.id}` : `${name} row ${it.row}, ID ${it.id}`),
  };
}

/** Checks every item's channel files: present, PNG, not truncated, all one size (and the
 * size the csv states, in the test layout); `decode` also decodes them, which catches
 * corruption inside the data. Fills in width and height. Throws at the first problem. */
export function checkImages(ds: Dataset, channels: readonly Channel[] = CHANNELS, decode = false): void {
  for (const it of ds.items) {
    let first: { channel: Channel; w: number; h: number } | undefined;
    for (const channel of channels) {
      const file = ds.channelPath(it.id, channel);
      let w: number;
      let h: number;
      try {
        if (decode) ({ width: w, height: h } = readGray(file));
        else ({ width: w, height: h } = pngInfo(file));
      } catch (e) {
        throw new Error(`${(e as Error).message} (${ds.where(it)})`);
      }
      if (!first) first = { channel, w, h };
      else if (first.w !== w || first.h !== h) {
        throw new Error(`${file}: ${w}x${h} but ${first.channel} is ${first.w}x${first.h}: channels of different sizes (${ds.where(it)})`);
      }
    }
    if (!first) continue;
    if (it.width !== undefined && (it.width !== first.w || it.height !== first.h)) {
      throw new Error(`${ds.where(it)}: the csv says ${it.width}x${it.height} but the images are ${first.w}x${first.h}`);
    }
    it.width = first.w;
    it.height = first.h;
  }
}
