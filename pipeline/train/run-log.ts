import { join } from 'node:path';
import { writeFileAtomic } from '../../engine/io/atomic-write.js';
import { lineChart, sideBySide, writeChart } from '../chart.js';
import { csvLine, readCsv, requireColumns } from '../csv.js';
import type { EpochMetrics } from './metrics.js';

/** What a run directory records after each epoch: metrics.csv (all epochs so far, also
 * what resuming reads back), curves.png, and one line per epoch on the terminal. */

export interface EpochRow {
  epoch: number;
  train: EpochMetrics;
  /** Absent for epochs without a validation pass. */
  val?: EpochMetrics;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}

export const METRICS_CSV = 'metrics.csv';
export const CURVES_PNG = 'curves.png';

const METRIC_KEYS = ['loss', 'f1', 'accuracy', 'precision', 'recall'] as const;
type MetricKey = (typeof METRIC_KEYS)[number];
const TRAIN_COLUMNS = METRIC_KEYS.map((k) => `train_${k}`);
const VAL_COLUMNS = METRIC_KEYS.map((k) => `val_${k}`);
export const METRICS_COLUMNS = ['epoch', ...TRAIN_COLUMNS, ...VAL_COLUMNS, 'lr', 'seconds', 'images_per_s'];

// Six significant digits is more than a learning curve needs and keeps the file readable;
// NaN and Infinity (a diverged loss) are written as such and read back.
const cell = (v: number) => String(Number.isFinite(v) ? Number(v.toPrecision(6)) : v);

/** Rewrites RUN/metrics.csv with every epoch so far; atomic, so a crash mid-write keeps
 * the previous file. */
export function writeMetricsCsv(runDir: string, rows: EpochRow[]): void {
  const lines = [csvLine(METRICS_COLUMNS)];
  for (const r of rows) {
    const val = METRIC_KEYS.map((k) => (r.val ? cell(r.val[k]) : ''));
    lines.push(csvLine([r.epoch, ...METRIC_KEYS.map((k) => cell(r.train[k])), ...val, cell(r.lr), cell(r.seconds), cell(r.imagesPerSecond)]));
  }
  writeFileAtomic(join(runDir, METRICS_CSV), lines.join('\n') + '\n');
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^NaN$|^[+-]?Infinity$/i;

/** Reads RUN/metrics.csv back (for resuming). The csv has no image counts, so the metrics
 * read back carry `images: NaN`. Errors name the file and the row. */
export function readMetricsCsv(runDir: string): EpochRow[] {
  const file = join(runDir, METRICS_CSV);
  const table = readCsv(file);
  const col = requireColumns(table, METRICS_COLUMNS);
  const rows: EpochRow[] = [];
  for (const { row, cells } of table.rows) {
    const where = `${file} row ${row}`;
    const num = (name: string) => {
      const s = cells[col[name]].trim();
      if (!NUMBER.test(s)) throw new Error(`${where}: column '${name}' is ${s === '' ? 'empty' : `'${s}', not a number`}`);
      return Number(s);
    };
    const metrics = (prefix: string): EpochMetrics => {
      const m = Object.fromEntries(METRIC_KEYS.map((k) => [k, num(`${prefix}_${k}`)])) as Record<MetricKey, number>;
      return { ...m, images: NaN };
    };
    const epoch = num('epoch');
    const last = rows.length ? rows[rows.length - 1].epoch : 0;
    if (!Number.isInteger(epoch) || epoch <= last) throw new Error(`${where}: epoch ${epoch} should be a whole number after ${last}`);
    const valCells = VAL_COLUMNS.filter((c) => cells[col[c]].trim() !== '').length;
    if (valCells !== 0 && valCells !== VAL_COLUMNS.length) throw new Error(`${where}: the val_ columns are partly empty (all or none)`);
    const entry: EpochRow = { epoch, train: metrics('train'), lr: num('lr'), seconds: num('seconds'), imagesPerSecond: num('images_per_s') };
    if (valCells) entry.val = metrics('val');
    rows.push(entry);
  }
  return rows;
}

/** RUN/curves.png: loss and F1 against epoch, train and (where measured) val, side by side. */
export function drawCurves(runDir: string, rows: EpochRow[]): void {
  const withVal = rows.filter((r) => r.val);
  const chart = (title: string, key: MetricKey, yRange: number[]) =>
    lineChart({
      // With one series lineChart draws no legend, so the title says what the line is.
      title: withVal.length ? title : `train ${title}`,
      xLabel: 'epoch',
      width: 560,
      height: 400,
      // Epoch 0..5 at least, so a short run gets whole-epoch ticks; losses from 0, F1 0..1.
      include: { x: [0, 5], y: yRange },
      markers: true,
      series: [
        { name: 'train', x: rows.map((r) => r.epoch), y: rows.map((r) => r.train[key]) },
        // Only epochs that were validated, so a val pass every few epochs still joins up.
        ...(withVal.length ? [{ name: 'val', x: withVal.map((r) => r.epoch), y: withVal.map((r) => r.val![key]) }] : []),
      ],
    });
  writeChart(join(runDir, CURVES_PNG), sideBySide([chart('loss', 'loss', [0]), chart('F1', 'f1', [0, 1])]));
}

// The terminal table: the csv's columns, grouped under train and val.
const GROUP: [head: string, width: number, digits: number, key: MetricKey][] = [
  ['loss', 8, 4, 'loss'],
  ['f1', 6, 3, 'f1'],
  ['acc', 6, 3, 'accuracy'],
  ['prec', 6, 3, 'precision'],
  ['rec', 6, 3, 'recall'],
];
const GROUP_WIDTH = GROUP.reduce((w, g) => w + g[1] + 1, -1);
const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const group = (m: EpochMetrics | undefined) => GROUP.map(([, w, d, k]) => (m ? fixed(m[k], d) : '-').padStart(w)).join(' ');
const centre = (s: string, w: number) => s.padStart(Math.floor((w + s.length) / 2)).padEnd(w);

const groupHeads = GROUP.map(([h, w]) => h.padStart(w)).join(' ');

/** Two heading lines for `formatEpochRow`'s columns. */
export const EPOCH_HEADER = [
  [' '.repeat(5), centre('train', GROUP_WIDTH), centre('val', GROUP_WIDTH), ''].join(' | ').trimEnd(),
  ['epoch', groupHeads, groupHeads, `${'lr'.padStart(8)} ${'s'.padStart(7)} ${'img/s'.padStart(7)}`].join(' | '),
].join('\n');

/** One epoch as a line aligned under EPOCH_HEADER. */
export function formatEpochRow(r: EpochRow): string {
  const tail = `${r.lr.toExponential(2).padStart(8)} ${fixed(r.seconds, 1).padStart(7)} ${fixed(r.imagesPerSecond, 2).padStart(7)}`;
  return [String(r.epoch).padStart(5), group(r.train), group(r.val), tail].join(' | ');
}
