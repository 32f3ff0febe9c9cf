/**
 * The independent oracle: tfjs-core on its CPU backend, a library nobody here wrote.
 * Each wrapper runs one op and returns its forward output and the gradients w.r.t.
 * every input for a given upstream gradient dy, as float64 RefTensors (tfjs computes
 * in float32, so compare with a tolerance around 1e-4).
 *
 * Test-only: nothing under engine/ kernels/ models/ pipeline/ cli/ may import tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle has no gradients (the tfjs union package registers them). Only
// the ones these wrappers reach are registered: loading all ~100 costs ~4 s per test run.
// A new wrapper that fails with "gradient function not found for X" needs X_grad here.
import { addGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Add_grad.js';
import { batchMatMulGradConfig } from '@tensorflow/tfjs-core/dist/gradients/BatchMatMul_grad.js';
import { broadcastToGradConfig } from '@tensorflow/tfjs-core/dist/gradients/BroadcastTo_grad.js';
import { castGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Cast_grad.js';
import { concatGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Concat_grad.js';
import { conv2DGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Conv2D_grad.js';
import { depthwiseConv2dNativeGradConfig } from '@tensorflow/tfjs-core/dist/gradients/DepthwiseConv2dNative_grad.js';
import { fusedBatchNormGradConfig } from '@tensorflow/tfjs-core/dist/gradients/FusedBatchNorm_grad.js';
import { meanGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Mean_grad.js';
import { multiplyGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Multiply_grad.js';
import { negGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Neg_grad.js';
import { padV2GradConfig } from '@tensorflow/tfjs-core/dist/gradients/PadV2_grad.js';
import { reshapeGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Reshape_grad.js';
import { sigmoidGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sigmoid_grad.js';
import { softplusGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Softplus_grad.js';
import { squareGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Square_grad.js';
import { subGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sub_grad.js';
import { sumGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sum_grad.js';
import { splitVGradConfig } from '@tensorflow/tfjs-core/dist/gradients/SplitV_grad.js';
import { tileGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Tile_grad.js';
import { resolvePadding, type ConvOptions } from '../reference/conv.js';
import { T, fmtShape, type RefTensor } from '../reference/tensor.js';

const GRADIENTS = [
  addGradConfig,
  batchMatMulGradConfig,
  broadcastToGradConfig,
  castGradConfig,
  concatGradConfig,
  conv2DGradConfig,
  depthwiseConv2dNativeGradConfig,
  fusedBatchNormGradConfig,
  meanGradConfig,
  multiplyGradConfig,
  negGradConfig,
  padV2GradConfig,
  reshapeGradConfig,
  sigmoidGradConfig,
  softplusGradConfig,
  squareGradConfig,
  subGradConfig,
  sumGradConfig,
  splitVGradConfig,
  tileGradConfig,
];
for (const g of GRADIENTS) tf.registerGradient(g);

let ready: Promise<void> | null = null;

/** Selects the CPU backend once; every wrapper awaits it. */
export function tfReady(): Promise<void> {
  ready ??= tf.setBackend('cpu').then((ok) => {
    if (!ok) throw new Error('tf oracle: the tfjs CPU backend did not initialise');
  });
  return ready;
}

const toTf = (t: RefTensor): tf.Tensor => tf.tensor(Float32Array.from(t.data), t.shape, 'float32');
const fromTf = (t: tf.Tensor): RefTensor => T(t.shape, t.dataSync());

export interface OracleResult {
  y: RefTensor;
  /** one gradient per input, in the order of the inputs */
  grads: RefTensor[];
}

/** Forward and vector-Jacobian product of any tfjs function of the inputs, by tf.valueAndGrads. */
export async function tfVjp(fn: (...xs: tf.Tensor[]) => tf.Tensor, inputs: RefTensor[], dy: RefTensor): Promise<OracleResult> {
  await tfReady();
  let result: OracleResult | undefined;
  tf.tidy(() => {
    const xs = inputs.map(toTf);
    const { value, grads } = tf.valueAndGrads(fn)(xs, toTf(dy));
    result = { y: fromTf(value), grads: grads.map(fromTf) };
  });
  return result!;
}

