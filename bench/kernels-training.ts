// The training kernels besides convolution (batchnorm, pooling, squeeze-excite, dropout,
// BCE, optimizers) on the shapes EfficientNet-B0 runs at batch 16 and 128x128 input:
// time per call, effective GB/s over the bytes the op must move at least, and that as a
// fraction of the copy bandwidth measured in the same run.
import * as E from '../engine/index.js';
import { efficientNetConfig, efficientNetParameters } from '../models/efficientnet-config.js';
import type { BenchRow } from './report.js';
import { option } from './args.js';

export interface TrainingCase {
  kernel: string;
  shape: string;
  /** bytes read + written at least, per call */
  bytes: number;
  /** builds inputs once; `run` is timed; `dispose` frees what setup made */
  setup: () => { run: () => void; dispose: () => void };
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const F = 4;

function randomTensor(shape: number[], seed: number, scale = 1): E.Tensor {
  const rng = new E.Rng(seed);
  const v = new Float32Array(prod(shape));
  for (let i = 0; i < v.length; i++) v[i] = (rng.next() * 2 - 1) * scale;
  return E.tensor(v, shape);
}

function leaf(shape: number[], seed: number, scale = 1): E.Tensor {
  const t = randomTensor(shape, seed, scale);
  t.requiresGrad = true;
  return t;
}

/** Backward alone: the graph is built once and kept; each call sweeps it again. */
function backwardOnly(make: () => { y: E.Tensor; leaves: E.Tensor[] }): { run: () => void; dispose: () => void } {
  const { y, leaves } = make();
  const dy = randomTensor([...y.shape], 99);
  return {
    run: () => {
      E.backward(y, { grad: dy, retainGraph: true });
      for (const l of leaves) {
        l.grad?.dispose();
        l.grad = null;
      }
    },
    dispose: () => [y, dy, ...leaves].forEach((t) => t.dispose()),
  };
}

function bnCases(shape: number[], swish: boolean): TrainingCase[] {
  const C = shape[3];
  const n = prod(shape);
  const tag = swish ? 'batchNorm2d+swish' : 'batchNorm2d';
  const make = () => {
    const x = leaf(shape, 1);
    const [g, b] = [leaf([C], 2), leaf([C], 3)];
    const [rm, rv] = [E.zeros([C]), E.ones([C])];
    return { x, g, b, rm, rv };
  };
  return [
    {
      kernel: `${tag} train fwd`,
      shape: shape.join('x'),
      bytes: 3 * n * F,
      setup: () => {
        const t = make();
        return {
          run: () => E.noGrad(() => E.batchNorm2d(t.x, t.g, t.b, t.rm, t.rv, { training: true, swish })).dispose(),
          dispose: () => Object.values(t).forEach((v) => v.dispose()),
        };
      },
    },
    {
      kernel: `${tag} train bwd`,
      shape: shape.join('x'),
      bytes: 5 * n * F,
      setup: () =>
        backwardOnly(() => {
          const t = make();
          const y = E.batchNorm2d(t.x, t.g, t.b, t.rm, t.rv, { training: true, swish });
          t.rm.dispose();
          t.rv.dispose();
          return { y, leaves: [t.x, t.g, t.b] };
        }),
    },
  ];
}

function seCases(shape: number[], S: number): TrainingCase[] {
  const C = shape[3];
  const n = prod(shape);
  const make = () => [leaf(shape, 1), leaf([C, S], 2, 0.1), leaf([S], 3), leaf([S, C], 4, 0.1), leaf([C], 5)];
  return [
    {
      kernel: 'globalAvgPool fwd',
      shape: shape.join('x'),
      bytes: n * F,
      setup: () => {
        const x = randomTensor(shape, 1);
        return { run: () => E.globalAvgPool(x).dispose(), dispose: () => x.dispose() };
      },
    },
    {
      kernel: 'squeezeExcite fwd',
      shape: `${shape.join('x')} s${S}`,
      bytes: 3 * n * F,
      setup: () => {
        const p = make();
        return {
          run: () => E.noGrad(() => E.squeezeExcite(p[0], p[1], p[2], p[3], p[4])).dispose(),
          dispose: () => p.forEach((t) => t.dispose()),
        };
      },
    },
    {
      kernel: 'squeezeExcite bwd',
      shape: `${shape.join('x')} s${S}`,
      bytes: 5 * n * F,
      setup: () =>
        backwardOnly(() => {
          const p = make();
          return { y: E.squeezeExcite(p[0], p[1], p[2], p[3], p[4]), leaves: p };
        }),
    },
  ];
}

function elementwiseCases(): TrainingCase[] {
  const sc = [16, 16, 16, 40];
  const head = [16, 1280];
  return [
    {
      kernel: 'dropConnect fwd',
      shape: sc.join('x'),
      bytes: 2 * prod(sc) * F,
      setup: () => {
        const x = randomTensor(sc, 1);
        const rng = new E.Rng(1);
        return { run: () => E.noGrad(() => E.dropConnect(x, 0.2, rng)).dispose(), dispose: () => x.dispose() };
      },
    },
    {
      kernel: 'dropout fwd',
      shape: head.join('x'),
      bytes: 2 * prod(head) * F,
      setup: () => {
        const x = randomTensor(head, 1);
        const rng = new E.Rng(1);
        return { run: () => E.noGrad(() => E.dropout(x, 0.2, rng)).dispose(), dispose: () => x.dispose() };
      },
    },
    {
      kernel: 'bceWithLogits fwd+grad',
      shape: '16x19',
      bytes: 4 * 16 * 19 * F,
      setup: () => {
        const x = leaf([16, 19], 1, 5);
        const y = randomTensor([16, 19], 2);
        return { run: () => E.bceWithLogits(x, y).dispose(), dispose: () => [x, y].forEach((t) => t.dispose()) };
      },
    },
  ];
}

/** EfficientNet-B0's trainable tensors (1000-class head, 5.29M values), each with a gradient. */
function b0Params(): E.Tensor[] {
  const specs = efficientNetParameters(efficientNetConfig('b0', { numClasses: 1000 })).filter((s) => s.trainable);
  return specs.map((s, i) => {
    const p = randomTensor(s.shape, i, 0.1);
    p.requiresGrad = true;
    p.grad = randomTensor(s.shape, i + 1000, 0.01);
    return p;
  });
}

function optimizerCases(): TrainingCase[] {
  const count = efficientNetParameters(efficientNetConfig('b0', { numClasses: 1000 })).filter((s) => s.trainable).length;
  const opt = (kernel: string, bytesPer: number, make: (ps: E.Tensor[]) => { step: () => void; dispose?: () => void }, flat: boolean): TrainingCase => ({
    kernel,
    shape: flat ? '1 tensor, 5288548' : `B0: ${count} tensors, 5288548`,
    bytes: bytesPer * 5288548 * F,
    setup: () => {
      let ps: E.Tensor[];
      if (flat) {
        const p = randomTensor([5288548], 1, 0.1);
        p.requiresGrad = true;
        p.grad = randomTensor([5288548], 2, 0.01);
        ps = [p];
      } else ps = b0Params();
      const o = make(ps);
      return { run: o.step, dispose: () => (o.dispose?.(), ps.forEach((p) => p.dispose())) };
    },
  });
  // Default: the multi-tensor path (flat buffers, one dispatch); `perTensor`: one kernel per tensor.
  const adamw = (perTensor: boolean) => (ps: E.Tensor[]) => {
    const o = new E.AdamW(ps, { lr: 1e-3, flat: !perTensor });
    return { step: () => o.step(), dispose: () => o.dispose() };
  };
  const sgd = (perTensor: boolean) => (ps: E.Tensor[]) => {
    const o = new E.SGD(ps, { lr: 1e-2, momentum: 0.9, flat: !perTensor });
    return { step: () => o.step(), dispose: () => o.dispose() };
  };
  // Clipping and the guard take the flat path for the parameters of a flat optimizer.
  const clip = (perTensor: boolean) => (ps: E.Tensor[]) => {
    const o = new E.SGD(ps, { lr: 0, flat: !perTensor });
    return { step: () => E.clipGradNorm(ps, 1e9).dispose(), dispose: () => o.dispose() };
  };
  // The training step's non-finite guard: reads every gradient once; the guarded AdamW
  // also reads its flag (the update itself is unchanged while the flag is 1).
  const guard = (perTensor: boolean) => (ps: E.Tensor[]) => {
    const o = new E.SGD(ps, { lr: 0, flat: !perTensor });
    const g = new E.StepGuard();
    const loss = randomTensor([1], 3);
    return { step: () => g.check(loss, ps), dispose: () => (g.dispose(), loss.dispose(), o.dispose()) };
  };
  const guardedAdamw = (ps: E.Tensor[]) => {
    const o = new E.AdamW(ps, { lr: 1e-3 });
    const g = new E.StepGuard();
    return { step: () => o.step(g.flag), dispose: () => (o.dispose(), g.dispose()) };
  };
  // The guarded step's BN running statistics: the commit copies the shadow over them while
  // the guard's flag is 1 (read shadow, write running), one dispatch over all of B0's layers.
  const runningSpecs = efficientNetParameters(efficientNetConfig('b0', { numClasses: 1000 })).filter((s) => !s.trainable);
  const runningCount = runningSpecs.reduce((a, s) => a + prod(s.shape), 0);
  const bnCommit: TrainingCase = {
    kernel: 'bnRunningCommit',
    shape: `B0: ${runningSpecs.length} tensors, ${runningCount}`,
    bytes: 2 * runningCount * F,
    setup: () => {
      const ts = runningSpecs.map((s, i) => randomTensor(s.shape, i));
      const guarded = E.GuardedRunningStats.over(ts);
      const g = new E.StepGuard();
      return { run: () => guarded.commit(g.flag), dispose: () => (guarded.dispose(), g.dispose(), ts.forEach((t) => t.dispose())) };
    },
  };
  return [
    bnCommit,
    opt('AdamW step', 7, adamw(false), true),
    opt('AdamW step', 7, adamw(false), false),
    opt('AdamW step, per tensor', 7, adamw(true), false),
    opt('AdamW step, guarded', 7, guardedAdamw, false),
    opt('stepGuard check', 1, guard(false), false),
    opt('stepGuard check, per tensor', 1, guard(true), false),
    opt('SGD momentum step', 5, sgd(false), false),
    opt('SGD momentum step, per tensor', 5, sgd(true), false),
    opt('clipGradNorm', 3, clip(false), false),
    opt('clipGradNorm, per tensor', 3, clip(true), false),
  ];
}

/** Every case, for bench/kernels.ts to list beside the convolutions. */
export function trainingKernelCases(): TrainingCase[] {
  return [
    ...bnCases([16, 64, 64, 32], false),
    ...bnCases([16, 64, 64, 32], true),
    ...bnCases([16, 32, 32, 144], true),
    ...bnCases([16, 8, 8, 1152], true),
    ...bnCases([16, 4, 4, 1152], true),
    ...seCases([16, 16, 16, 240], 10),
    ...seCases([16, 64, 64, 32], 8),
    ...elementwiseCases(),
    ...optimizerCases(),
  ];
}

/** Mean milliseconds per call: one warm-up call (pipeline compiles), then calls until `budgetMs`. */
export async function timeCall(run: () => void, budgetMs: number, minReps = 3): Promise<number> {
  const rt = E.runtime();
  run();
  await rt.sync();
  let reps = 0;
  const t0 = performance.now();
  while (reps < minReps || performance.now() - t0 < budgetMs) {
    run();
    reps++;
    if (reps % 4 === 0) await rt.sync();
  }
  await rt.sync();
  return (performance.now() - t0) / reps;
}

/** Copy bandwidth of this device in GB/s (read + write), the reference for memory-bound kernels. */
export async function copyBandwidth(budgetMs: number): Promise<number> {
  const n = 1 << 24;
  const x = E.zeros([n]);
  const ms = await timeCall(() => E.clone(x).dispose(), budgetMs);
  x.dispose();
  return (2 * n * F) / (ms * 1e6);
}

export async function trainingKernelsBench(args: string[]): Promise<BenchRow[]> {
  await E.initEngine();
  const budget = args.includes('--quick') ? 50 : 400;
  const only = option(args, 'only');
  const peak = await copyBandwidth(budget);
  const rows: BenchRow[] = [{ kernel: 'copy (reference)', shape: '16M floats', ms: (2 * (1 << 24) * F) / (peak * 1e6), 'GB/s': peak, '% copy': 100 }];
  for (const c of trainingKernelCases()) {
    if (only && !c.kernel.includes(only)) continue;
    const { run, dispose } = c.setup();
    const ms = await timeCall(() => E.tidy(run), budget);
    dispose();
    const gbs = c.bytes / (ms * 1e6);
    rows.push({ kernel: c.kernel, shape: c.shape, ms, 'GB/s': gbs, '% copy': (100 * gbs) / peak });
  }
  E.shutdownEngine();
  return rows;
}
