import { resizePlane } from '../transforms.js';
import type { Plane } from './planes.js';

type Samples = Uint8Array | Uint16Array | Float32Array;

/** Area-averaged reduction to outW x outH, times `unit`. An integer factor (2048 -> 512 at
 * the default 0.25) takes a plain k x k block-sum loop, about three times faster than the
 * general weighted resampler it falls back to for other sizes; both give the same means. */
export function downsample(src: Samples, width: number, height: number, outW: number, outH: number, unit: number): Plane {
  const k = width / outW;
  if (!Number.isInteger(k) || height / outH !== k) {
    return { width: outW, height: outH, data: resizePlane(src, width, height, outW, outH, unit) };
  }
  const out = new Float32Array(outW * outH);
  const norm = unit / (k * k);
  for (let oy = 0; oy < outH; oy++) {
    const o = oy * outW;
    for (let dy = 0; dy < k; dy++) {
      let i = (oy * k + dy) * width;
      for (let ox = 0; ox < outW; ox++) {
        let s = 0;
        for (let dx = 0; dx < k; dx++) s += src[i++];
        out[o + ox] += s;
      }
    }
    for (let ox = 0; ox < outW; ox++) out[o + ox] *= norm;
  }
  return { width: outW, height: outH, data: out };
}
