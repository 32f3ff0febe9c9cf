import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, type Shape, type Tensor } from '../tensor.js';
import {
  depthwiseForwardKernel,
  depthwiseGradInputKernel,
  depthwiseGradWeightKernel,
  depthwiseGradWeightThreadsPerChunk,
  depthwiseForwardBlock,
  depthwiseGradInputBlock,
  depthwiseGradWeightBlock,
  type DepthwiseBlock,
  type DepthwiseDims,
  type DepthwiseGradInputBlock,
  type DepthwiseGradWeightBlock,
} from '../../kernels/depthwise-conv2d.js';
import { splitRows } from '../../kernels/conv2d.js';
import { bufferOf, launch } from './launch.js';
import { reshape } from './reshape.js';
import { sum } from './reduce.js';
import { convGeometry, gradWeightTargetThreads, needsGrad, sumPartials, type ConvOptions } from './conv-geometry.js';

/** Block sizes forced for every later call; a field left out keeps the built-in rule. */
export interface DepthwiseBlocks {
  forward?: DepthwiseBlock;
  gradInput?: DepthwiseGradInputBlock;
  gradWeight?: DepthwiseGradWeightBlock;
}

let forced: DepthwiseBlocks = {};

function checkBlocks(blocks: DepthwiseBlocks, where: string): void {
  for (const [pass, b] of Object.entries(blocks)) {
    const sizes = [(b as { rows?: number }).rows ?? 1, (b as { pixels: number }).pixels];
    if (!sizes.every((v) => Number.isInteger(v) && v >= 1 && v <= 16)) {
      throw new Error(`${where}: ${pass} block ${JSON.stringify(b)} needs rows and pixels from 1 to 16`);
    }
  }
}

/**
 * Forces the kernels' block sizes and schedules (tests run every variant this way; a tuner
 * may set them per shape); null restores the built-in rules (or HPA_DEPTHWISE's).
 */
export function forceDepthwiseBlocks(blocks: DepthwiseBlocks | null): void {
  checkBlocks(blocks ?? {}, 'depthwiseConv2d');
  forced = { ...(blocks ?? {}) };
}

/**
 * HPA_DEPTHWISE overrides the built-in blocks from the shell, for benches and A/B runs:
 * comma-separated `forward=RxP[:loop|:unrolled]`, `gradInput=RxP`, `gradWeight=P:window|row`,
 * any subset (e.g. `HPA_DEPTHWISE=forward=4x8:unrolled,gradWeight=4:row`).
 */
export function parseDepthwiseBlocks(spec: string): DepthwiseBlocks {
  const where = `HPA_DEPTHWISE='${spec}'`;
  const out: DepthwiseBlocks = {};
  for (const part of spec.split(',').filter((p) => p.trim())) {
    const m = /^\s*(forward|gradInput|gradWeight)=(?:(\d+)x)?(\d+)(?::(loop|unrolled|window|row))?\s*$/.exec(part);
    const [, pass, rows, pixels, schedule] = m ?? [];
    const bad = (): never => {
      throw new Error(`${where}: '${part}' is not forward=RxP[:loop|:unrolled], gradInput=RxP or gradWeight=P:window|row`);
    };
    if (!m) bad();
    if (pass === 'forward' && rows && (!schedule || schedule === 'loop' || schedule === 'unrolled')) {
      out.forward = { rows: Number(rows), pixels: Number(pixels), schedule: schedule === 'unrolled' ? 'unrolled' : 'loop' };
    } else if (pass === 'gradInput' && rows && !schedule) {
      out.gradInput = { rows: Number(rows), pixels: Number(pixels) };
    } else if (pass === 'gradWeight' && !rows && (schedule === 'window' || schedule === 'row')) {
      out.gradWeight = { pixels: Number(pixels), schedule };
    } else bad();
  }
  checkBlocks(out, where);
  return out;
}

let envBlocks: { spec: string; blocks: DepthwiseBlocks } | null = null;

/** The forced blocks over HPA_DEPTHWISE's over the built-in rules (each pass on its own). */
function chosenBlocks(): DepthwiseBlocks {
  const spec = process.env.HPA_DEPTHWISE ?? '';
  if (envBlocks?.spec !== spec) envBlocks = { spec, blocks: parseDepthwiseBlocks(spec) };
  return { ...envBlocks.blocks, ...forced };
}

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
  const y = launch('depthwiseConv2d', depthwiseForwardKernel(d, !!bias, chosenBlocks().forward ?? depthwiseForwardBlock(d)), inputs, [g.N, g.OH, g.OW, C]);
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
  runtime().dispatch(depthwiseGradInputKernel(d, chosenBlocks().gradInput ?? depthwiseGradInputBlock(d)), [bufferOf(op, gy), bufferOf(op, w), dx.binding]);
  return dx;
}

function depthwiseGradWeight(d: DepthwiseDims, x: Tensor, gy: Tensor, wShape: Shape): Tensor {
  const block = chosenBlocks().gradWeight ?? depthwiseGradWeightBlock(d);
  const split = splitRows(d.N * d.OH, depthwiseGradWeightThreadsPerChunk(d, block), gradWeightTargetThreads());
  const partial = empty([split.chunks, ...wShape]);
  const op = 'depthwiseConv2d backward';
  runtime().dispatch(depthwiseGradWeightKernel(d, split, block), [bufferOf(op, x), bufferOf(op, gy), partial.binding]);
  return sumPartials(partial, split, wShape);
}
