import { join } from 'node:path';
import { readCsv, requireColumns } from './csv.js';
import { parseLabels } from './labels.js';
import { runsFromCounts, type MaskRuns } from './mask-runs.js';
import { readGray } from './png.js';
import { cellBoxes, cellCounts } from './rle.js';

/** One field's ground truth: each labelled cell's mask and labels. */
export interface TruthField {
  id: string;
  width: number;
  height: number;
  cells: number[];
  masks: MaskRuns[];
  labels: number[][];
}

/**
 * Cell-level truth in the synthetic generator's layout: `DIR/train.csv` (ID,Label) names the
 * fields, `DIR/train/{ID}_cells.png` holds 16-bit instance labels (0 = background, cell k has
 * value k) and `DIR/cells.csv` (ID,Cell,Label) the labels of each cell. Fields are loaded on
 * first use and only their runs are kept, so a whole data set fits in memory.
 * Instances the csv does not list carry no truth: a detection on one is a false positive.
 */
export class TruthSet {
  private readonly cellLabels = new Map<string, { cell: number; labels: number[]; row: number }[]>();
  private readonly loaded = new Map<string, TruthField>();

  constructor(readonly dir: string) {
    const train = readCsv(join(dir, 'train.csv'));
    const tc = requireColumns(train, ['ID', 'Label']);
    for (const { row, cells } of train.rows) {
      const id = cells[tc.ID].trim();
      if (this.cellLabels.has(id)) throw new Error(`train.csv row ${row}: ID ${id} appears twice`);
      this.cellLabels.set(id, []);
    }
    const cellsCsv = readCsv(join(dir, 'cells.csv'));
    const cc = requireColumns(cellsCsv, ['ID', 'Cell', 'Label']);
    for (const { row, cells } of cellsCsv.rows) {
      const id = cells[cc.ID].trim();
      const list = this.cellLabels.get(id);
      if (!list) throw new Error(`cells.csv row ${row}: ID ${id} is not in train.csv`);
      const c = cells[cc.Cell].trim();
      if (!/^\d+$/.test(c) || Number(c) < 1 || Number(c) > 65535) {
        throw new Error(`cells.csv row ${row}: cell '${c}' is not an instance value 1..65535`);
      }
      const cell = Number(c);
      const twin = list.find((e) => e.cell === cell);
      if (twin) throw new Error(`cells.csv row ${row}: cell ${cell} of ${id} already given in row ${twin.row}`);
      list.push({ cell, labels: parseLabels(cells[cc.Label], `cells.csv row ${row}`), row });
    }
  }

  has(id: string): boolean {
    return this.cellLabels.has(id);
  }

  get ids(): string[] {
    return [...this.cellLabels.keys()];
  }

  maskPath(id: string): string {
    return join(this.dir, 'train', `${id}_cells.png`);
  }

  /** The field's truth, or undefined for an ID not in train.csv. */
  field(id: string): TruthField | undefined {
    const cached = this.loaded.get(id);
    if (cached) return cached;
    const list = this.cellLabels.get(id);
    if (!list) return undefined;
    const file = this.maskPath(id);
    const img = readGray(file);
    const boxes = cellBoxes(img);
    const f: TruthField = { id, width: img.width, height: img.height, cells: [], masks: [], labels: [] };
    for (const { cell, labels, row } of list) {
      const box = boxes.get(cell);
      if (!box) throw new Error(`cells.csv row ${row}: cell ${cell} is not in ${file}`);
      f.cells.push(cell);
      f.masks.push(runsFromCounts(cellCounts(img, cell, box), img.height));
      f.labels.push(labels);
    }
    this.loaded.set(id, f);
    return f;
  }
}
