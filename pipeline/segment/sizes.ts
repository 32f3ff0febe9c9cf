import type { Labels } from './planes.js';

export function labelAreas(labels: Labels): Int32Array {
  const areas = new Int32Array(labels.count + 1);
  for (let i = 0; i < labels.data.length; i++) areas[labels.data[i]]++;
  return areas;
}

/** 1 for each label with a pixel on the image edge (index 0 unused). */
export function touchesBorder(labels: Labels): Uint8Array {
  const { width, height, data } = labels;
  const out = new Uint8Array(labels.count + 1);
  for (let x = 0; x < width; x++) {
    out[data[x]] = 1;
    out[data[(height - 1) * width + x]] = 1;
  }
  for (let y = 0; y < height; y++) {
    out[data[y * width]] = 1;
    out[data[y * width + width - 1]] = 1;
  }
  out[0] = 0;
  return out;
}

/** Keeps the labels for which keep(label) is true and renumbers them 1..k in their old order,
 * in place. Returns the old-to-new map (0 for removed). */
export function keepLabels(labels: Labels, keep: (label: number) => boolean): Uint32Array {
  const map = new Uint32Array(labels.count + 1);
  let k = 0;
  for (let l = 1; l <= labels.count; l++) if (keep(l)) map[l] = ++k;
  for (let i = 0; i < labels.data.length; i++) labels.data[i] = map[labels.data[i]];
  labels.count = k;
  return map;
}

/** Drops objects outside [minArea, maxArea] pixels; objects cut by the image edge need only
 * `borderShare` of minArea, as only part of them is in view. The caller derives the areas from
 * fractions of the image area, so the same settings fit 1728, 2048 and 3072 fields. */
export function filterBySize(labels: Labels, minArea: number, maxArea = Infinity, borderShare = 1): Uint32Array {
  const areas = labelAreas(labels);
  const border = touchesBorder(labels);
  return keepLabels(labels, (l) => areas[l] >= (border[l] ? minArea * borderShare : minArea) && areas[l] <= maxArea);
}
