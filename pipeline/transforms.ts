/** Image transforms on planar channels (one Float32Array of H*W per channel) and on the
 * interleaved NHWC images the engine takes. */

type Samples = ArrayLike<number>;

/** For each output index along one axis: the source indices and weights that make it.
 * Downscaling integrates the source pixels the output pixel covers (area, so no aliasing
 * from 2048 to 256); upscaling interpolates linearly between pixel centres. */
function axisWeights(src: number, dst: number): { start: Int32Array; count: Int32Array; weight: Float32Array; taps: number } {
  const scale = src / dst;
  const taps = scale > 1 ? Math.ceil(scale) + 1 : 2;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weight = new Float32Array(dst * taps);
  for (let o = 0; o < dst; o++) {
    if (scale > 1) {
      const lo = o * scale;
      const hi = lo + scale;
      const first = Math.floor(lo);
      const last = Math.min(src - 1, Math.ceil(hi) - 1);
      start[o] = first;
      count[o] = last - first + 1;
      for (let s = first; s <= last; s++) {
        const cover = Math.min(hi, s + 1) - Math.max(lo, s);
        weight[o * taps + s - first] = cover / scale;
      }
    } else {
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), src - 1);
      const x0 = Math.min(Math.floor(x), src - 2 < 0 ? 0 : src - 2);
      const f = src === 1 ? 0 : x - x0;
      start[o] = x0;
      count[o] = src === 1 ? 1 : 2;
      weight[o * taps] = 1 - f;
      weight[o * taps + 1] = f;
    }
  }
  return { start, count, weight, taps };
}

/** Resizes one plane to dw x dh; area averaging where an axis shrinks, bilinear where it
 * grows. `scale` multiplies every sample (e.g. 1/255 to read 8-bit data as [0,1]). */
export function resizePlane(src: Samples, sw: number, sh: number, dw: number, dh: number, scale = 1): Float32Array {
  if (src.length !== sw * sh) throw new Error(`resize: ${src.length} samples do not fill ${sw}x${sh}`);
  if (dw < 1 || dh < 1) throw new Error(`resize: target ${dw}x${dh} is empty`);
  if (sw % dw === 0 && sh % dh === 0) return blockMean(src, sw, sh, dw, dh, scale);
  const wx = axisWeights(sw, dw);
  const wy = axisWeights(sh, dh);
  // Rows first: sh x dw intermediate, then columns.
  const mid = new Float32Array(sh * dw);
  for (let y = 0; y < sh; y++) {
    const row = y * sw;
    for (let o = 0; o < dw; o++) {
      const s0 = row + wx.start[o];
      const wo = o * wx.taps;
      let acc = 0;
      for (let k = 0; k < wx.count[o]; k++) acc += src[s0 + k] * wx.weight[wo + k];
      mid[y * dw + o] = acc;
    }
  }
  const out = new Float32Array(dw * dh);
  for (let o = 0; o < dh; o++) {
    const wo = o * wy.taps;
    const base = o * dw;
    for (let k = 0; k < wy.count[o]; k++) {
      const w = wy.weight[wo + k] * scale;
      const r = (wy.start[o] + k) * dw;
      for (let x = 0; x < dw; x++) out[base + x] += mid[r + x] * w;
    }
  }
  return out;
}

/** Area resizing by whole factors (2048 or 3072 down to 256): plain block means, about
 * twice as fast as the general weights, and the same result. */
function blockMean(src: Samples, sw: number, sh: number, dw: number, dh: number, scale: number): Float32Array {
  const fx = sw / dw;
  const fy = sh / dh;
  const out = new Float32Array(dw * dh);
  for (let oy = 0; oy < dh; oy++) {
    const o = oy * dw;
    for (let dy = 0; dy < fy; dy++) {
      let p = (oy * fy + dy) * sw;
      for (let ox = 0; ox < dw; ox++) {
        let s = 0;
        for (let j = 0; j < fx; j++) s += src[p + j];
        out[o + ox] += s;
        p += fx;
      }
    }
  }
  const k = scale / (fx * fy);
  for (let i = 0; i < out.length; i++) out[i] *= k;
  return out;
}

/** The size that brings the shorter side to `size` and keeps the aspect ratio, as
 * torchvision's Resize(int) does. */
export function shorterSideSize(w: number, h: number, size: number): { width: number; height: number } {
  return w <= h
    ? { width: size, height: Math.max(1, Math.round((h * size) / w)) }
    : { width: Math.max(1, Math.round((w * size) / h)), height: size };
}

/** The centre cw x ch window of a plane (torchvision rounds the offset the same way). */
export function centerCrop(src: Float32Array, w: number, h: number, cw: number, ch: number): Float32Array {
  if (cw > w || ch > h) throw new Error(`center crop ${cw}x${ch} is larger than the ${w}x${h} image`);
  const x0 = Math.round((w - cw) / 2);
  const y0 = Math.round((h - ch) / 2);
  const out = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) out.set(src.subarray((y0 + y) * w + x0, (y0 + y) * w + x0 + cw), y * cw);
  return out;
}

/** Planes to one H x W x C image (channels interleaved), the engine's layout. */
export function interleave(planes: readonly Float32Array[], out = new Float32Array(planes.length * planes[0].length), offset = 0): Float32Array {
  const c = planes.length;
  const n = planes[0].length;
  for (let p = 0; p < c; p++) {
    const src = planes[p];
    if (src.length !== n) throw new Error(`interleave: plane ${p} has ${src.length} samples, plane 0 has ${n}`);
    for (let i = 0; i < n; i++) out[offset + i * c + p] = src[i];
  }
  return out;
}

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Mean and std for input plane i: ImageNet's by position (the pretrained stem expects
 * them whatever the stain), and the mean of the three for a fourth plane and beyond. */
export function normStats(i: number): { mean: number; std: number } {
  if (i < 3) return { mean: IMAGENET_MEAN[i], std: IMAGENET_STD[i] };
  return { mean: (0.485 + 0.456 + 0.406) / 3, std: (0.229 + 0.224 + 0.225) / 3 };
}

/** In place: (x - mean[c]) / std[c] over an interleaved image or batch with c channels. */
export function normalize(hwc: Float32Array, channels: number): Float32Array {
  const mean = Float32Array.from({ length: channels }, (_, i) => normStats(i).mean);
  const inv = Float32Array.from({ length: channels }, (_, i) => 1 / normStats(i).std);
  for (let i = 0; i < hwc.length; i += channels) {
    for (let p = 0; p < channels; p++) hwc[i + p] = (hwc[i + p] - mean[p]) * inv[p];
  }
  return hwc;
}