/** NHWC input padded explicitly, or tf's own 'same' (which puts the odd pixel bottom/right too). */
function padded(x: tf.Tensor, KH: number, KW: number, opts: ConvOptions): { x: tf.Tensor4D; pad: 'same' | 'valid' } {
  if (opts.padding === 'same') return { x: x as tf.Tensor4D, pad: 'same' };
  const [SH, SW] = strides(opts);
  const p = resolvePadding(x.shape[1]!, x.shape[2]!, KH, KW, SH, SW, opts.padding ?? 0);
  const xp = tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]) as tf.Tensor4D;
  return { x: xp, pad: 'valid' };
}

function strides(opts: ConvOptions): [number, number] {
  return typeof opts.stride === 'number' ? [opts.stride, opts.stride] : (opts.stride ?? [1, 1]);
}

export interface ConvOracle {
  y: RefTensor;
  dx: RefTensor;
  dw: RefTensor;
  /** present when a bias was given */
  db?: RefTensor;
}

/**
 * conv2d, NHWC x, HWIO weight. tfjs has no grouped convolution, so groups > 1 is built
 * from tf ops: split input channels and output filters into groups, convolve each
 * pair, concatenate; tf differentiates through the split and concat.
 */
export async function tfConv2d(x: RefTensor, w: RefTensor, bias: RefTensor | undefined, opts: ConvOptions, dy: RefTensor): Promise<ConvOracle> {
  const groups = opts.groups ?? 1;
  const [KH, KW, , Cout] = w.shape;
  if (x.shape[3] % groups !== 0 || Cout % groups !== 0) {
    throw new Error(`tf oracle conv2d: groups ${groups} does not divide input ${fmtShape(x.shape)} / weight ${fmtShape(w.shape)}`);
  }
  const fn = (xt: tf.Tensor, wt: tf.Tensor, bt?: tf.Tensor): tf.Tensor => {
    const { x: xp, pad } = padded(xt, KH, KW, opts);
    const xg = groups === 1 ? [xp] : tf.split(xp, groups, 3);
    const wg = groups === 1 ? [wt] : tf.split(wt, groups, 3);
    const ys = xg.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, wg[g] as tf.Tensor4D, strides(opts), pad));
    const y = groups === 1 ? ys[0] : tf.concat(ys, 3);
    return bt ? tf.add(y, bt) : y;
  };
  const r = await tfVjp(fn, bias ? [x, w, bias] : [x, w], dy);
  return { y: r.y, dx: r.grads[0], dw: r.grads[1], db: r.grads[2] };
}

/** Depthwise conv, weight [KH, KW, C] passed to tf as [KH, KW, C, 1] (channel multiplier 1). */
export async function tfDepthwiseConv2d(
  x: RefTensor,
  w: RefTensor,
  bias: RefTensor | undefined,
  opts: Omit<ConvOptions, 'groups'>,
  dy: RefTensor,
): Promise<ConvOracle> {
  const [KH, KW, C] = w.shape;
  const fn = (xt: tf.Tensor, wt: tf.Tensor, bt?: tf.Tensor): tf.Tensor => {
    const { x: xp, pad } = padded(xt, KH, KW, opts);
    const y = tf.depthwiseConv2d(xp, tf.reshape(wt, [KH, KW, C, 1]) as tf.Tensor4D, strides(opts), pad);
    return bt ? tf.add(y, bt) : y;
  };
  const r = await tfVjp(fn, bias ? [x, w, bias] : [x, w], dy);
  return { y: r.y, dx: r.grads[0], dw: r.grads[1], db: r.grads[2] };
}

export interface BatchNormOracle {
  y: RefTensor;
  mean: RefTensor;
  variance: RefTensor;
  dx: RefTensor;
  dgamma: RefTensor;
  dbeta: RefTensor;
}

/**
 * Training-mode batchnorm: tf.moments gives the batch mean and biased variance and
 * tf.batchNorm normalises with them, so gradients flow through both statistics.
 * The input is viewed as [1, 1, M, C] because tfjs's batchNorm gradient only handles rank 4.
 */
