import { runtime } from '../runtime.js';
import { shapeStr, type Shape, type Tensor } from '../tensor.js';
import type { RowSplit } from '../../kernels/conv2d.js';
import { reshape } from './reshape.js';
import { sum } from './reduce.js';

// What conv2d and depthwiseConv2d share: padding modes, output geometry with the shape
// errors, and the second pass of their weight gradients.

/**
 * 'same' is TensorFlow SAME (out = ceil(in / stride), the odd padding pixel at the
 * bottom/right); a number pads all four sides (PyTorch), [h, w] pads top/bottom by h and
 * left/right by w; 'valid' is 0.
 */
export type Padding = 'same' | 'valid' | number | [number, number] | { top: number; bottom: number; left: number; right: number };

export interface ConvOptions {
  stride?: number | [number, number];
  padding?: Padding;
}

export interface ConvGeometry {
  N: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  OH: number;
  OW: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
}

function samePad(size: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Output size and padding of a KH x KW window over x [N, H, W, C]; errors name the op and shapes. */
export function convGeometry(op: string, x: Tensor, wShape: Shape, KH: number, KW: number, opts: ConvOptions): ConvGeometry {
  const [SH, SW] = typeof opts.stride === 'number' ? [opts.stride, opts.stride] : (opts.stride ?? [1, 1]);
  if (![SH, SW].every((s) => Number.isInteger(s) && s >= 1)) throw new Error(`${op}: stride ${JSON.stringify(opts.stride)} must be positive integers`);
  const [N, H, W] = x.shape;
  const p = opts.padding ?? 0;
  let pad: { top: number; bottom: number; left: number; right: number };
  if (p === 'same') {
    const [top, bottom] = samePad(H, KH, SH);
    const [left, right] = samePad(W, KW, SW);
    pad = { top, bottom, left, right };
  } else if (p === 'valid') pad = { top: 0, bottom: 0, left: 0, right: 0 };
  else if (typeof p === 'number') pad = { top: p, bottom: p, left: p, right: p };
  else if (Array.isArray(p)) pad = { top: p[0], bottom: p[0], left: p[1], right: p[1] };
  else pad = { top: p.top, bottom: p.bottom, left: p.left, right: p.right };
  if (!Object.values(pad).every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`${op}: padding ${JSON.stringify(p)} must be non-negative integers`);
  const ph = H + pad.top + pad.bottom;
  const pw = W + pad.left + pad.right;
  if (KH > ph || KW > pw) {
    throw new Error(`${op}: kernel ${KH}x${KW} of weight ${shapeStr(wShape)} is larger than the padded input ${ph}x${pw} (input ${x.describe()}, padding ${JSON.stringify(p)})`);
  }
  return { N, H, W, KH, KW, SH, SW, OH: Math.floor((ph - KH) / SH) + 1, OW: Math.floor((pw - KW) / SW) + 1, ...pad };
}

/** Threads a two-pass weight gradient aims for: enough to fill a GPU, few on a CPU adapter. */
export function gradWeightTargetThreads(): number {
  return runtime().ctx.summary.isSoftware ? 2048 : 32768;
}

/** Sums per-chunk partial weight gradients [chunks, ...] into `shape` (the second pass). */
export function sumPartials(partial: Tensor, split: RowSplit, shape: Shape): Tensor {
  return split.chunks === 1 ? reshape(partial, shape) : reshape(sum(reshape(partial, [split.chunks, -1]), 0), shape);
}

export const needsGrad = (t: Tensor) => t.requiresGrad || t.node !== null;
