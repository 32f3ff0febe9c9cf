import type { Labels } from './planes.js';

/** Nearest-neighbour label resize (labels cannot be averaged). Each output pixel samples the
 * input pixel under its centre. */
export function resizeLabels(labels: Labels, outW: number, outH: number): Labels {
  const { width, height, data } = labels;
  const out = new Uint32Array(outW * outH);
  const xmap = new Int32Array(outW);
  for (let x = 0; x < outW; x++) xmap[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / outW));
  let lastSy = -1;
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outH));
    const orow = y * outW;
    // Upscaling repeats source rows: copy the previous output row instead of resampling.
    if (sy === lastSy) {
      out.copyWithin(orow, orow - outW, orow);
      continue;
    }
    lastSy = sy;
    const srow = sy * width;
    for (let x = 0; x < outW; x++) out[orow + x] = data[srow + xmap[x]];
  }
  return { width: outW, height: outH, data: out, count: labels.count };
}