export async function tfBatchNormTrain(x: RefTensor, gamma: RefTensor, beta: RefTensor, eps: number, dy: RefTensor): Promise<BatchNormOracle> {
  const C = x.shape[x.shape.length - 1];
  const view = [1, 1, x.data.length / C, C];
  let stats: { mean: RefTensor; variance: RefTensor } | undefined;
  const fn = (xt: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
    const x4 = tf.reshape(xt, view);
    const { mean, variance } = tf.moments(x4, [0, 1, 2]);
    stats = { mean: fromTf(mean), variance: fromTf(variance) };
    return tf.reshape(tf.batchNorm(x4, mean, variance, b, g, eps), xt.shape);
  };
  const r = await tfVjp(fn, [x, gamma, beta], dy);
  return { y: r.y, mean: stats!.mean, variance: stats!.variance, dx: r.grads[0], dgamma: r.grads[1], dbeta: r.grads[2] };
}

/** y = x W + b for x [..., in] (flattened to rows), W [in, out]. */
export async function tfLinear(x: RefTensor, w: RefTensor, bias: RefTensor, dy: RefTensor): Promise<{ y: RefTensor; dx: RefTensor; dw: RefTensor; db: RefTensor }> {
  const [In, Out] = w.shape;
  const fn = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor): tf.Tensor =>
    tf.reshape(tf.add(tf.matMul(tf.reshape(xt, [-1, In]) as tf.Tensor2D, wt as tf.Tensor2D), bt), [...xt.shape.slice(0, -1), Out]);
  const r = await tfVjp(fn, [x, w, bias], dy);
  return { y: r.y, dx: r.grads[0], dw: r.grads[1], db: r.grads[2] };
}

/** Squeeze-excite from tf ops: mean over H, W -> dense -> x*sigmoid(x) -> dense -> sigmoid -> scale. */
export async function tfSqueezeExcite(
  x: RefTensor,
  p: { wReduce: RefTensor; bReduce: RefTensor; wExpand: RefTensor; bExpand: RefTensor },
  dy: RefTensor,
): Promise<OracleResult> {
  const [N, , , C] = x.shape;
  const fn = (xt: tf.Tensor, wr: tf.Tensor, br: tf.Tensor, we: tf.Tensor, be: tf.Tensor): tf.Tensor => {
    const pooled = tf.mean(xt, [1, 2]) as tf.Tensor2D;
    const z = tf.add(tf.matMul(pooled, wr as tf.Tensor2D), br);
    const a = tf.mul(z, tf.sigmoid(z));
    const gate = tf.sigmoid(tf.add(tf.matMul(a as tf.Tensor2D, we as tf.Tensor2D), be));
    return tf.mul(xt, tf.reshape(gate, [N, 1, 1, C]));
  };
  return tfVjp(fn, [x, p.wReduce, p.bReduce, p.wExpand, p.bExpand], dy);
}

/**
 * BCE with logits (mean, optional pos_weight) from tf ops, in the log-sigmoid form
 * tf.losses uses: pw*y*softplus(-x) + (1-y)*softplus(x). Returns the loss and d loss / d logits.
 */
export async function tfBceWithLogits(logits: RefTensor, targets: RefTensor, posWeight?: RefTensor): Promise<{ loss: number; dx: RefTensor }> {
  await tfReady();
  let out: { loss: number; dx: RefTensor } | undefined;
  tf.tidy(() => {
    const y = toTf(targets);
    const pw = posWeight ? toTf(posWeight) : tf.scalar(1);
    const fn = (x: tf.Tensor): tf.Tensor =>
      tf.mean(tf.add(tf.mul(tf.mul(pw, y), tf.softplus(tf.neg(x))), tf.mul(tf.sub(1, y), tf.softplus(x))));
    const { value, grad } = tf.valueAndGrad(fn)(toTf(logits));
    out = { loss: value.dataSync()[0], dx: fromTf(grad) };
  });
  return out!;
}

/**
 * Batched matmul with transposes and batch broadcasting. The operands are broadcast
 * explicitly first: tfjs's BatchMatMul gradient returns the broadcast shape instead of
 * summing over the stretched batch dims, while broadcastTo's gradient sums correctly.
 */
export async function tfMatmul(a: RefTensor, b: RefTensor, transposeA: boolean, transposeB: boolean, dy: RefTensor): Promise<OracleResult> {
  const batch = dy.shape.slice(0, -2);
  return tfVjp(
    (at, bt) =>
      tf.matMul(
        tf.broadcastTo(at, [...batch, ...a.shape.slice(-2)]),
        tf.broadcastTo(bt, [...batch, ...b.shape.slice(-2)]),
        transposeA,
        transposeB,
      ),
    [a, b],
    dy,
  );
}
