import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, type Shape, type Tensor } from '../tensor.js';
import {
  depthwiseForwardKernel,
  depthwiseGradInputKernel,
  depthwiseGradWeightKernel,
  depthwiseGradWeightThreadsPerChunk,
  type DepthwiseDims,
} from '../../kernels/depthwise-conv2d.js';
import { splitRows } from '../../kernels/conv2d.js';
import { bufferOf, launch } from './launch.js';
import { reshape } from './reshape.js';
import { sum } from './reduce.js';
import { convGeometry, gradWeightTargetThreads, needsGrad, sumPartials, type ConvOptions } from './conv-geometry.js';

export interface DepthwiseConv2dOptions extends ConvOptions {
  /** [C] */
  bias?: Tensor;
}

/**
 * Depthwise convolution (channel multiplier 1), x NHWC [N, H, W, C], w [KH, KW, C].
 * Forward, grad-input and grad-weight are dedicated kernels; grad-weight reduces over
 * N*OH*OW in two passes (per-chunk partials, then a sum over chunks).
 */
export function depthwiseConv2d(x: Tensor, w: Tensor, opts: DepthwiseConv2dOptions = {}): Tensor {
  if (x.rank !== 4) throw new Error(`depthwiseConv2d: input ${x.describe()} must be NHWC (rank 4)`);
  if (w.rank !== 3) throw new Error(`depthwiseConv2d: weight ${w.describe()} must be [KH, KW, C] (rank 3)`);
  const [KH, KW, C] = w.shape;
  if (x.shape[3] !== C) throw new Error(`depthwiseConv2d: input ${x.describe()} has ${x.shape[3]} channels, weight ${w.describe()} has ${C}`);
  const bias = opts.bias;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== C)) throw new Error(`depthwiseConv2d: bias ${bias.describe()} must have shape [${C}] for weight ${w.describe()}`);
  const g = convGeometry('depthwiseConv2d', x, w.shape, KH, KW, opts);
  const d: DepthwiseDims = { N: g.N, H: g.H, W: g.W, C, OH: g.OH, OW: g.OW, KH, KW, SH: g.SH, SW: g.SW, padTop: g.top, padLeft: g.left };
  const inputs = bias ? [x, w, bias] : [x, w];
  const y = launch('depthwiseConv2d', depthwiseForwardKernel(d, !!bias), inputs, [g.N, g.OH, g.OW, C]);
  const wantX = needsGrad(x);
  const wantW = needsGrad(w);
  return record(
    'depthwiseConv2d',
    inputs,
    y,
    (gy, [xs, ws]) => {
      const grads: (Tensor | null)[] = [wantX ? depthwiseGradInput(d, gy, ws) : null, wantW ? depthwiseGradWeight(d, xs, gy, ws.shape) : null];
      if (bias) grads.push(sum(reshape(gy, [-1, C]), 0));
      return grads;
    },
    [x, w],
  );
}

function depthwiseGradInput(d: DepthwiseDims, gy: Tensor, w: Tensor): Tensor {
  const dx = empty([d.N, d.H, d.W, d.C]);
  const op = 'depthwiseConv2d backward';
  runtime().dispatch(depthwiseGradInputKernel(d), [bufferOf(op, gy), bufferOf(op, w), dx.buffer]);
  return dx;
}

function depthwiseGradWeight(d: DepthwiseDims, x: Tensor, gy: Tensor, wShape: Shape): Tensor {
  const split = splitRows(d.N * d.OH, depthwiseGradWeightThreadsPerChunk(d), gradWeightTargetThreads());
  const partial = empty([split.chunks, ...wShape]);
  const op = 'depthwiseConv2d backward';
  runtime().dispatch(depthwiseGradWeightKernel(d, split), [bufferOf(op, x), bufferOf(op, gy), partial.buffer]);
  return sumPartials(partial, split, wShape);
}
