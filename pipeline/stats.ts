import { barChart, writeChart } from './chart.js';
import { openDataset, type DatasetItem } from './dataset.js';
import { LABEL_NAMES } from './labels.js';
import { refuseOverwrite } from '../engine/io/refuse-overwrite.js';

export interface LabelStat {
  label: number;
  name: string;
  /** Images whose only label this is. */
  single: number;
  /** Images that carry this label among others. */
  all: number;
}

export interface LabelStats {
  images: number;
  rows: LabelStat[];
  /** How many images have 1, 2, 3... labels (index = label count). */
  perImage: number[];
}

/** The label distribution, counted the two ways the original analysis did. */
export function labelStats(items: readonly DatasetItem[]): LabelStats {
  const rows = LABEL_NAMES.map((name, label) => ({ label, name, single: 0, all: 0 }));
  const perImage: number[] = [];
  for (const it of items) {
    const ls = it.labels ?? [];
    perImage[ls.length] = (perImage[ls.length] ?? 0) + 1;
    for (const l of ls) rows[l].all++;
    if (ls.length === 1) rows[ls[0]].single++;
  }
  return { images: items.length, rows, perImage: Array.from(perImage, (v) => v ?? 0) };
}

export function formatStatsTable(s: LabelStats): string {
  const nameW = Math.max(...s.rows.map((r) => r.name.length), 'name'.length);
  const pct = (n: number) => `${((100 * n) / Math.max(1, s.images)).toFixed(1)}%`;
  const lines = [
    `${'label'.padStart(5)}  ${'name'.padEnd(nameW)}  ${'single'.padStart(7)}  ${'all'.padStart(7)}  ${'of images'.padStart(9)}`,
    ...s.rows.map((r) => `${String(r.label).padStart(5)}  ${r.name.padEnd(nameW)}  ${String(r.single).padStart(7)}  ${String(r.all).padStart(7)}  ${pct(r.all).padStart(9)}`),
    '',
    `${s.images} images; labels per image: ${s.perImage.map((n, k) => (n ? `${k}: ${n}` : '')).filter(Boolean).join(', ')}`,
  ];
  return lines.join('\n');
}

/** `hpa-engine stats`: the table, and the bar chart written to `chart` (labels only, so it
 * works on a csv whose images are elsewhere). */
export function datasetStats(data: string, chart: string | undefined, force = false): { stats: LabelStats; table: string } {
  if (chart) refuseOverwrite(chart, force);
  const ds = openDataset(data, { check: 'none' });
  if (ds.kind !== 'train') throw new Error(`${ds.csv ?? ds.imageDir}: a test set has no labels to count`);
  const stats = labelStats(ds.items);
  if (chart) {
    const pic = barChart({
      title: `Label distribution (${stats.images} images)`,
      categories: stats.rows.map((r) => `${r.label} ${r.name.length > 24 ? r.name.slice(0, 23) + '.' : r.name}`),
      series: [
        { name: 'single-label images', values: stats.rows.map((r) => r.single) },
        { name: 'all images', values: stats.rows.map((r) => r.all) },
      ],
      yLabel: 'images',
    });
    writeChart(chart, pic);
  }
  return { stats, table: formatStatsTable(stats) };
}

