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
  bnRunningCommitKernel,
  bnStatsFinalizeKernel,
  bnStatsPartialKernel,
} from '../../kernels/batch-norm2d.js';
import { bufferOf } from './launch.js';
import { keep } from '../scope.js';
import { FlatBuffer, flatLayout } from '../flat-buffer.js';

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
        runningMean: bufferOf(OP, guarded ? guarded.shadow(runningMean) : runningMean),
        runningVar: bufferOf(OP, guarded ? guarded.shadow(runningVar) : runningVar),
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

/** The guard whose track() is running: training-mode BN updates its shadows instead. */
let guarded: GuardedRunningStats | null = null;

/** Which GuardedRunningStats holds each running-statistics tensor (one per set, shared by the steps over one model). */
const holders = new WeakMap<Tensor, GuardedRunningStats>();

/**
 * BN running statistics that a guarded training step (pipeline/train/steps.ts) updates only
 * when its step guard (engine/optim/step-guard.ts) passes, like the weights: a step with a
 * non-finite loss or gradient norm leaves them as they were. The statistics move into one
 * flat buffer (each tensor a view of its segment, so checkpoints, eval and names are as
 * before) with a shadow of the same layout. track() copies them into the shadow (one copy)
 * and runs the forward pass with every training-mode BN updating its shadow segment, with
 * the same kernel and so the same bits as in place; commit(flag) then writes the shadow
 * back where the flag is 1 (one dispatch). Two commands a step, whatever the layer count.
 */
export class GuardedRunningStats {
  private readonly running: FlatBuffer;
  private readonly shadowBuf: FlatBuffer;
  private readonly shadows = new Map<Tensor, Tensor>();
  private refs = 1;
  private released = false;

  private constructor(readonly tensors: readonly Tensor[]) {
    const layout = flatLayout(tensors.map((t) => t.size));
    this.running = new FlatBuffer(layout, 'BN running statistics');
    this.shadowBuf = new FlatBuffer(layout, 'BN running statistics (shadow)');
    const rt = runtime();
    tensors.forEach((t, i) => {
      if (t.size) rt.copy(t.buffer, t.offset, this.running.buffer, layout.offsets[i] * 4, t.size * 4);
      t.relocate(this.running.storage(i));
      holders.set(t, this);
      this.shadows.set(t, keep(this.shadowBuf.view(i, t.shape)));
    });
  }

  /**
   * The guard over exactly `tensors` (a model's running means and variances): the live one
   * when another step over the same model made it (counted: each dispose() lets go of one),
   * else a new one that moves them into its flat buffer.
   */
  static over(tensors: readonly Tensor[]): GuardedRunningStats {
    const g = tensors.length ? holders.get(tensors[0]) : undefined;
    if (g && g.intact() && g.tensors.length === tensors.length && tensors.every((t, i) => g.tensors[i] === t)) {
      g.refs++;
      return g;
    }
    if (new Set(tensors).size !== tensors.length) throw new Error(`${OP}: a running-statistics tensor is listed twice`);
    for (const t of tensors) {
      if (t.requiresGrad) throw new Error(`${OP}: ${t.describe()} requires grad; running statistics do not`);
      // A view of the old storage would keep reading it after the move.
      if (t.disposed || t.storage.refs !== 1) throw new Error(`${OP}: running statistics ${t.describe()} ${t.disposed ? 'were disposed' : 'have views'}; they cannot move into a flat buffer`);
    }
    return new GuardedRunningStats(tensors);
  }

  /** Every tensor still lives at its segment (none relocated elsewhere or disposed since). */
  intact(): boolean {
    if (this.released) return false;
    const offsets = this.running.layout.offsets;
    for (let i = 0; i < this.tensors.length; i++) {
      const t = this.tensors[i];
      if (t.disposed || t.buffer !== this.running.buffer || t.offset !== offsets[i] * 4) return false;
    }
    return true;
  }

  /** The shadow a training-mode BN updates for `t` while track() runs. */
  shadow(t: Tensor): Tensor {
    const s = this.shadows.get(t);
    if (!s) throw new Error(`${OP}: running statistics ${t.describe()} are not among the ${this.tensors.length} this step guards`);
    return s;
  }

  /** Runs `fn` (a training forward pass) with its BN running-stat updates going to the shadow. */
  track<T>(fn: () => T): T {
    if (guarded) throw new Error(`${OP}: running statistics are guarded twice at once`);
    if (!this.intact()) throw new Error(`${OP}: the guarded running statistics moved since the guard was made (another step over the model?)`);
    runtime().copy(this.running.buffer, 0, this.shadowBuf.buffer, 0, this.running.layout.total * 4);
    guarded = this;
    try {
      return fn();
    } finally {
      guarded = null;
    }
  }

  /** Writes the shadow back into the running statistics where `flag` (StepGuard.flag) is 1. */
  commit(flag: Tensor): void {
    runtime().dispatch(bnRunningCommitKernel(this.running.layout.total), [this.running.binding, this.shadowBuf.binding, flag.binding]);
  }

  /** Lets go of one hold; the last releases the shadow (the tensors keep the flat buffer alive while they live). */
  dispose(): void {
    if (this.released || --this.refs > 0) return;
    this.released = true;
    for (const s of this.shadows.values()) s.dispose();
    this.shadows.clear();
    for (const t of this.tensors) if (holders.get(t) === this) holders.delete(t);
    this.running.release();
    this.shadowBuf.release();
  }
}
