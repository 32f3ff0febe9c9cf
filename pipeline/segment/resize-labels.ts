import type { Labels } from './planes.js';

/** Label resize. Labels cannot be averaged, so each output pixel takes the label with the
 * largest bilinear weight among the four source pixels around it: the same as upscaling each
 * object's mask bilinearly and cutting at one half, so outlines come out smooth instead of in
 * k-pixel stairs. Where all four agree (almost everywhere) it is a plain copy. */
export function resizeLabels(labels: Labels, outW: number, outH: number): Labels {
  const { width, height, data } = labels;
  const out = new Uint32Array(outW * outH);
  const sx = width / outW;
  const sy = height / outH;
  const x0 = new Int32Array(outW);
  const x1 = new Int32Array(outW);
  const fx = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const u = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
    x0[x] = Math.floor(u);
    x1[x] = Math.min(width - 1, x0[x] + 1);
    fx[x] = u - x0[x];
  }
  for (let y = 0; y < outH; y++) {
    const v = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const r0 = Math.floor(v) * width;
    const r1 = Math.min(height - 1, Math.floor(v) + 1) * width;
    const fy = v - Math.floor(v);
    const o = y * outW;
    for (let x = 0; x < outW; x++) {
      const a = data[r0 + x0[x]];
      const b = data[r0 + x1[x]];
      const c = data[r1 + x0[x]];
      const d = data[r1 + x1[x]];
      if (a === b && a === c && a === d) {
        out[o + x] = a;
        continue;
      }
      const wa = (1 - fx[x]) * (1 - fy);
      const wb = fx[x] * (1 - fy);
      const wc = (1 - fx[x]) * fy;
      const wd = fx[x] * fy;
      // Sum the weight of each distinct label among the four; keep the heaviest.
      let best = a;
      let bestW = -1;
      for (const l of [a, b, c, d]) {
        const w = (a === l ? wa : 0) + (b === l ? wb : 0) + (c === l ? wc : 0) + (d === l ? wd : 0);
        if (w > bestW) [best, bestW] = [l, w];
      }
      out[o + x] = best;
    }
  }
  return { width: outW, height: outH, data: out, count: labels.count };
}
