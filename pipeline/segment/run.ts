import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset, type Dataset } from '../dataset.js';
import { refuseOverwrite } from '../../engine/io/refuse-overwrite.js';
import { writePng } from '../png.js';
import { readChannels } from './channels.js';
import { segmentField, SEGMENT_DEFAULTS } from './field.js';
import { cellsPath, fieldInfo, infoPath, nucleiPath, writeFieldInfo, writeLabelPng, type FieldInfo } from './output.js';
import { compareField, overallComparison, type FieldComparison } from './compare.js';
import { overlayImage } from './overlay.js';

export interface SegmentRunOptions {
  data: string;
  out: string;
  ids?: string[];
  scale?: number;
  greenWeight?: number;
  /** Folder of reference masks to score against. */
  compare?: string;
  /** Folder for outline overlays, one `{ID}_overlay.png` per field. */
  overlay?: string;
  force?: boolean;
  /** Progress lines, one per field. */
  log?: (line: string) => void;
  /** Fields that gave no cells, flat channels. */
  warn?: (line: string) => void;
}

export interface SegmentRunResult {
  fields: Array<{ info: FieldInfo; segmentSeconds: number; comparison?: FieldComparison }>;
  overall?: FieldComparison;
}

/** Chooses the fields: all of the dataset, or the listed IDs (each must be in it). */
function pickIds(ds: Dataset, ids: string[] | undefined): string[] {
  if (!ids?.length) return ds.items.map((it) => it.id);
  const known = new Set(ds.items.map((it) => it.id));
  for (const id of ids) if (!known.has(id)) throw new Error(`ID '${id}' is not in ${ds.csv ?? ds.imageDir}`);
  return ids;
}

export const overlayPath = (dir: string, id: string) => join(dir, `${id}_overlay.png`);

/** `hpa-engine segment`: segments each field and writes SEG/{ID}_cells.png,
 * SEG/{ID}_nuclei.png and SEG/{ID}.json; optionally scores against reference masks and
 * draws overlays. Refuses to replace existing outputs without force (checked up front, so
 * a run never stops half-way through for that). */
export function segmentDataset(o: SegmentRunOptions): SegmentRunResult {
  const log = o.log ?? (() => {});
  const warn = o.warn ?? (() => {});
  const ds = openDataset(o.data, { check: 'none' });
  const ids = pickIds(ds, o.ids);
  mkdirSync(o.out, { recursive: true });
  if (o.overlay) mkdirSync(o.overlay, { recursive: true });
  for (const id of ids) {
    for (const f of [cellsPath(o.out, id), nucleiPath(o.out, id), infoPath(o.out, id)]) refuseOverwrite(f, o.force);
    if (o.overlay) refuseOverwrite(overlayPath(o.overlay, id), o.force);
  }
  const scale = o.scale ?? SEGMENT_DEFAULTS.scale;
  const result: SegmentRunResult = { fields: [] };
  for (const id of ids) {
    const ch = readChannels(ds, id);
    const t0 = performance.now();
    const seg = segmentField(ch, { scale, greenWeight: o.greenWeight ?? SEGMENT_DEFAULTS.greenWeight }, id);
    const segmentSeconds = (performance.now() - t0) / 1000;
    for (const w of seg.warnings) warn(`warning: ${w}`);
    writeLabelPng(cellsPath(o.out, id), seg.cells);
    writeLabelPng(nucleiPath(o.out, id), seg.nuclei);
    const info = fieldInfo(id, seg.cells, seg.nuclei, scale, seg.warnings);
    writeFieldInfo(infoPath(o.out, id), info);
    const border = info.cells.filter((c) => c.border).length;
    log(`${id}: ${info.cellCount} cells (${border} on the border) in ${segmentSeconds.toFixed(2)} s`);
    const field: SegmentRunResult['fields'][number] = { info, segmentSeconds };
    if (o.compare) {
      field.comparison = compareField(id, seg.cells, seg.nuclei, o.compare);
    }
    if (o.overlay) {
      const file = overlayPath(o.overlay, id);
      writePng(file, seg.cells.width, seg.cells.height, overlayImage(ch, seg.cells, seg.nuclei), 3);
    }
    result.fields.push(field);
  }
  const comparisons = result.fields.flatMap((f) => (f.comparison ? [f.comparison] : []));
  if (o.compare) result.overall = overallComparison(comparisons);
  return result;
}
