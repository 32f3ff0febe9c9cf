import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Kernel } from '../kernels/kernel.js';
import type { AdapterSummary } from './device.js';
import { writeFileAtomic } from './io/atomic-write.js';
import { Rng } from './random.js';

/**
 * Kernel choice by measurement (issue 14). An op that has several kernels for one job (matmul
 * variants and register blockings, depthwise rows per thread, ...) asks `choose` with its
 * candidates, the built-in rule's pick first. The first time a shape is seen on an adapter the
 * rule's pick runs and the shape is queued; at the next host sync point (a read) the queue is
 * tuned: every candidate runs once on random inputs and must agree with the rule's pick (the
 * reference dispatch) or it is struck off for good, then the survivors are timed on the GPU and
 * the fastest is kept in a JSON cache keyed by adapter, driver and shape. Later calls, and
 * later runs, take the winner without timing anything.
 *
 * Cost is bounded per sync point: no new shape is started after HPA_TUNE_BUDGET_MS (default
 * 3000 ms; one shape in progress finishes), and the rest waits for the next sync point; shapes
 * whose rule pick takes under 0.05 ms keep it untried (no candidate can win back its compile).
 *
 * HPA_TUNE=on turns it on; off (the default for now, see tuningEnabled): the built-in rule
 * everywhere, no cache read or written.
 * HPA_CACHE_DIR: the cache folder (default: the user's cache folder, .../hpa-engine).
 */

export interface Candidate {
  /** unique among the request's candidates, stable across runs ('subgroup:16x1', 'basic') */
  name: string;
  /** built only when this candidate runs: the hot path makes one kernel per call, not one per candidate */
  make: () => Kernel;
}

export interface TuneRequest {
  /** 'matmul', 'dwconv:fwd' */
  family: string;
  /** everything the choice depends on except the candidate (dims, layouts) */
  shape: string;
  /** candidates[0] is the built-in rule's pick: the reference and the fallback */
  candidates: readonly Candidate[];
  /** bytes of each buffer the kernels bind, in binding order (uniforms excluded) */
  bindings: readonly number[];
  /** how many of the last bindings the kernel writes (compared against the reference) */
  outputs: number;
  /** relative tolerance of the agreement check (default 1e-3 of the reference's largest magnitude) */
  tol?: number;
}

export interface TuneEntry {
  winner: string;
  /** sha1 of the winner's WGSL when it won: a changed kernel is tuned again, never trusted */
  code: string;
  /** median GPU ms per dispatch of each timed candidate */
  ms: Record<string, number>;
  /** candidates that disagreed with the reference, with their largest error */
  rejected: Record<string, string>;
}

interface CacheFile {
  format: typeof FORMAT;
  adapter: string;
  entries: Record<string, TuneEntry>;
}

const FORMAT = 'hpa-engine-tune-1';
const MIN_REF_MS = 0.05;

/** What the tuner needs of the runtime (engine/runtime.ts's Runtime). */
export interface Tunable {
  readonly device: GPUDevice;
  pipeline(kernel: Kernel): GPUComputePipeline;
  bindGroup(kernel: Kernel, buffers: GPUBuffer[], owned: GPUBuffer[]): GPUBindGroup;
}

/** The user's cache folder for hpa-engine (HPA_CACHE_DIR overrides). */
export function cacheDir(): string {
  const forced = process.env.HPA_CACHE_DIR?.trim();
  if (forced) return forced;
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'hpa-engine', 'cache');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'hpa-engine');
  return join(process.env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache'), 'hpa-engine');
}

/**
 * Off unless HPA_TUNE=on, for now: on lavapipe each candidate is a fresh compile of an unrolled
 * kernel (seconds each on a loaded 2-core machine), so tuning B0's ~100 matmul shapes costs
 * minutes, not the few seconds the issue allows (bench -- model, shared machine: 3 shapes in
 * 26 s cold). The winners are cached, so a tuned machine pays it once.
 */
