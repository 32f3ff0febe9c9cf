// EfficientNet-B0 end to end (issue 4): eval forward and full training step (forward, BCE,
// backward, Adam) in images/s, and the most GPU memory the buffer pool held meanwhile.
// `npm run bench -- model [--json] [--quick] [--steps=3] [--shapes=b16x128,b8x224] [--no-peer] [--profile]`
// --quick runs only batch 16 at 128x128, the shape the issue compares with its peer.
// Each pass gets one untimed warm-up step (the first creates the pipelines: 'pipelines
// warm-up/timed'; their cold and warm compile seconds per shape are `bench -- compile`'s,
// bench/compile.ts), then --steps timed steps, each ending in a read of its result as a real
// loop would. The peers (tfjs-webgpu train + eval, tfjs-wasm on 2 threads eval; peer-model.ts)
// are measured live at the same shapes, first, in child processes; --no-peer skips them.
// Each row gives the min / median / max step besides the mean: one slow step hides in a mean.
// Each pass runs twice: eager (every op's JS, tape and bind group each step) and compiled
// (pipeline/train/steps.ts: captured on the 2nd call, replayed from the 3rd; both untimed),
// with the CPU time of the JS thread per step (the host's work, apart from lavapipe's threads), dispatches per
// step, bind groups and buffers created per timed step, and the captured program's planned
// intermediates beside the pool's peak. Under HPA_BACKEND=null (no GPU work; the null
// device refuses large buffers, so use --shapes=b2x128) it is the host's floor.
// --soak=N runs only N compiled training steps at the first shape and fails if any buffer
// or bind group is created after the capture (e.g. HPA_BACKEND=null ... --shapes=b2x128 --soak=1000).
// --profile adds, per shape, the GPU-time profile of one eval forward and one training step (bench/profile.ts)
// against the matmul and copy peaks measured in the same run.
import { readFileSync } from 'node:fs';
import * as E from '../engine/index.js';
import { EfficientNet } from '../models/efficientnet.js';
import { efficientNetConfig } from '../models/efficientnet-config.js';
import { measureModelPeers, peerColumns, peerRows } from './peer-model.js';
import type { PeerResult } from './peer-tfjs.js';
import { printRows, type BenchRow } from './report.js';
import { profileStep, type Peaks } from './profile.js';
import { matmulPeak } from './kernels.js';
import { copyBandwidth } from './kernels-training.js';
import { EvalForward, TrainStep } from '../pipeline/train/steps.js';
import type { Program } from '../engine/capture.js';
import { option } from './args.js';

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
  /** per timed step: the JS thread's CPU ms, dispatches, bind groups and buffers created */
  hostMs: number;
  dispatches: number;
  bindGroups: number;
  buffers: number;
}

/**
 * CPU time of the main (JS) thread alone, in ms, from Linux's per-thread counters (10 ms
 * ticks): process.cpuUsage() would add lavapipe's and Dawn's threads, and the event loop
 * never looks idle while Dawn polls. NaN where /proc is missing.
 */
function jsThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ 100
  } catch {
    return NaN;
  }
}

async function timeSteps(step: () => Promise<void>, steps: number, warmup = 1): Promise<Timing> {
  const rt = E.runtime();
  const stats = rt.stats;
  const tuner = rt.tuner.stats;
  const tune0 = { n: tuner.tuned, ms: tuner.ms };
  const p0 = stats.pipelines;
  let t0 = performance.now();
  for (let i = 0; i < warmup; i++) await step();
  const warmupS = (performance.now() - t0) / 1000;
  const p1 = stats.pipelines;
  // Buffers: the pool's and the read-back staging buffers, both counted after the capture.
  const c0 = { d: stats.dispatches, b: stats.bindGroups, n: rt.pool.created + stats.stagingBuffers };
  const js0 = jsThreadCpuMs();
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
  return {
    warmupS,
    msPerStep: wallMs / steps,
    stepMs,
    cpuUtil: (cpu.user + cpu.system) / 1000 / wallMs,
    compiled: [p1 - p0, stats.pipelines - p1],
    tuned: tuner.tuned - tune0.n,
    tuneS: (tuner.ms - tune0.ms) / 1000,
    hostMs: (jsThreadCpuMs() - js0) / steps,
    dispatches: (stats.dispatches - c0.d) / steps,
    bindGroups: (stats.bindGroups - c0.b) / steps,
    buffers: (rt.pool.created + stats.stagingBuffers - c0.n) / steps,
  };
}

