import type { GrayImage } from '../png.js';
import type { Labels, Plane } from './planes.js';
import { resizePlane } from '../transforms.js';
import { resizeLabels } from './resize-labels.js';
import { segmentNuclei, NUCLEI_DEFAULTS, type NucleiOptions } from './nuclei.js';
import { segmentCells, CELL_DEFAULTS, type CellOptions } from './cells.js';

export interface FieldChannels {
  red: GrayImage;
  green: GrayImage;
  blue: GrayImage;
  yellow: GrayImage;
}

export interface SegmentOptions {
  /** Working scale (0.25 as in the HPA tool): both speed and a built-in 4x4 smoothing. */
  scale: number;
  /** Weight of the green (protein) channel in the cytoplasm signal; 0 leaves it out, as the
   * protein may sit anywhere (or nowhere) in the cell. */
  greenWeight: number;
  nuclei: Partial<NucleiOptions>;
  cells: Partial<CellOptions>;
}

export const SEGMENT_DEFAULTS: SegmentOptions = { scale: 0.25, greenWeight: 0, nuclei: NUCLEI_DEFAULTS, cells: CELL_DEFAULTS };

export interface FieldSegmentation {
  /** Full-resolution labels; cell k grew from nucleus k. */
  cells: Labels;
  nuclei: Labels;
  warnings: string[];
}

/** Working-scale intensities in [0, 1] (16-bit fields are divided by 65535, 8-bit by 255).
 * Area averaging, so the reduction is also the first smoothing step. */
function toWorking(img: GrayImage, w: number, h: number): Plane {
  const unit = 1 / (img.depth === 16 ? 65535 : 255);
  return { width: w, height: h, data: resizePlane(img.data, img.width, img.height, w, h, unit) };
}

/** A channel with (almost) no contrast: all black or all saturated. */
function flat(p: Plane): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < p.data.length; i++) {
    const v = p.data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi - lo < 1e-3;
}

/** Segments one field: nuclei from blue, then cells seeded by them over red + yellow. */
export function segmentField(ch: FieldChannels, options: Partial<SegmentOptions> = {}, id = 'field'): FieldSegmentation {
  const o = { ...SEGMENT_DEFAULTS, ...options };
  const { width, height } = ch.blue;
  for (const [name, img] of Object.entries(ch) as Array<[string, GrayImage]>) {
    if (img.width !== width || img.height !== height) {
      throw new Error(`${id}: channel ${name} is ${img.width}x${img.height} but blue is ${width}x${height}`);
    }
  }
  if (!(o.scale > 0 && o.scale <= 1)) throw new Error(`segment: scale must be in (0, 1], got ${o.scale}`);
  if (!(o.greenWeight >= 0)) throw new Error(`segment: green weight must be >= 0, got ${o.greenWeight}`);
  const w = Math.max(1, Math.round(width * o.scale));
  const h = Math.max(1, Math.round(height * o.scale));
  const warnings: string[] = [];
  const empty = (): FieldSegmentation => ({
    cells: { width, height, data: new Uint32Array(width * height), count: 0 },
    nuclei: { width, height, data: new Uint32Array(width * height), count: 0 },
    warnings,
  });

  const blue = toWorking(ch.blue, w, h);
  if (flat(blue)) {
    warnings.push(`${id}: blue channel is flat (all black or saturated): no nuclei, 0 cells`);
    return empty();
  }
  const nuclei = segmentNuclei(blue, o.nuclei);
  if (nuclei.count === 0) {
    warnings.push(`${id}: no nuclei found: 0 cells`);
    return empty();
  }
  // Cytoplasm signal: the mean of the channels that carry any contrast. A flat (black or
  // saturated) channel would only shift the log scale the foreground threshold lives on.
  const cyto: Array<[string, GrayImage, number]> = [['red', ch.red, 1], ['yellow', ch.yellow, 1]];
  if (o.greenWeight > 0) cyto.push(['green', ch.green, o.greenWeight]);
  const signal: Plane = { width: w, height: h, data: new Float32Array(w * h) };
  let total = 0;
  for (const [name, img, weight] of cyto) {
    const p = toWorking(img, w, h);
    if (flat(p)) {
      warnings.push(`${id}: ${name} channel is flat (all black or saturated): left out of the cell signal`);
      continue;
    }
    for (let i = 0; i < p.data.length; i++) signal.data[i] += weight * p.data[i];
    total += weight;
  }
  if (total === 0) {
    warnings.push(`${id}: no cytoplasm channel has any contrast: 0 cells`);
    return empty();
  }
  for (let i = 0; i < signal.data.length; i++) signal.data[i] /= total;
  const { cells, renumber } = segmentCells(signal, nuclei, o.cells);
  for (let i = 0; i < nuclei.data.length; i++) nuclei.data[i] = renumber[nuclei.data[i]];
  nuclei.count = cells.count;
  return { cells: resizeLabels(cells, width, height), nuclei: resizeLabels(nuclei, width, height), warnings };
}