export function tuningEnabled(): boolean {
  const v = process.env.HPA_TUNE?.trim().toLowerCase();
  if (v === 'on' || v === '1') return true;
  if (v === undefined || v === '' || v === 'off' || v === '0') return false;
  throw new Error(`HPA_TUNE='${process.env.HPA_TUNE}' must be 'on' or 'off'`);
}

function budgetMs(): number {
  const v = process.env.HPA_TUNE_BUDGET_MS?.trim();
  if (!v) return 3000;
  const n = Number(v);
  if (!(n >= 0)) throw new Error(`HPA_TUNE_BUDGET_MS='${v}' must be a number of milliseconds >= 0`);
  return n;
}

/** Adapter and driver: a cache tuned on one GPU or driver version is never read on another. */
export function adapterKey(s: AdapterSummary): string {
  return [s.backend, s.vendor, s.architecture, s.name, s.description, s.featureLevel].join(' | ');
}

const sha1 = (code: string) => createHash('sha1').update(code).digest('hex').slice(0, 16);

export interface TuneReport {
  tuned: number;
  /** still queued (the budget ran out) */
  left: number;
  ms: number;
}

export class Tuner {
  readonly file: string;
  private entries: Record<string, TuneEntry> = {};
  /** decisions of this process: id -> winner name (checked against the cache once) */
  private decided = new Map<string, string>();
  private pending = new Map<string, TuneRequest>();
  private loaded = false;
  private dirty = false;
  /** Test-only: extra candidates appended to every request of a family (to prove a wrong one is never picked). */
  private injected = new Map<string, (req: TuneRequest) => Candidate[]>();
  /** Counters for benches and tests. */
  stats = { tuned: 0, rejected: 0, ms: 0, candidatesTimed: 0 };

  constructor(
    private readonly adapter: string,
    readonly enabled = tuningEnabled(),
    dir = cacheDir(),
  ) {
    this.file = join(dir, 'tune.json');
  }

  /** The kernel to dispatch for this request now. */
  choose(req: TuneRequest): Kernel {
    const candidates = this.candidatesOf(req);
    if (!this.enabled || candidates.length < 2) return candidates[0].make();
    const id = `${req.family}|${req.shape}`;
    const known = this.decided.get(id);
    if (known !== undefined) return (candidates.find((c) => c.name === known) ?? candidates[0]).make();
    this.load();
    const e = this.entries[id];
    if (e) {
      const c = candidates.find((x) => x.name === e.winner);
      if (c) {
        const k = c.make();
        if (sha1(k.code) === e.code) {
          this.decided.set(id, c.name);
          return k;
        }
      }
      // the winner is gone or its code changed since: tune again
    }
    if (!this.pending.has(id)) this.pending.set(id, { ...req, candidates });
    return candidates[0].make();
  }

  get queued(): number {
    return this.pending.size;
  }

  /** Test-only hook: `extra(req)` candidates join every request of `family` (null removes it). */
  inject(family: string, extra: ((req: TuneRequest) => Candidate[]) | null): void {
    if (extra) this.injected.set(family, extra);
    else this.injected.delete(family);
  }

  /** Forgets this process's decisions (tests; the cache file stays). */
  forget(): void {
    this.decided.clear();
    this.pending.clear();
    this.entries = {};
    this.loaded = false;
  }

  /** The cached entry of a request, if tuned. */
  entry(family: string, shape: string): TuneEntry | undefined {
    this.load();
    return this.entries[`${family}|${shape}`];
  }

