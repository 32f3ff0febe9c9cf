/**
 * Convolutions, NHWC. conv2d weight is HWIO [KH, KW, Cin/groups, Cout]; depthwise weight
 * is [KH, KW, C] (one filter per channel, multiplier 1). Dilation is 1.
 *
 * Padding is either 'same' (TensorFlow SAME: out = ceil(in / stride), total pad
 * max((out - 1) * stride + k - in, 0), the odd pixel at the bottom/right) or explicit
 * numbers (PyTorch style: one number for all four sides, or per side).
 *
 * The backward functions walk the very same loop nest as the forward and scatter, so
 * each gradient is visibly the transpose of the forward sum.
 */
import { T, fmtShape, sameShape, type RefTensor } from './tensor.js';

export type Padding = 'same' | number | { top: number; bottom: number; left: number; right: number };

export interface ConvOptions {
  stride?: number | [number, number];
  padding?: Padding;
  /** conv2d only: Cin and Cout must both divide by it; groups = Cin is depthwise. */
  groups?: number;
}

export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
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
  pad: Pads;
}

function samePad(inSize: number, k: number, s: number): [number, number] {
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Resolves the padding of one convolution to four numbers. */
export function resolvePadding(H: number, W: number, KH: number, KW: number, SH: number, SW: number, padding: Padding): Pads {
  if (padding === 'same') {
    const [top, bottom] = samePad(H, KH, SH);
    const [left, right] = samePad(W, KW, SW);
    return { top, bottom, left, right };
  }
  if (typeof padding === 'number') return { top: padding, bottom: padding, left: padding, right: padding };
  return { ...padding };
}

/** Output size and padding of a convolution over x [N, H, W, C] with a KH x KW window. */
export function convGeometry(op: string, xShape: readonly number[], KH: number, KW: number, opts: ConvOptions): ConvGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: input must be NHWC (rank 4), got ${fmtShape(xShape)}`);
  const [N, H, W] = xShape;
  const [SH, SW] = typeof opts.stride === 'number' ? [opts.stride, opts.stride] : (opts.stride ?? [1, 1]);
  if (!(SH >= 1 && SW >= 1 && Number.isInteger(SH) && Number.isInteger(SW))) throw new Error(`${op}: bad stride ${SH}x${SW}`);
  const pad = resolvePadding(H, W, KH, KW, SH, SW, opts.padding ?? 0);
  if (Object.values(pad).some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`${op}: bad padding ${JSON.stringify(opts.padding)}`);
  const ph = H + pad.top + pad.bottom;
  const pw = W + pad.left + pad.right;
  if (KH > ph || KW > pw) {
    throw new Error(`${op}: kernel ${KH}x${KW} larger than padded input ${ph}x${pw} (input ${fmtShape(xShape)})`);
  }
  const OH = Math.floor((ph - KH) / SH) + 1;
  const OW = Math.floor((pw - KW) / SW) + 1;
  return { N, H, W, KH, KW, SH, SW, OH, OW, pad };
}

interface ConvShapes {
  g: ConvGeometry;
  Cin: number;
  Cout: number;
  groups: number;
  cinPerGroup: number;
  coutPerGroup: number;
}

function conv2dShapes(x: RefTensor, w: RefTensor, bias: RefTensor | undefined, opts: ConvOptions): ConvShapes {
  if (w.shape.length !== 4) throw new Error(`conv2d: weight must be HWIO (rank 4), got ${fmtShape(w.shape)}`);
  const [KH, KW, cinPerGroup, Cout] = w.shape;
  const g = convGeometry('conv2d', x.shape, KH, KW, opts);
  const Cin = x.shape[3];
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || Cin % groups !== 0 || Cout % groups !== 0 || Cin / groups !== cinPerGroup) {
    throw new Error(`conv2d: input ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)} and groups ${groups} do not agree`);
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== Cout)) {
    throw new Error(`conv2d: bias ${fmtShape(bias.shape)}, expected [${Cout}]`);
  }
  return { g, Cin, Cout, groups, cinPerGroup, coutPerGroup: Cout / groups };
}

/**
 * Calls visit(xOffset, wOffset, yOffset) once per term of the convolution sum:
 * y[n, oh, ow, co] += x[n, ih, iw, ci] * w[kh, kw, ci - group start, co], skipping taps in padding.
 */
function forEachConvTerm(s: ConvShapes, visit: (xi: number, wi: number, yi: number) => void): void {
  const { g, Cin, Cout, cinPerGroup, coutPerGroup } = s;
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        for (let co = 0; co < Cout; co++) {
          const yi = ((n * g.OH + oh) * g.OW + ow) * Cout + co;
          const ciStart = Math.floor(co / coutPerGroup) * cinPerGroup;
          for (let kh = 0; kh < g.KH; kh++) {
            const ih = oh * g.SH - g.pad.top + kh;
            if (ih < 0 || ih >= g.H) continue;
            for (let kw = 0; kw < g.KW; kw++) {
              const iw = ow * g.SW - g.pad.left + kw;
              if (iw < 0 || iw >= g.W) continue;
              for (let c = 0; c < cinPerGroup; c++) {
                const xi = ((n * g.H + ih) * g.W + iw) * Cin + ciStart + c;
                const wi = ((kh * g.KW + kw) * cinPerGroup + c) * Cout + co;
                visit(xi, wi, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** y [N, OH, OW, Cout]. */
export function conv2d(x: RefTensor, w: RefTensor, bias?: RefTensor, opts: ConvOptions = {}): RefTensor {
  const s = conv2dShapes(x, w, bias, opts);
  const y = T([s.g.N, s.g.OH, s.g.OW, s.Cout]);
  if (bias) for (let i = 0; i < y.data.length; i++) y.data[i] = bias.data[i % s.Cout];
  forEachConvTerm(s, (xi, wi, yi) => {
    y.data[yi] += x.data[xi] * w.data[wi];
  });
  return y;
}

export interface ConvGrads {
  dx: RefTensor;
  dw: RefTensor;
  db: RefTensor;
}

/** Gradients of sum(dy * conv2d(x, w, b)) w.r.t. x, w and b. */
export function conv2dBackward(x: RefTensor, w: RefTensor, dy: RefTensor, opts: ConvOptions = {}): ConvGrads {
  const s = conv2dShapes(x, w, undefined, opts);
  const yShape = [s.g.N, s.g.OH, s.g.OW, s.Cout];
  if (!sameShape(dy.shape, yShape)) throw new Error(`conv2d backward: dy ${fmtShape(dy.shape)}, expected ${fmtShape(yShape)}`);
  const dx = T(x.shape);
  const dw = T(w.shape);
  const db = T([s.Cout]);
  for (let i = 0; i < dy.data.length; i++) db.data[i % s.Cout] += dy.data[i];
  forEachConvTerm(s, (xi, wi, yi) => {
    dx.data[xi] += dy.data[yi] * w.data[wi];
    dw.data[wi] += dy.data[yi] * x.data[xi];
  });
  return { dx, dw, db };
}

// ---- depthwise -----------------------------------------------------------------------

function depthwiseShapes(x: RefTensor, w: RefTensor, bias: RefTensor | undefined, opts: ConvOptions): { g: ConvGeometry; C: number } {
  if (w.shape.length !== 3) throw new Error(`depthwiseConv2d: weight must be [KH, KW, C], got ${fmtShape(w.shape)}`);
  const [KH, KW, C] = w.shape;
  const g = convGeometry('depthwiseConv2d', x.shape, KH, KW, opts);
  if (x.shape[3] !== C) throw new Error(`depthwiseConv2d: input ${fmtShape(x.shape)} has ${x.shape[3]} channels, weight ${fmtShape(w.shape)} has ${C}`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== C)) {
    throw new Error(`depthwiseConv2d: bias ${fmtShape(bias.shape)}, expected [${C}]`);
  }
  return { g, C };
}

/**
 * y[n, oh, ow, c] += x[n, ih, iw, c] * w[kh, kw, c], over the taps inside the input.
 * Written out rather than routed through conv2d with groups = C: two independent
 * definitions let the tests check one against the other.
 */
function forEachDepthwiseTerm(g: ConvGeometry, C: number, visit: (xi: number, wi: number, yi: number) => void): void {
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        for (let c = 0; c < C; c++) {
          const yi = ((n * g.OH + oh) * g.OW + ow) * C + c;
          for (let kh = 0; kh < g.KH; kh++) {
            const ih = oh * g.SH - g.pad.top + kh;
            if (ih < 0 || ih >= g.H) continue;
            for (let kw = 0; kw < g.KW; kw++) {
              const iw = ow * g.SW - g.pad.left + kw;
              if (iw < 0 || iw >= g.W) continue;
              visit(((n * g.H + ih) * g.W + iw) * C + c, (kh * g.KW + kw) * C + c, yi);
            }
          }
        }
      }
    }
  }
}

/** y [N, OH, OW, C]. */
export function depthwiseConv2d(x: RefTensor, w: RefTensor, bias?: RefTensor, opts: Omit<ConvOptions, 'groups'> = {}): RefTensor {
  const { g, C } = depthwiseShapes(x, w, bias, opts);
  const y = T([g.N, g.OH, g.OW, C]);
  if (bias) for (let i = 0; i < y.data.length; i++) y.data[i] = bias.data[i % C];
  forEachDepthwiseTerm(g, C, (xi, wi, yi) => {
    y.data[yi] += x.data[xi] * w.data[wi];
  });
  return y;
}

export function depthwiseConv2dBackward(x: RefTensor, w: RefTensor, dy: RefTensor, opts: Omit<ConvOptions, 'groups'> = {}): ConvGrads {
  const { g, C } = depthwiseShapes(x, w, undefined, opts);
  const yShape = [g.N, g.OH, g.OW, C];
  if (!sameShape(dy.shape, yShape)) throw new Error(`depthwiseConv2d backward: dy ${fmtShape(dy.shape)}, expected ${fmtShape(yShape)}`);
  const dx = T(x.shape);
  const dw = T(w.shape);
  const db = T([C]);
  for (let i = 0; i < dy.data.length; i++) db.data[i % C] += dy.data[i];
  forEachDepthwiseTerm(g, C, (xi, wi, yi) => {
    dx.data[xi] += dy.data[yi] * w.data[wi];
    dw.data[wi] += dy.data[yi] * x.data[xi];
  });
  return { dx, dw, db };
}
