import type { Labels, Plane } from './planes.js';
import { gaussianBlur } from './smooth.js';
import { otsuThreshold } from './otsu.js';
import { fillHoles } from './fill-holes.js';
import { distanceTransform } from './distance.js';
import { hMaximaMarkers } from './seeds.js';
import { seededWatershed } from './watershed.js';
import { filterBySize } from './sizes.js';
import { openCross } from './morphology.js';
import { connectedComponents } from './components.js';

export interface NucleiOptions {
  /** Blur before thresholding, in pixels of a 512-wide working image (scaled with the field). */
  sigma: number;
  /** Lowest threshold allowed, as a fraction of full scale: a channel that is only noise gives
   * no nuclei rather than a speckle of them. */
  floor: number;
  /** Offset before the log for the lenient (extent) threshold; see segmentNuclei. */
  logOffset: number;
  /** Dynamic a distance peak needs to seed its own nucleus, in 512-scale pixels: the depth of
   * the waist between two touching nuclei. */
  splitDepth: number;
  /** Smallest and largest nucleus, as fractions of the field area. */
  minArea: number;
  maxArea: number;
  /** Share of minArea enough for a nucleus cut by the image edge. */
  borderShare: number;
}

export const NUCLEI_DEFAULTS: NucleiOptions = {
  sigma: 1.5,
  floor: 0.04,
  logOffset: 0.03,
  splitDepth: 4,
  minArea: 0.0006,
  maxArea: 0.08,
  borderShare: 0.25,
};

/** Threshold, fill holes, and drop one-pixel bridges and specks. */
function objectMask(v: Float32Array, t: number, width: number, height: number): Uint8Array {
  const mask = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) mask[i] = v[i] > t ? 1 : 0;
  fillHoles(mask, width, height);
  return openCross(mask, width, height);
}

/** Distance to the mask's edge, lightly blurred so pixel-scale wiggles of the outline do not
 * make peaks of their own. */
function smoothDistance(mask: Uint8Array, width: number, height: number, unit: number): Plane {
  return gaussianBlur(distanceTransform(mask, width, height), unit);
}

/**
 * Nuclei from the blue (DAPI) channel, intensities in [0, 1], at the working scale.
 * DAPI brightness varies several-fold between nuclei (mitotic ones shine), so two thresholds
 * work as a hysteresis pair: a linear Otsu threshold (strict) finds the cores, whose distance
 * peaks split touching nuclei cleanly because cores rarely touch; an Otsu threshold on a log
 * scale (lenient) gives dim nuclei their full extent, and seeds those with no core at all.
 * Seeds then grow over the lenient mask by a watershed on its distance map.
 */
export function segmentNuclei(blue: Plane, options: Partial<NucleiOptions> = {}): Labels {
  const o = { ...NUCLEI_DEFAULTS, ...options };
  const { width, height } = blue;
  const n = width * height;
  const unit = Math.sqrt(n) / 512;
  const v = gaussianBlur(blue, o.sigma * unit).data;
  const empty: Labels = { width, height, data: new Uint32Array(n), count: 0 };
  const linear = otsuThreshold(v);
  if (Number.isNaN(linear)) return empty;
  const logv = new Float32Array(n);
  for (let i = 0; i < n; i++) logv[i] = Math.log(o.logOffset + v[i]);
  const logT = Math.exp(otsuThreshold(logv)) - o.logOffset;
  const strictT = Math.max(linear, o.floor);
  const lenientT = Math.max(Math.min(logT, strictT), o.floor);

  const strict = objectMask(v, strictT, width, height);
  const lenient = objectMask(v, lenientT, width, height);
  for (let i = 0; i < n; i++) lenient[i] |= strict[i];
  const h = o.splitDepth * unit;
  const seeds = hMaximaMarkers(smoothDistance(strict, width, height, unit), h, strict);
  const lenientDist = smoothDistance(lenient, width, height, unit);

  // Lenient objects with no core: seed them from their own distance peaks.
  const parts = connectedComponents(lenient, width, height);
  const cored = new Uint8Array(parts.count + 1);
  for (let i = 0; i < n; i++) if (seeds.data[i]) cored[parts.data[i]] = 1;
  const orphan = new Uint8Array(n);
  for (let i = 0; i < n; i++) orphan[i] = lenient[i] && !cored[parts.data[i]] ? 1 : 0;
  const extra = hMaximaMarkers(lenientDist, h, orphan);
  for (let i = 0; i < n; i++) if (extra.data[i]) seeds.data[i] = seeds.count + extra.data[i];
  seeds.count += extra.count;

  for (let i = 0; i < n; i++) lenientDist.data[i] = -lenientDist.data[i];
  const nuclei = seededWatershed(lenientDist, seeds, lenient);
  filterBySize(nuclei, o.minArea * n, o.maxArea * n, o.borderShare);
  return nuclei;
}