/** Frees idle buffers and restarts the peak, so each pass reports its own high-water mark. */
async function resetPoolPeak(): Promise<void> {
  const rt = E.runtime();
  // Submit first: an eager step's optimizer update may still be recorded but unsubmitted,
  // and a destroyed buffer in it would fail the next submit.
  rt.flush();
  const pool = rt.pool;
  pool.trim();
  pool.peakBytesHeld = pool.bytesHeld;
  await rt.sync(); // destroyed buffers are freed once the queue has passed them (the null device counts its memory)
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

function row(pass: string, mode: 'train' | 'infer', s: Shape, t: Timing, peers: PeerResult[], program?: Program): BenchRow {
  const imagesPerS = (s.batch * 1000) / t.msPerStep;
  const m = program?.memory;
  return {
    pass,
    path: program ? 'compiled' : 'eager',
    batch: s.batch,
    input: `${s.size}x${s.size}x3`,
    'warm-up s': t.warmupS,
    'pipelines warm-up/timed': t.compiled.join('/'),
    'tuned shapes': t.tuned,
    'tune s': t.tuneS,
    'ms/step': t.msPerStep,
    'min/median/max ms': spread(t.stepMs),
    'images/s': imagesPerS,
    'JS thread CPU ms/step': t.hostMs,
    'dispatches/step': t.dispatches,
    'bind groups/step': t.bindGroups,
    'buffers/step': t.buffers,
    'peak pool MiB': E.runtime().pool.peakBytesHeld / MIB,
    // A multi-tensor optimizer's parameters, gradients and moments live outside the pool.
    'flat buffers MiB': E.flatBufferBytes() / MIB,
    // The program's intermediates placed by liveness, against one pool buffer each.
    'planned / unplanned MiB': m ? `${(m.planned / MIB).toFixed(0)} / ${(m.unplanned / MIB).toFixed(0)}` : '',
    'program MiB (planned+outputs+state)': m ? (m.planned + m.escaping + m.external) / MIB : '',
    // What the process holds once the step runs from its program: the pool (outputs,
    // whatever eager work holds), the flat buffers (parameters, gradients, optimizer state)
    // plus the planned intermediates.
    'held after capture MiB': m ? (E.runtime().pool.bytesHeld + E.flatBufferBytes() + m.planned) / MIB : '',
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
  const xs = await x.data();
  const ys = await y.data();
  let eagerEvalMs: number[] = [];
  for (const eager of [true, false]) {
    const f = new EvalForward(model, { eager });
    await resetPoolPeak();
    const t = await timeSteps(async () => void (await f.logits(xs, x.shape)), steps, eager ? 1 : 2);
    rows.push(row('eval forward', 'infer', s, t, peers, f.program));
    if (eager) eagerEvalMs = t.stepMs;
    f.dispose();
  }
  // Inference has its own mix (no backward; BN applies running statistics), so its own profile.
  const evalStep = async (): Promise<void> => {
    const logits = E.tidy(() => E.noGrad(() => model.forward(x)));
    await logits.data();
    logits.dispose();
  };
  if (peaks) profileRows.push(...(await profileStep(`eval forward b${s.batch}@${s.size}`, evalStep, median(eagerEvalMs), peaks)));

  model.train();
  const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 1e-3 });
  let eagerTrainMs: number[] = [];
  for (const eager of [true, false]) {
    const st = new TrainStep(model, opt, { eager });
    await resetPoolPeak();
    const t = await timeSteps(async () => void (await st.run(xs, x.shape, ys, y.shape)), steps, eager ? 1 : 2);
    rows.push(row('train step (fwd+bwd+Adam)', 'train', s, t, peers, st.program));
    if (eager) eagerTrainMs = t.stepMs;
    st.dispose();
  }
  // The profile times each dispatch of an eager step (a replay has no per-op hook).
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
  if (peaks) profileRows.push(...(await profileStep(`training step b${s.batch}@${s.size}`, trainStep, median(eagerTrainMs), peaks)));

  opt.dispose();
  for (const t of [x, y]) t.dispose();
  model.dispose();
  return rows;
}

function parseShapes(args: string[]): Shape[] {
  const given = option(args, 'shapes');
  if (given === undefined) return args.includes('--quick') ? SHAPES.slice(0, 1) : SHAPES;
  return given.split(',').map((g) => {
    const m = /^b(\d+)x(\d+)$/.exec(g.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 32) throw new Error(`model bench: --shapes wants e.g. b16x128,b8x224 (batch x size >= 32), got '${g}'`);
    return { batch: Number(m[1]), size: Number(m[2]) };
  });
}

/**
 * --soak=N: N compiled training steps of full B0 at the first shape after the capture;
 * prints min/median/max step time and fails if any buffer or bind group was created
 * after the capture (the steady state a replayed step must keep).
 */
async function soak(s: Shape, n: number): Promise<BenchRow> {
  const model = new EfficientNet(efficientNetConfig('b0', { numClasses: CLASSES }), 1);
  const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: 1e-3 });
  const rng = new E.Rng(3);
  const xs = Float32Array.from({ length: s.batch * s.size * s.size * 3 }, () => rng.next() * 2 - 1);
  const ys = Float32Array.from({ length: s.batch * CLASSES }, () => (rng.next() < 0.2 ? 1 : 0));
  const st = new TrainStep(model, opt, {});
  const t = await timeSteps(async () => void (await st.run(xs, [s.batch, s.size, s.size, 3], ys, [s.batch, CLASSES])), n, 2);
  const counts = st.counts;
  st.dispose();
  opt.dispose();
  model.dispose();
  if (t.buffers || t.bindGroups || counts?.captures !== 1) {
    throw new Error(`model bench --soak: after the capture, ${t.buffers * n} buffers and ${t.bindGroups * n} bind groups were created in ${n} steps (captures: ${counts?.captures})`);
  }
  return { pass: `soak: ${n} compiled train steps`, batch: s.batch, input: `${s.size}x${s.size}x3`, 'min/median/max ms': spread(t.stepMs), 'ms/step': t.msPerStep, 'JS thread CPU ms/step': t.hostMs, 'buffers/step': 0, 'bind groups/step': 0 };
}

export async function modelBench(args: string[]): Promise<BenchRow[]> {
  const soakSteps = Number(option(args, 'soak') ?? 0);
  if (!Number.isInteger(soakSteps) || soakSteps < 0) throw new Error(`model bench: --soak must be a step count`);
  const given = option(args, 'steps') ?? '3';
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
    if (soakSteps) {
      rows.push(await soak(shapes[0], soakSteps));
      return rows;
    }
    for (const s of shapes) rows.push(...(await measureShape(s, steps, peers, peaks, profileRows)));
    // its own table: its columns are not the step table's
    if (profileRows.length) printRows('model --profile (GPU time per dispatch, timestamp queries)', profileRows, args.includes('--json'));
    rows.push(...peerRows(peers));
    return rows;
  } finally {
    E.shutdownEngine();
  }
}
