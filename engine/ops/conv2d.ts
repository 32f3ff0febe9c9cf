import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, type Shape, type Tensor } from '../tensor.js';
import {
  conv2dForwardKernel,
  conv2dGradInputKernel,
  conv2dGradWeightKernel,
  conv2dGradWeightThreadsPerChunk,
  splitRows,
  type ConvDims,
} from '../../kernels/conv2d.js';
import { bufferOf, launch } from './launch.js';
import { matmul } from './matmul.js';
import { reshape } from './reshape.js';
import { sum } from './reduce.js';
import { depthwiseConv2d } from './depthwise-conv2d.js';
import { convGeometry, gradWeightTargetThreads, needsGrad, sumPartials, type ConvOptions } from './conv-geometry.js';

export type { ConvOptions, Padding } from './conv-geometry.js';

export interface Conv2dOptions extends ConvOptions {
  /** Cin and Cout must both divide by it; groups = Cin = Cout is a depthwise conv. */
  groups?: number;
  /** [Cout] */
  bias?: Tensor;
}

/**
 * 2-D convolution, x NHWC [N, H, W, Cin], w HWIO [KH, KW, Cin/groups, Cout], dilation 1.
 * Pointwise convs become one GEMM over the [N*H*W, Cin] view, groups = channels becomes
 * the depthwise kernel, and everything else runs the direct kernels (forward, grad-input,
 * two-pass grad-weight), all on the GPU.
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  if (x.rank !== 4) throw new Error(`conv2d: input ${x.describe()} must be NHWC (rank 4)`);
  if (w.rank !== 4) throw new Error(`conv2d: weight ${w.describe()} must be HWIO [KH, KW, Cin/groups, Cout] (rank 4)`);
  const [KH, KW, cinPG, Cout] = w.shape;
  const Cin = x.shape[3];
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`conv2d: groups ${groups} must be a positive integer`);
  if (Cin % groups !== 0 || Cout % groups !== 0 || Cin / groups !== cinPG) {
    throw new Error(
      `conv2d: input ${x.describe()} has ${Cin} channels but weight ${w.describe()} with groups ${groups} expects ${cinPG * groups} (and Cout ${Cout} divisible by ${groups})`,
    );
  }
  const bias = opts.bias;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== Cout)) throw new Error(`conv2d: bias ${bias.describe()} must have shape [${Cout}] for weight ${w.describe()}`);
  const g = convGeometry('conv2d', x, w.shape, KH, KW, opts);
  const outShape = [g.N, g.OH, g.OW, Cout];

  const pointwise = KH === 1 && KW === 1 && g.SH === 1 && g.SW === 1 && g.top + g.bottom + g.left + g.right === 0 && groups === 1;
  if (pointwise) {
    // NHWC makes a 1x1 conv exactly [N*H*W, Cin] x [Cin, Cout]; the views are free and
    // matmul's own backward gives dx, dw and db.
    const y = matmul(reshape(x, [-1, Cin]), reshape(w, [Cin, Cout]), { bias });
    return reshape(y, outShape);
  }
  if (groups === Cin && cinPG === 1 && Cout === Cin) {
    return depthwiseConv2d(x, reshape(w, [KH, KW, Cin]), { stride: [g.SH, g.SW], padding: { top: g.top, bottom: g.bottom, left: g.left, right: g.right }, bias });
  }

  const d: ConvDims = {
    N: g.N,
    H: g.H,
    W: g.W,
    Cin,
    OH: g.OH,
    OW: g.OW,
    Cout,
    KH,
    KW,
    SH: g.SH,
    SW: g.SW,
    padTop: g.top,
    padLeft: g.left,
    groups,
  };
  const y = launch('conv2d', conv2dForwardKernel(d, !!bias), bias ? [x, w, bias] : [x, w], outShape);
  const wantX = needsGrad(x);
  const wantW = needsGrad(w);
  return record(
    'conv2d',
    bias ? [x, w, bias] : [x, w],
    y,
    (gy, [xs, ws]) => {
      const grads: (Tensor | null)[] = [wantX ? conv2dGradInput(d, gy, ws) : null, wantW ? conv2dGradWeight(d, xs, gy, ws.shape) : null];
      if (bias) grads.push(sum(reshape(gy, [-1, Cout]), 0));
      return grads;
    },
    [x, w],
  );
}

function conv2dGradInput(d: ConvDims, gy: Tensor, w: Tensor): Tensor {
  const dx = empty([d.N, d.H, d.W, d.Cin]);
  runtime().dispatch(conv2dGradInputKernel(d), [bufferOf('conv2d backward', gy), bufferOf('conv2d backward', w), dx.binding]);
  return dx;
}

function conv2dGradWeight(d: ConvDims, x: Tensor, gy: Tensor, wShape: Shape): Tensor {
  const split = splitRows(d.N * d.OH, conv2dGradWeightThreadsPerChunk(d), gradWeightTargetThreads());
  const partial = empty([split.chunks, ...wShape]);
  runtime().dispatch(conv2dGradWeightKernel(d, split), [bufferOf('conv2d backward', x), bufferOf('conv2d backward', gy), partial.binding]);
  return sumPartials(partial, split, wShape);
}
