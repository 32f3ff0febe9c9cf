import type { Labels, Plane } from './planes.js';
import { gaussianBlur } from './smooth.js';
import { otsuThreshold } from './otsu.js';
import { seededWatershed } from './watershed.js';
import { distanceTransform } from './distance.js';
import { filterBySize } from './sizes.js';
import { closeLabels } from './morphology.js';
import { fillLabelHoles } from './fill-holes.js';

export interface CellOptions {
  /** Blur of the cytoplasm signal, in 512-scale pixels. */
  sigma: number;
  /** Offset added before the log: sets how far into faint signal the log scale stretches. */
  logOffset: number;
  /** Foreground threshold = max(floor, otsu on the log scale + shift), in log units. */
  floor: number;
  shift: number;
  /** Closing radius (512-scale pixels) and smallest cell (fraction of field area). */
  closeRadius: number;
  minArea: number;
  distanceWeight: number;
  /** Share of minArea enough for a cell cut by the image edge. */
  borderShare: number;
}

export const CELL_DEFAULTS: CellOptions = {
  sigma: 2,
  logOffset: 0.005,
  floor: Math.log(0.015),
  shift: 0,
  closeRadius: 3,
  minArea: 0.002,
  borderShare: 0.25,
  distanceWeight: 0.03,
};

/** Cells grown from the nuclei over the cytoplasm signal (e.g. microtubules + ER), in [0, 1].
 * Cells are numbered like their nuclei, less the ones dropped as too small: `renumber` maps a
 * nucleus label to its cell's label (0 = dropped), for the caller to apply to the nuclei. */
export function segmentCells(signal: Plane, nuclei: Labels, options: Partial<CellOptions> = {}): { cells: Labels; renumber: Uint32Array } {
  const o = { ...CELL_DEFAULTS, ...options };
  const { width, height } = signal;
  const unit = Math.sqrt(width * height) / 512;
  const smooth = gaussianBlur(signal, o.sigma * unit);
  const logI = new Float32Array(smooth.data.length);
  for (let i = 0; i < logI.length; i++) logI[i] = Math.log(o.logOffset + smooth.data[i]);
  const otsu = otsuThreshold(logI);
  const t = Number.isNaN(otsu) ? Infinity : Math.max(o.floor, otsu + o.shift);
  const allowed = new Uint8Array(logI.length);
  for (let i = 0; i < logI.length; i++) allowed[i] = logI[i] > t || nuclei.data[i] ? 1 : 0;
  // Bright cytoplasm floods first, so fronts from two nuclei meet in the dim gap between cells.
  const landscape: Plane = { width, height, data: new Float32Array(logI.length) };
  const nucleusMask = new Uint8Array(logI.length);
  for (let i = 0; i < logI.length; i++) nucleusMask[i] = nuclei.data[i] ? 0 : 1;
  const toNucleus = distanceTransform(nucleusMask, width, height).data;
  const beta = o.distanceWeight / unit;
  for (let i = 0; i < logI.length; i++) landscape.data[i] = -logI[i] + beta * toNucleus[i];
  const cells = seededWatershed(landscape, nuclei, allowed);
  closeLabels(cells, o.closeRadius * unit);
  fillLabelHoles(cells);
  const renumber = filterBySize(cells, o.minArea * width * height, Infinity, o.borderShare);
  return { cells, renumber };
}
