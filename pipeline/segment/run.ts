import { mkdirSync } from 'node:fs';
import { extname } from 'node:path';
import { openDataset, type Dataset } from '../dataset.js';
import { refuseOverwrite } from '../blend.js';
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
  /** Overlay PNG; with several fields, `_{ID}` goes before the extension. */
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

function overlayPath(overlay: string, id: string, several: boolean): string {
  if (!several) return overlay;
  const ext = extname(overlay) || '.png';
  return `${overlay.slice(0, overlay.length - extname(overlay).length)}_${id}${ext}`;
}

/** `hpa-engine segment`: segments each field and writes SEG/{ID}_cells.png,
 * SEG/{ID}_nuclei.png and SEG/{ID}.json; optionally scores against reference masks and
 * draws overlays. Refuses to replace existing outputs without force (checked up front, so
 * a run never stops half-way through for that). */
export function segmentDataset(o: SegmentRunOptions): SegmentRunResult {
  const log = o.log ?? (() => {});
  const warn = o.warn ?? (() => {});
  const ds = openDataset(o.data, { check: 'none' });
  const ids = pickIds(ds, o.ids);
  const several = ids.length > 1;
  mkdirSync(o.out, { recursive: true });
  for (const id of ids) {
    for (const f of [cellsPath(o.out, id), nucleiPath(o.out, id), infoPath(o.out, id)]) refuseOverwrite(f, o.force);
    if (o.overlay) refuseOverwrite(overlayPath(o.overlay, id, several), o.force);
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
      const file = overlayPath(o.overlay, id, several);
      writePng(file, seg.cells.width, seg.cells.height, overlayImage(ch, seg.cells, seg.nuclei), 3);
    }
    result.fields.push(field);
  }
  const comparisons = result.fields.flatMap((f) => (f.comparison ? [f.comparison] : []));
  if (o.compare) result.overall = overallComparison(comparisons);
  return result;
}