  private candidatesOf(req: TuneRequest): readonly Candidate[] {
    const extra = this.injected.get(req.family);
    return extra ? [...req.candidates, ...extra(req)] : req.candidates;
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    if (!existsSync(this.file)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (e) {
      this.distrust(`is not JSON (${(e as Error).message.split('\n')[0]})`);
      return;
    }
    const f = parsed as Partial<CacheFile> | null;
    if (!f || typeof f !== 'object' || f.format !== FORMAT || typeof f.entries !== 'object' || f.entries === null) {
      this.distrust(`is not an hpa-engine tuning cache (format '${String((f as { format?: unknown } | null)?.format)}', want '${FORMAT}')`);
      return;
    }
    if (f.adapter !== this.adapter) {
      // another adapter or driver: its timings say nothing about this one
      this.dirty = true;
      return;
    }
    for (const [id, e] of Object.entries(f.entries)) {
      if (e && typeof e.winner === 'string' && typeof e.code === 'string') this.entries[id] = e;
    }
  }

  private distrust(why: string): void {
    process.emitWarning(`tuning cache ${this.file} ${why}: ignored, it will be rewritten`, { code: 'HPA_TUNE_CACHE' });
    this.dirty = true;
  }

  private save(): void {
    if (!this.dirty) return;
    const f: CacheFile = { format: FORMAT, adapter: this.adapter, entries: this.entries };
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      writeFileAtomic(this.file, JSON.stringify(f, null, 1) + '\n');
      this.dirty = false;
    } catch (e) {
      // a read-only home must not stop training: the winners still hold for this process
      process.emitWarning(`tuning cache ${this.file} could not be written: ${(e as Error).message.split('\n')[0]}`, { code: 'HPA_TUNE_CACHE' });
      this.dirty = false;
    }
  }

  /**
   * Tunes the queue, largest first, until the budget is spent. The caller has submitted its own
   * work; the tuner uses buffers of its own and touches no tensor.
   */
  async run(rt: Tunable): Promise<TuneReport> {
    const t0 = performance.now();
    const budget = budgetMs();
    let tuned = 0;
    for (const [id, req] of [...this.pending]) {
      if (performance.now() - t0 > budget && tuned > 0) break;
      this.pending.delete(id);
      const e = await tuneOne(rt, req);
      this.entries[id] = e;
      this.decided.set(id, e.winner);
      this.dirty = true;
      tuned++;
      this.stats.tuned++;
      this.stats.rejected += Object.keys(e.rejected).length;
      this.stats.candidatesTimed += Object.keys(e.ms).length;
    }
    this.save();
    const ms = performance.now() - t0;
    this.stats.ms += ms;
    return { tuned, left: this.pending.size, ms };
  }
}

function randomBuffer(device: GPUDevice, bytes: number, rng: Rng | null): GPUBuffer {
  const size = Math.max(16, Math.ceil(bytes / 16) * 16);
  const b = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, mappedAtCreation: !!rng });
  if (rng) {
    const v = new Float32Array(b.getMappedRange());
    for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-1, 1);
    b.unmap();
  }
  return b;
}

