// Every training kernel on the shapes EfficientNet-B0 runs at batch 16 and 128x128 input:
// time per call (many calls recorded into one encoder, then a sync), GFLOP/s and GB/s over
// the FLOPs and bytes the op needs at least, and those as fractions of this device's
// measured peaks from the same run: engine matmul at 1024^3 and a 64 MiB buffer copy.
// '% roofline' compares the time with the least this device allows for that call, the larger
// of bytes / copy bandwidth and FLOPs / matmul peak: depthwise k3 needs 2.25 FLOP a byte and
// k5 6.25, so on a CPU adapter (lavapipe: ~30 GFLOP/s, ~28 GB/s) its floor is the FMA rate
// and 40% of the copy bandwidth is out of reach whatever the kernel does.
// HPA_DEPTHWISE=<blocks> (engine/ops/depthwise-conv2d.ts) benches that variant; its rows say so.
// `npm run bench -- kernels [--json] [--quick] [--only=<substring of the kernel name>]`
import * as E from '../engine/index.js';
import { efficientNetConfig } from '../models/efficientnet-config.js';
import { copyBandwidth, timeCall, trainingKernelCases, type TrainingCase } from './kernels-training.js';
import type { BenchRow } from './report.js';
import { option } from './args.js';

/** A training case that may also count FLOPs (then it is compared with the matmul peak too). */
export interface KernelCase extends TrainingCase {
  flops?: number;
}

const BATCH = 16;
const INPUT = 128;
const F = 4;
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function randomTensor(shape: number[], seed: number, requiresGrad = false): E.Tensor {
  const rng = new E.Rng(seed);
  const v = new Float32Array(prod(shape));
  for (let i = 0; i < v.length; i++) v[i] = rng.next() * 2 - 1;
  const t = E.tensor(v, shape);
  t.requiresGrad = requiresGrad;
  return t;
}

type Pass = 'fwd' | 'bwd' | 'bwd dx' | 'bwd dw';

interface ConvSpec {
  kernel: string;
  shape: string;
  x: number[];
  w: number[];
  y: number[];
  /** multiply-adds per call of the forward */
  macs: number;
  /** the op; x and w are the inputs */
  op: (x: E.Tensor, w: E.Tensor) => E.Tensor;
  passes: Pass[];
}

/**
 * One row per pass. 'bwd dx' / 'bwd dw' mark only that input as requiring grad, so the
 * op's backward launches only that kernel (plus the tape's copy of the seed gradient).
 */
function convCases(s: ConvSpec): KernelCase[] {
  const [nx, nw, ny] = [prod(s.x), prod(s.w), prod(s.y)];
  return s.passes.map((pass) => {
    const flops = 2 * s.macs * (pass === 'fwd' ? 1 : pass === 'bwd' ? 2 : 1);
    const bytes = F * (pass === 'fwd' ? nx + nw + ny : pass === 'bwd dx' ? ny + nw + nx : pass === 'bwd dw' ? nx + ny + nw : 2 * (nx + ny + nw));
    const setup = (): { run: () => void; dispose: () => void } => {
      const x = randomTensor(s.x, 1, pass === 'bwd' || pass === 'bwd dx');
      const w = randomTensor(s.w, 2, pass === 'bwd' || pass === 'bwd dw');
      if (pass === 'fwd') {
        return { run: () => E.noGrad(() => s.op(x, w)).dispose(), dispose: () => [x, w].forEach((t) => t.dispose()) };
      }
      const y = s.op(x, w);
      const dy = randomTensor(s.y, 3);
      return {
        run: () => {
          E.backward(y, { grad: dy, retainGraph: true });
          for (const t of [x, w]) {
            t.grad?.dispose();
            t.grad = null;
          }
        },
        dispose: () => [x, w, y, dy].forEach((t) => t.dispose()),
      };
    };
    return { kernel: `${s.kernel} ${pass}`, shape: s.shape, flops, bytes, setup };
  });
}

