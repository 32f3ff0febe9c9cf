/**
 * batchNorm2d over channels-last input: statistics over every axis but the last, one
 * gamma/beta/running stat per channel. PyTorch conventions:
 * - training normalises with the batch mean and the BIASED batch variance;
 * - running = (1 - momentum) * running + momentum * stat, where the variance that goes
 *   into running_var is the UNBIASED one (times M / (M - 1), M values per channel);
 * - eval normalises with the running statistics.
 */
import { T, fmtShape, sameShape, type RefTensor } from './tensor.js';

export interface BatchNormOptions {
  /** PyTorch default 0.1 */
  momentum?: number;
  /** PyTorch default 1e-5 */
  eps?: number;
}

export interface BatchNormTrainResult {
  y: RefTensor;
  /** batch mean per channel */
  mean: RefTensor;
  /** biased batch variance per channel (the one used to normalise) */
  variance: RefTensor;
  runningMean: RefTensor;
  runningVar: RefTensor;
}

function channels(op: string, x: RefTensor, params: Record<string, RefTensor>): number {
  if (x.shape.length < 2) throw new Error(`${op}: input ${fmtShape(x.shape)} needs a batch axis and a channel axis`);
  const C = x.shape[x.shape.length - 1];
  for (const [name, p] of Object.entries(params)) {
    if (!sameShape(p.shape, [C])) throw new Error(`${op}: ${name} ${fmtShape(p.shape)}, expected [${C}] for input ${fmtShape(x.shape)}`);
  }
  return C;
}

/** Per-channel mean and biased variance (two passes, so it stays exact in float64). */
export function channelMoments(x: RefTensor): { mean: RefTensor; variance: RefTensor; count: number } {
  const C = x.shape[x.shape.length - 1];
  const count = x.data.length / C;
  const mean = T([C]);
  const variance = T([C]);
  for (let i = 0; i < x.data.length; i++) mean.data[i % C] += x.data[i];
  for (let c = 0; c < C; c++) mean.data[c] /= count;
  for (let i = 0; i < x.data.length; i++) variance.data[i % C] += (x.data[i] - mean.data[i % C]) ** 2;
  for (let c = 0; c < C; c++) variance.data[c] /= count;
  return { mean, variance, count };
}

function normalise(x: RefTensor, mean: RefTensor, variance: RefTensor, gamma: RefTensor, beta: RefTensor, eps: number): RefTensor {
  const C = gamma.data.length;
  const y = T(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const c = i % C;
    y.data[i] = ((x.data[i] - mean.data[c]) / Math.sqrt(variance.data[c] + eps)) * gamma.data[c] + beta.data[c];
  }
  return y;
}

export function batchNorm2dTrain(
  x: RefTensor,
  gamma: RefTensor,
  beta: RefTensor,
  runningMean: RefTensor,
  runningVar: RefTensor,
  opts: BatchNormOptions = {},
): BatchNormTrainResult {
  channels('batchNorm2d', x, { gamma, beta, runningMean, runningVar });
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const { mean, variance, count } = channelMoments(x);
  if (count < 2) throw new Error(`batchNorm2d: training needs more than one value per channel, input ${fmtShape(x.shape)}`);
  const y = normalise(x, mean, variance, gamma, beta, eps);
  const rm = T([gamma.data.length]);
  const rv = T([gamma.data.length]);
  for (let c = 0; c < rm.data.length; c++) {
    rm.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean.data[c];
    rv.data[c] = (1 - momentum) * runningVar.data[c] + momentum * variance.data[c] * (count / (count - 1));
  }
  return { y, mean, variance, runningMean: rm, runningVar: rv };
}

export function batchNorm2dEval(
  x: RefTensor,
  gamma: RefTensor,
  beta: RefTensor,
  runningMean: RefTensor,
  runningVar: RefTensor,
  opts: Pick<BatchNormOptions, 'eps'> = {},
): RefTensor {
  channels('batchNorm2d', x, { gamma, beta, runningMean, runningVar });
  return normalise(x, runningMean, runningVar, gamma, beta, opts.eps ?? 1e-5);
}

export interface BatchNormGrads {
  dx: RefTensor;
  dgamma: RefTensor;
  dbeta: RefTensor;
}

/**
 * Training-mode backward, through the batch mean and variance:
 * dx = gamma / sqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat)), per channel.
 */
export function batchNorm2dTrainBackward(x: RefTensor, gamma: RefTensor, dy: RefTensor, opts: Pick<BatchNormOptions, 'eps'> = {}): BatchNormGrads {
  const C = channels('batchNorm2d backward', x, { gamma });
  if (!sameShape(dy.shape, x.shape)) throw new Error(`batchNorm2d backward: dy ${fmtShape(dy.shape)}, expected ${fmtShape(x.shape)}`);
  const eps = opts.eps ?? 1e-5;
  const { mean, variance, count } = channelMoments(x);
  const invStd = variance.data.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = (i: number): number => (x.data[i] - mean.data[i % C]) * invStd[i % C];
  const dbeta = T([C]);
  const dgamma = T([C]);
  for (let i = 0; i < x.data.length; i++) {
    dbeta.data[i % C] += dy.data[i];
    dgamma.data[i % C] += dy.data[i] * xhat(i);
  }
  const dx = T(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const c = i % C;
    dx.data[i] = gamma.data[c] * invStd[c] * (dy.data[i] - dbeta.data[c] / count - (xhat(i) * dgamma.data[c]) / count);
  }
  return { dx, dgamma, dbeta };
}

/** Eval-mode backward: the running stats are constants, so it is an affine map per channel. */
export function batchNorm2dEvalBackward(
  x: RefTensor,
  gamma: RefTensor,
  runningMean: RefTensor,
  runningVar: RefTensor,
  dy: RefTensor,
  opts: Pick<BatchNormOptions, 'eps'> = {},
): BatchNormGrads {
  const C = channels('batchNorm2d backward', x, { gamma, runningMean, runningVar });
  if (!sameShape(dy.shape, x.shape)) throw new Error(`batchNorm2d backward: dy ${fmtShape(dy.shape)}, expected ${fmtShape(x.shape)}`);
  const eps = opts.eps ?? 1e-5;
  const dx = T(x.shape);
  const dgamma = T([C]);
  const dbeta = T([C]);
  for (let i = 0; i < x.data.length; i++) {
    const c = i % C;
    const invStd = 1 / Math.sqrt(runningVar.data[c] + eps);
    dx.data[i] = dy.data[i] * gamma.data[c] * invStd;
    dgamma.data[c] += dy.data[i] * (x.data[i] - runningMean.data[c]) * invStd;
    dbeta.data[c] += dy.data[i];
  }
  return { dx, dgamma, dbeta };
}
