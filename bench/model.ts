// EfficientNet-B0 end to end (issue 4): eval forward and full training step (forward, BCE,
// backward, Adam) in images/s, and the most GPU memory the buffer pool held meanwhile.
// `npm run bench -- model [--json] [--quick] [--steps=3] [--shapes=b16x128,b8x224] [--no-peer] [--profile]`
// --quick runs only batch 16 at 128x128, the shape the issue compares with its peer.
// Each pass gets one untimed warm-up step (the first compiles the pipelines, ~365 for a
// training step), then --steps timed steps, each ending in a read of its result as a real
// loop would. The peers (tfjs-webgpu train + eval, tfjs-wasm on 2 threads eval; peer-model.ts)
// are measured live at the same shapes, first, in child processes; --no-peer skips them.
// Each row gives the min / median / max step besides the mean: one slow step hides in a mean.
// --profile adds, per shape, the GPU-time profile of one training step (bench/profile.ts)
// against the matmul and copy peaks measured in the same run.
import * as E from '../engine/index.js';
import { EfficientNet } from '../models/efficientnet.js';
import { efficientNetConfig } from '../models/efficientnet-config.js';
import { measureModelPeers, peerColumns, peerRows } from './peer-model.js';
import type { PeerResult } from './peer-tfjs.js';
import { printRows, type BenchRow } from './report.js';
import { profileStep, type Peaks } from './profile.js';
import { matmulPeak } from './kernels.js';
import { copyBandwidth } from './kernels-training.js';

const CLASSES = 19;
const MIB = 1 << 20;

interface Shape {
  batch: number;
  size: number;
}

const SHAPES: Shape[] = [
  { batch: 16, size: 128 },
  { batch: 8, size: 224 },
];

interface Timing {
  warmupS: number;
  msPerStep: number;
  /** each timed step's wall time, in order */
  stepMs: number[];
  /** cores the process used while timed; under the core count means the CPU was shared */
  cpuUtil: number;
  /** pipelines compiled by the warm-up step and by the timed steps (which should compile none) */
  compiled: [number, number];
  /** shapes the tuner timed during these steps, and the seconds it took (engine/tuner.ts; part of warmupS) */
  tuned: number;
  tuneS: number;
}

async function timeSteps(step: () => Promise<void>, steps: number): Promise<Timing> {
  const stats = E.runtime().stats;
  const tuner = E.runtime().tuner.stats;
  const tune0 = { n: tuner.tuned, ms: tuner.ms };
  const p0 = stats.pipelines;
  let t0 = performance.now();
  await step();
  const warmupS = (performance.now() - t0) / 1000;
  const p1 = stats.pipelines;
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const s0 = performance.now();
    await step();
    stepMs.push(performance.now() - s0);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { warmupS, msPerStep: wallMs / steps, stepMs, cpuUtil: (cpu.user + cpu.system) / 1000 / wallMs, compiled: [p1 - p0, stats.pipelines - p1], tuned: tuner.tuned - tune0.n, tuneS: (tuner.ms - tune0.ms) / 1000 };
}

/** Frees idle buffers and restarts the peak, so each pass reports its own high-water mark. */
function resetPoolPeak(): void {
  const pool = E.runtime().pool;
  pool.trim();
  pool.peakBytesHeld = pool.bytesHeld;
}

function uniformTensor(shape: number[], rng: E.Rng, map: (u: number) => number): E.Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = map(rng.next());
  return E.tensor(v, shape);
}

