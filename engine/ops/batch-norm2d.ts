import { record } from '../autograd.js';
import { runtime } from '../runtime.js';
import { empty, shapeStr, type Tensor } from '../tensor.js';
import { bindBuffers, channelLayout, type BoundKernel } from '../../kernels/channel-wise.js';
import {
  bnApplyKernel,
  bnEvalStatsKernel,
  bnGradFinalizeKernel,
  bnGradInputKernel,
  bnGradPartialKernel,
  bnPlan,
  bnStatsFinalizeKernel,
  bnStatsPartialKernel,
} from '../../kernels/batch-norm2d.js';
import { bufferOf } from './launch.js';

export interface BatchNorm2dOptions {
  /** batch statistics and running-stat updates (true) or the running statistics (false) */
  training: boolean;
  /** PyTorch default 0.1: running = (1 - momentum) * running + momentum * batch */
  momentum?: number;
  /** PyTorch default 1e-5 */
  eps?: number;
  /** apply swish (SiLU) to the output in the same kernel, and its derivative in backward */
  swish?: boolean;
}

const OP = 'batchNorm2d';

let forcedThreads: number | null = null;

/**
 * Forces the statistics' thread target (bnPlan's block size) for every later call, or
 * restores the built-in rule with null: tests run each plan this way, and a tuner may set it.
 */
export function forceBatchNormThreads(threads: number | null): void {
  if (threads !== null && !(Number.isInteger(threads) && threads >= 1)) throw new Error(`batchNorm2d: thread target ${threads} must be a positive integer`);
  forcedThreads = threads;
}

/**
 * Threads the two-pass statistics aim for. A real GPU wants ~16K; on a CPU adapter that many
 * leaves thousands of partials whose combining pass (a workgroup per channel reducing in
 * workgroup memory, slow on lavapipe) cost as much as the statistics themselves;
 * HPA_BN_THREADS=<n> overrides.
 */
function bnTargetThreads(): number {
  if (forcedThreads !== null) return forcedThreads;
  const env = process.env.HPA_BN_THREADS;
  if (env) {
    const n = Number(env);
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`HPA_BN_THREADS='${env}' must be a positive integer`);
    return n;
  }
  return runtime().ctx.summary.isSoftware ? SOFTWARE_THREADS : 16384;
}

const SOFTWARE_THREADS = 2048;

function dispatch(kernel: BoundKernel, buffers: Record<string, GPUBufferBinding>): void {
  runtime().dispatch(kernel, bindBuffers(OP, kernel, buffers));
}

function check(x: Tensor, params: Record<string, Tensor>, opts: BatchNorm2dOptions): { C: number; M: number } {
  if (x.rank < 2) throw new Error(`${OP}: input ${x.describe()} needs a batch axis and a channel axis (NHWC)`);
  const C = x.shape[x.rank - 1];
  for (const [name, p] of Object.entries(params)) {
    if (p.rank !== 1 || p.shape[0] !== C) throw new Error(`${OP}: ${name} ${p.describe()}, expected [${C}] for input ${x.describe()}`);
    if (p !== params.gamma && p !== params.beta && p.requiresGrad) throw new Error(`${OP}: ${name} ${p.describe()} must not require grad`);
  }
  const M = x.size / Math.max(C, 1);
  if (opts.training && M < 2) throw new Error(`${OP}: training needs more than one value per channel, input ${shapeStr(x.shape)}`);
  const m = opts.momentum ?? 0.1;
  if (!(m >= 0 && m <= 1)) throw new Error(`${OP}: momentum ${m} outside [0, 1]`);
  if (!(opts.eps === undefined || opts.eps > 0)) throw new Error(`${OP}: eps ${opts.eps} must be positive`);
  return { C, M };
}

/**
 * Batch normalisation over channels-last input (statistics over every axis but the
 * last), with PyTorch's conventions. Training normalises with the batch mean and biased
 * variance and updates runningMean / runningVar in place (unbiased variance); eval
 * normalises with the running statistics. With `swish`, returns swish(bn(x)) from one
 * kernel, and backward goes through both in one kernel.
 */
export function batchNorm2d(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, opts: BatchNorm2dOptions): Tensor {
  const { C, M } = check(x, { gamma, beta, runningMean, runningVar }, opts);
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const swish = !!opts.swish;
  const training = opts.training;
  const L = channelLayout(C);
  const xb = bufferOf(OP, x);
  const stats = empty([2, C]);
  const y = empty(x.shape);
  if (x.size > 0) {
    const plan = bnPlan(M, L, bnTargetThreads());
    if (training) {
      const part = empty([plan.P, 2, C]);
      dispatch(bnStatsPartialKernel(plan), { x: xb, part: part.binding });
      dispatch(bnStatsFinalizeKernel(plan, momentum, eps), {
        part: part.binding,
        runningMean: bufferOf(OP, runningMean),
        runningVar: bufferOf(OP, runningVar),
        stats: stats.binding,
      });
      part.dispose();
    } else {
      dispatch(bnEvalStatsKernel(L, eps), { runningMean: bufferOf(OP, runningMean), runningVar: bufferOf(OP, runningVar), stats: stats.binding });
    }
    dispatch(bnApplyKernel(plan, swish), { x: xb, stats: stats.binding, gamma: bufferOf(OP, gamma), beta: bufferOf(OP, beta), y: y.binding });
  }
  // The statistics of this forward pass are saved, not the running stats: those move on.
  record(OP, [x, gamma, beta], y, (gy, [xs, ss, gs, bs]) => bnBackward(xs, ss, gs, bs, gy, training, swish), [x, stats, gamma, beta]);
  stats.dispose();
  return y;
}

function bnBackward(x: Tensor, stats: Tensor, gamma: Tensor, beta: Tensor, gy: Tensor, training: boolean, swish: boolean): Tensor[] {
  const C = gamma.shape[0];
  const M = x.size / C;
  const L = channelLayout(C);
  const plan = bnPlan(M, L, bnTargetThreads());
  const dx = empty(x.shape);
  const dgamma = empty([C]);
  const dbeta = empty([C]);
  if (x.size === 0) return [dx, dgamma, dbeta];
  const part = empty([plan.P, 2, C]);
  const bufs: Record<string, GPUBufferBinding> = {
    x: x.binding,
    dy: bufferOf(`${OP} backward`, gy),
    stats: stats.binding,
    gamma: gamma.binding,
    beta: beta.binding,
    part: part.binding,
    dgamma: dgamma.binding,
    dbeta: dbeta.binding,
    dx: dx.binding,
  };
  dispatch(bnGradPartialKernel(plan, swish), bufs);
  dispatch(bnGradFinalizeKernel(plan), bufs);
  dispatch(bnGradInputKernel(plan, swish, training), bufs);
  part.dispose();
  return [dx, dgamma, dbeta];
}