/** The stem, every distinct depthwise and pointwise conv of B0 at 128x128, in network order. */
function efficientNetConvCases(): KernelCase[] {
  const cfg = efficientNetConfig('b0');
  const specs = new Map<string, ConvSpec>();
  const add = (s: ConvSpec) => specs.has(`${s.kernel} ${s.shape}`) || specs.set(`${s.kernel} ${s.shape}`, s);
  let H = Math.ceil(INPUT / cfg.stemStride);
  for (const cin of [3, 4]) {
    // 3 channels for ImageNet weights, 4 (RGBY) for HPA
    add({
      kernel: 'conv2d stem',
      shape: `k3 s2 ${INPUT}x${INPUT}x${cin} -> ${H}x${H}x${cfg.stemChannels}`,
      x: [BATCH, INPUT, INPUT, cin],
      w: [3, 3, cin, cfg.stemChannels],
      y: [BATCH, H, H, cfg.stemChannels],
      macs: BATCH * H * H * cfg.stemChannels * 9 * cin,
      op: (x, w) => E.conv2d(x, w, { stride: 2, padding: 1 }),
      // the stem's input is the image: no input gradient in training
      passes: ['fwd', 'bwd dw'],
    });
  }
  const pointwise = (h: number, cin: number, cout: number) =>
    add({
      kernel: 'conv2d 1x1',
      shape: `${h}x${h}x${cin} -> ${cout}`,
      x: [BATCH, h, h, cin],
      w: [1, 1, cin, cout],
      y: [BATCH, h, h, cout],
      macs: BATCH * h * h * cin * cout,
      op: (x, w) => E.conv2d(x, w),
      passes: ['fwd', 'bwd'],
    });
  for (const b of cfg.blocks) {
    if (b.expandRatio !== 1) pointwise(H, b.inChannels, b.expandedChannels);
    const C = b.expandedChannels;
    const k = b.kernel;
    const OH = Math.ceil(H / b.stride);
    add({
      kernel: 'depthwiseConv2d',
      shape: `k${k} s${b.stride} ${H}x${H}x${C}`,
      x: [BATCH, H, H, C],
      w: [k, k, C],
      y: [BATCH, OH, OH, C],
      macs: BATCH * OH * OH * C * k * k,
      op: (x, w) => E.depthwiseConv2d(x, w, { stride: b.stride, padding: (k - 1) / 2 }),
      passes: ['fwd', 'bwd dx', 'bwd dw'],
    });
    H = OH;
    pointwise(H, C, b.outChannels);
  }
  pointwise(H, cfg.blocks[cfg.blocks.length - 1].outChannels, cfg.headChannels);
  return [...specs.values()].flatMap(convCases);
}

/** Groups of cases, in the order the table lists them; add a line for a new group. */
const CASE_GROUPS: (() => KernelCase[])[] = [efficientNetConvCases, trainingKernelCases];

/** GFLOP/s of the engine's matmul at 1024^3: the compute peak the table is measured against. */
export async function matmulPeak(budgetMs: number): Promise<{ ms: number; gflops: number }> {
  const [a, b] = [randomTensor([1024, 1024], 1), randomTensor([1024, 1024], 2)];
  const ms = await timeCall(() => E.matmul(a, b).dispose(), budgetMs);
  a.dispose();
  b.dispose();
  return { ms, gflops: (2 * 1024 ** 3) / (ms * 1e6) };
}

export async function kernelsBench(args: string[]): Promise<BenchRow[]> {
  await E.initEngine();
  const budget = args.includes('--quick') ? 50 : 400;
  const only = option(args, 'only');
  const mm = await matmulPeak(budget);
  const bw = await copyBandwidth(budget);
  const rows: BenchRow[] = [
    { kernel: 'matmul (compute peak)', shape: '1024^3', ms: mm.ms, 'GFLOP/s': mm.gflops, '% matmul': 100, '% roofline': 100 },
    { kernel: 'copy (bandwidth peak)', shape: '64 MiB', ms: (2 * (1 << 24) * F) / (bw * 1e6), 'GB/s': bw, '% copy': 100, '% roofline': 100 },
  ];
  for (const c of CASE_GROUPS.flatMap((g) => g())) {
    if (only && !c.kernel.includes(only)) continue;
    const { run, dispose } = c.setup();
    const ms = await timeCall(() => E.tidy(run), budget);
    // Dispatches one call records: the host cost per step scales with it (optimizers: one per tensor today).
    const before = E.runtime().stats.dispatches;
    E.tidy(run);
    const dispatches = E.runtime().stats.dispatches - before;
    await E.runtime().sync();
    dispose();
    const gbs = c.bytes / (ms * 1e6);
    const variant = c.kernel.startsWith('depthwiseConv2d') && process.env.HPA_DEPTHWISE ? ` [HPA_DEPTHWISE=${process.env.HPA_DEPTHWISE}]` : '';
    const row: BenchRow = { kernel: c.kernel + variant, shape: c.shape, ms, dispatches };
    let floorMs = c.bytes / (bw * 1e6);
    if (c.flops) {
      const gflops = c.flops / (ms * 1e6);
      row['GFLOP/s'] = gflops;
      row['% matmul'] = (100 * gflops) / mm.gflops;
      floorMs = Math.max(floorMs, c.flops / (mm.gflops * 1e6));
    }
    row['GB/s'] = gbs;
    row['% copy'] = (100 * gbs) / bw;
    row['% roofline'] = (100 * floorMs) / ms;
    rows.push(row);
  }
  E.shutdownEngine();
  return rows;
}
