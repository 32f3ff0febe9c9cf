import type { Rng } from '../engine/random.js';

/** Training augmentation; each part can be switched off. Microscopy fields have no up,
 * down or handedness, so flips and quarter turns are free label-preserving variety. */
export interface AugmentOptions {
  hflip: boolean;
  vflip: boolean;
  /** Random quarter turns (square images only). */
  rot90: boolean;
  /** Largest extra rotation in degrees, drawn uniformly in [-rotate, rotate]; 0 = off. */
  rotate: number;
  /** Largest shear factor, drawn uniformly in [-skew, skew] on each axis; 0 = off. */
  skew: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = { hflip: true, vflip: true, rot90: true, rotate: 10, skew: 0.1 };
export const NO_AUGMENT: AugmentOptions = { hflip: false, vflip: false, rot90: false, rotate: 0, skew: 0 };

/** The 2x2 map from output to source coordinates (both centred on the image centre).
 * Always draws the same count of numbers, so switching one part off leaves the others'
 * draws unchanged for a given seed. */
export function drawAugment(rng: Rng, opts: AugmentOptions, square: boolean): [number, number, number, number] {
  const flipX = rng.next() < 0.5 && opts.hflip ? -1 : 1;
  const flipY = rng.next() < 0.5 && opts.vflip ? -1 : 1;
  const t = rng.int(4);
  const turns = opts.rot90 && square ? t : 0;
  const angle = (rng.uniform(-1, 1) * opts.rotate * Math.PI) / 180 + (turns * Math.PI) / 2;
  const sx = rng.uniform(-1, 1) * opts.skew;
  const sy = rng.uniform(-1, 1) * opts.skew;
  // Quarter turns must land exactly on pixel centres, so their sines and cosines are exact.
  const exact = opts.rotate === 0;
  const c = exact ? [1, 0, -1, 0][turns] : Math.cos(angle);
  const s = exact ? [0, 1, 0, -1][turns] : Math.sin(angle);
  // source = Flip * Rotation * Shear * output
  const r00 = c + -s * sy;
  const r01 = c * sx + -s;
  const r10 = s + c * sy;
  const r11 = s * sx + c;
  return [flipX * r00, flipX * r01, flipY * r10, flipY * r11];
}

/** Applies one random augmentation to an interleaved w x h x c image; pixels that come
 * from outside the image are 0 (dark background, as in the fields). */
export function augment(hwc: Float32Array, w: number, h: number, c: number, rng: Rng, opts: AugmentOptions = DEFAULT_AUGMENT): Float32Array {
  const [a, b, d, e] = drawAugment(rng, opts, w === h);
  if (a === 1 && b === 0 && d === 0 && e === 1) return hwc;
  const out = new Float32Array(hwc.length);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    const oy = y - cy;
    for (let x = 0; x < w; x++) {
      const ox = x - cx;
      const sx = a * ox + b * oy + cx;
      const sy = d * ox + e * oy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * w + x) * c;
      for (let dy = 0; dy < 2; dy++) {
        const yy = y0 + dy;
        const wy = dy ? fy : 1 - fy;
        if (yy < 0 || yy >= h || wy === 0) continue;
        for (let dx = 0; dx < 2; dx++) {
          const xx = x0 + dx;
          const wgt = wy * (dx ? fx : 1 - fx);
          if (xx < 0 || xx >= w || wgt === 0) continue;
          const s = (yy * w + xx) * c;
          for (let k = 0; k < c; k++) out[o + k] += hwc[s + k] * wgt;
        }
      }
    }
  }
  return out;
}