function median(ms: number[]): number {
  const s = [...ms].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** 'min / median / max' of the step times. */
function spread(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return [s[0], median(s), s[s.length - 1]].map((v) => v.toFixed(0)).join(' / ');
}

function row(pass: string, mode: 'train' | 'infer', s: Shape, t: Timing, peers: PeerResult[]): BenchRow {
  const imagesPerS = (s.batch * 1000) / t.msPerStep;
  return {
    pass,
    batch: s.batch,
    input: `${s.size}x${s.size}x3`,
    'warm-up s': t.warmupS,
    'pipelines warm-up/timed': t.compiled.join('/'),
    'tuned shapes': t.tuned,
    'tune s': t.tuneS,
    'ms/step': t.msPerStep,
    'min/median/max ms': spread(t.stepMs),
    'images/s': imagesPerS,
    'peak pool MiB': E.runtime().pool.peakBytesHeld / MIB,
    cpu_util: t.cpuUtil,
    ...peerColumns(peers, mode, s, imagesPerS),
  };
}

async function measureShape(s: Shape, steps: number, peers: PeerResult[], peaks: Peaks | null, profileRows: BenchRow[]): Promise<BenchRow[]> {
  const model = new EfficientNet(efficientNetConfig('b0', { numClasses: CLASSES }), 1);
  const rng = new E.Rng(2);
  const x = uniformTensor([s.batch, s.size, s.size, 3], rng, (u) => u * 2 - 1);
  const y = uniformTensor([s.batch, CLASSES], rng, (u) => (u < 0.2 ? 1 : 0));
  const rows: BenchRow[] = [];

  model.eval();
  resetPoolPeak();
  const forward = await timeSteps(async () => {
    const out = E.noGrad(() => model.forward(x));
    await out.data();
    out.dispose();
  }, steps);
  rows.push(row('eval forward', 'infer', s, forward, peers));

  model.train();
  const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 1e-3 });
  resetPoolPeak();
  const trainStep = async (): Promise<void> => {
    const loss = E.tidy(() => {
      const logits = model.forward(x);
      return E.withLayer('loss', () => E.bceWithLogits(logits, y));
    });
    E.backward(loss);
    E.withLayer('optimizer', () => {
      opt.step();
      opt.zeroGrad();
    });
    await loss.item();
    loss.dispose();
  };
  const train = await timeSteps(trainStep, steps);
  rows.push(row('train step (fwd+bwd+Adam)', 'train', s, train, peers));
  if (peaks) profileRows.push(...(await profileStep(`training step b${s.batch}@${s.size}`, trainStep, median(train.stepMs), peaks)));

  opt.dispose();
  for (const t of [x, y]) t.dispose();
  model.dispose();
  return rows;
}

function parseShapes(args: string[]): Shape[] {
  const given = args.find((a) => a.startsWith('--shapes='))?.slice(9);
  if (given === undefined) return args.includes('--quick') ? SHAPES.slice(0, 1) : SHAPES;
  return given.split(',').map((g) => {
    const m = /^b(\d+)x(\d+)$/.exec(g.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 32) throw new Error(`model bench: --shapes wants e.g. b16x128,b8x224 (batch x size >= 32), got '${g}'`);
    return { batch: Number(m[1]), size: Number(m[2]) };
  });
}

export async function modelBench(args: string[]): Promise<BenchRow[]> {
  const given = args.find((a) => a.startsWith('--steps='))?.slice(8) ?? '3';
  const steps = Number(given);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`model bench: --steps must be a positive integer, got '${given}'`);
  const shapes = parseShapes(args);
  // The null backend does no GPU work: a peer that does would make no ratio.
  const peers = args.includes('--no-peer') || process.env.HPA_BACKEND === 'null' ? [] : await measureModelPeers(shapes, steps);
  const rt = await E.initEngine();
  try {
    const rows: BenchRow[] = [{ pass: `EfficientNet-B0, ${CLASSES} classes, adapter: ${rt.ctx.summary.name} (${rt.ctx.summary.backend})` }];
    let peaks: Peaks | null = null;
    if (args.includes('--profile')) {
      peaks = { gflops: (await matmulPeak(400)).gflops, gbs: await copyBandwidth(400) };
    }
    const profileRows: BenchRow[] = [];
    for (const s of shapes) rows.push(...(await measureShape(s, steps, peers, peaks, profileRows)));
    // its own table: its columns are not the step table's
    if (profileRows.length) printRows('model --profile (GPU time per dispatch, timestamp queries)', profileRows, args.includes('--json'));
    rows.push(...peerRows(peers));
    return rows;
  } finally {
    E.shutdownEngine();
  }
}