async function readOutputs(device: GPUDevice, outs: GPUBuffer[]): Promise<Float32Array[]> {
  const staging = outs.map((o) => device.createBuffer({ size: o.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
  const enc = device.createCommandEncoder();
  outs.forEach((o, i) => enc.copyBufferToBuffer(o, 0, staging[i], 0, o.size));
  device.queue.submit([enc.finish()]);
  return Promise.all(
    staging.map(async (s) => {
      await s.mapAsync(GPUMapMode.READ);
      const v = new Float32Array(s.getMappedRange().slice(0));
      s.unmap();
      s.destroy();
      return v;
    }),
  );
}

/** Largest |got - want| over the largest |want| (1 at least), or a note on NaN. */
function disagreement(got: Float32Array[], want: Float32Array[], lengths: number[]): number {
  let err = 0;
  let scale = 1;
  for (let o = 0; o < want.length; o++) {
    for (let i = 0; i < lengths[o]; i++) {
      const w = want[o][i];
      const d = Math.abs(got[o][i] - w);
      if (!(d <= Number.MAX_VALUE)) return Infinity; // NaN or inf
      err = Math.max(err, d);
      scale = Math.max(scale, Math.abs(w));
    }
  }
  return err / scale;
}

/** One candidate's GPU time per dispatch: `reps` dispatches in one pass between two timestamps, or host time without timestamps. */
async function timeCandidate(rt: Tunable, kernel: Kernel, buffers: GPUBuffer[], reps: number): Promise<number> {
  const device = rt.device;
  const pipeline = rt.pipeline(kernel);
  const owned: GPUBuffer[] = [];
  const group = rt.bindGroup(kernel, buffers, owned);
  const stamps = device.features.has('timestamp-query');
  const qs = stamps ? device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass(qs ? { timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : undefined);
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(...kernel.workgroups);
  pass.end();
  let resolve: GPUBuffer | null = null;
  let staging: GPUBuffer | null = null;
  if (qs) {
    resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    staging = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.resolveQuerySet(qs, 0, 2, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, staging, 0, 16);
  }
  const t0 = performance.now();
  device.queue.submit([enc.finish()]);
  try {
    if (!staging) {
      await device.queue.onSubmittedWorkDone();
      return (performance.now() - t0) / reps;
    }
    await staging.mapAsync(GPUMapMode.READ);
    const v = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return v[1] > v[0] ? Number(v[1] - v[0]) / 1e6 / reps : (performance.now() - t0) / reps;
  } finally {
    // the dispatches are done once the timestamps (or the queue) say so: a tuning run times
    // hundreds of candidates, so their buffers are not left to the garbage collector
    for (const b of [...owned, staging, resolve]) b?.destroy();
    qs?.destroy();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function tuneOne(rt: Tunable, req: TuneRequest): Promise<TuneEntry> {
  const device = rt.device;
  const rng = new Rng(0x7e57);
  const nIn = req.bindings.length - req.outputs;
  const buffers = req.bindings.map((bytes, i) => randomBuffer(device, bytes, i < nIn ? rng : null));
  const outs = buffers.slice(nIn);
  const outLengths = req.bindings.slice(nIn).map((b) => Math.floor(b / 4));
  const clearOutputs = () => {
    const enc = device.createCommandEncoder();
    for (const o of outs) enc.clearBuffer(o);
    device.queue.submit([enc.finish()]);
  };
  const tol = req.tol ?? 1e-3;
  const ms: Record<string, number> = {};
  const rejected: Record<string, string> = {};
  const [ref, ...rest] = req.candidates;
  const refKernel = ref.make();
  try {
    // the reference: its outputs are what every candidate must reproduce
    clearOutputs();
    const tRef1 = await timeCandidate(rt, refKernel, buffers, 1);
    const want = await readOutputs(device, outs);
    if (tRef1 < MIN_REF_MS) {
      ms[ref.name] = tRef1;
      return { winner: ref.name, code: sha1(refKernel.code), ms, rejected };
    }
    const reps = Math.max(1, Math.min(8, Math.round(2 / tRef1)));
    const alive: { name: string; kernel: Kernel; times: number[] }[] = [{ name: ref.name, kernel: refKernel, times: [] }];
    for (const c of rest) {
      let kernel: Kernel;
      try {
        kernel = c.make();
        clearOutputs();
        device.pushErrorScope('validation');
        await timeCandidate(rt, kernel, buffers, 1); // compiles, warms, and fills the outputs
        const gpuError = await device.popErrorScope();
        if (gpuError) {
          rejected[c.name] = `GPU error: ${gpuError.message.split('\n')[0]}`;
          continue;
        }
      } catch (e) {
        rejected[c.name] = `failed: ${(e as Error).message.split('\n')[0]}`;
        continue;
      }
      const err = disagreement(await readOutputs(device, outs), want, outLengths);
      if (!(err <= tol)) {
        rejected[c.name] = `disagrees with ${ref.name} by ${err === Infinity ? 'NaN/inf' : err.toExponential(2)} (relative; tolerance ${tol})`;
        continue;
      }
      alive.push({ name: c.name, kernel, times: [] });
    }
    // interleaved rounds, so a burst of load on the machine hits every candidate alike
    for (let round = 0; round < 3 && alive.length > 1; round++) {
      for (const a of alive) a.times.push(await timeCandidate(rt, a.kernel, buffers, reps));
    }
    let best = alive[0];
    for (const a of alive) {
      ms[a.name] = a.times.length ? median(a.times) : tRef1;
      // a candidate must beat the rule by 3%: noise alone should not flip a choice
      if (a !== alive[0] && ms[a.name] < ms[best.name] * (best === alive[0] ? 0.97 : 1)) best = a;
    }
    return { winner: best.name, code: sha1(best.kernel.code), ms, rejected };
  } finally {
    for (const b of buffers) b.destroy();
  }
}
