import type { Kernel } from '../kernels/kernel.js';

/**
 * GPU time per dispatch, from timestamp queries (issue 14). While a profile is open the
 * runtime gives every dispatch a compute pass of its own whose beginning and end write a
 * timestamp, so each kernel's time is the device's own measure, not the host's. Each
 * dispatch is tagged with the layer that was current when it was recorded: `withLayer`
 * names it in the forward pass, and the tape restores it while it runs that node's
 * backward, so a layer's figure is its forward plus its backward.
 */

/** Timestamps per query set (Dawn's maximum is 4096). */
const QUERIES_PER_SET = 4096;

let layer = '';

/** The layer that dispatches recorded now are charged to ('' outside any). */
export function currentLayer(): string {
  return layer;
}

/** Sets the current layer and returns the previous one (the tape's backward uses this). */
export function setLayer(name: string): string {
  const prev = layer;
  layer = name;
  return prev;
}

/** Runs fn with dispatches charged to `name` (nested names join with '/'). */
export function withLayer<T>(name: string, fn: () => T): T {
  const prev = setLayer(layer ? `${layer}/${name}` : name);
  try {
    return fn();
  } finally {
    layer = prev;
  }
}

export interface ProfiledDispatch {
  key: string;
  /** the key's leading name segments: 'dwconv:fwd', 'matmul:subgroup', 'bnApply' */
  family: string;
  layer: string;
  /** GPU time between the pass's two timestamps */
  ms: number;
  /** multiply-adds x 2, when the kernel states them */
  flops?: number;
  /** bytes the kernel must move at least when it states them, else the bound buffers' sizes */
  bytes: number;
  /** whether `bytes` is the kernel's own figure (else the bound buffers', up to a bucket over) */
  exactBytes: boolean;
}

/** 'dwconv:fwd:16,64,...' -> 'dwconv:fwd'; 'matmul:subgroup:8x2:...' -> 'matmul:subgroup'. */
export function kernelFamily(key: string): string {
  const parts = key.split(':');
  const named = [parts[0]];
  if (parts.length > 1 && /^[a-zA-Z][a-zA-Z0-9]*$/.test(parts[1]) && parts[1] !== 'true' && parts[1] !== 'false') named.push(parts[1]);
  return named.join(':');
}

interface Pending {
  key: string;
  layer: string;
  flops?: number;
  bytes: number;
  exactBytes: boolean;
  set: number;
  index: number;
}

export class Profiler {
  private sets: GPUQuerySet[] = [];
  private used = 0;
  private pending: Pending[] = [];

  constructor(private readonly device: GPUDevice) {
    if (!device.features.has('timestamp-query')) throw new Error("profile: this adapter has no 'timestamp-query' feature, so GPU time per kernel cannot be measured");
  }

  /** The timestamp writes for the pass that will hold this one dispatch. */
  timestampWrites(kernel: Kernel, bindings: readonly GPUBufferBinding[]): GPUComputePassTimestampWrites {
    if (this.used + 2 > this.sets.length * QUERIES_PER_SET) {
      this.sets.push(this.device.createQuerySet({ type: 'timestamp', count: QUERIES_PER_SET }));
    }
    const set = this.sets.length - 1;
    const index = this.used - set * QUERIES_PER_SET;
    this.used += 2;
    const exactBytes = kernel.bytes !== undefined;
    const bytes = kernel.bytes ?? bindings.reduce((a, b) => a + (b.size ?? b.buffer.size - (b.offset ?? 0)), 0);
    this.pending.push({ key: kernel.key, layer, flops: kernel.flops, bytes, exactBytes, set, index });
    return { querySet: this.sets[set], beginningOfPassWriteIndex: index, endOfPassWriteIndex: index + 1 };
  }

  get dispatches(): number {
    return this.pending.length;
  }

  /** Reads every timestamp; call after the profiled work is submitted. Frees the query sets. */
  async collect(): Promise<ProfiledDispatch[]> {
    const bytes = QUERIES_PER_SET * 8;
    const staging = this.sets.map(() => this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }));
    const resolve = this.device.createBuffer({ size: bytes * Math.max(1, this.sets.length), usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const enc = this.device.createCommandEncoder();
    this.sets.forEach((qs, s) => {
      const count = Math.min(QUERIES_PER_SET, this.used - s * QUERIES_PER_SET);
      enc.resolveQuerySet(qs, 0, count, resolve, s * bytes);
      enc.copyBufferToBuffer(resolve, s * bytes, staging[s], 0, bytes);
    });
    this.device.queue.submit([enc.finish()]);
    const stamps = await Promise.all(
      staging.map(async (b) => {
        await b.mapAsync(GPUMapMode.READ);
        const v = new BigUint64Array(b.getMappedRange().slice(0));
        b.unmap();
        b.destroy();
        return v;
      }),
    );
    resolve.destroy();
    for (const qs of this.sets) qs.destroy();
    this.sets = [];
    const out = this.pending.map((p) => {
      const v = stamps[p.set];
      // a pass whose end precedes its start (a driver quirk) counts as zero
      const ns = v[p.index + 1] > v[p.index] ? Number(v[p.index + 1] - v[p.index]) : 0;
      return { key: p.key, family: kernelFamily(p.key), layer: p.layer, ms: ns / 1e6, flops: p.flops, bytes: p.bytes, exactBytes: p.exactBytes };
    });
    this.pending = [];
    this.used = 0;
    return out;
  }
}

export interface ProfileTotal {
  name: string;
  calls: number;
  ms: number;
  flops: number;
  bytes: number;
  /** every call stated its FLOPs */
  allFlops: boolean;
  exactBytes: boolean;
}

/** Sums dispatches by a grouping (family, layer, key), largest time first. */
export function sumBy(ds: readonly ProfiledDispatch[], by: (d: ProfiledDispatch) => string): ProfileTotal[] {
  const m = new Map<string, ProfileTotal>();
  for (const d of ds) {
    const name = by(d);
    let t = m.get(name);
    if (!t) m.set(name, (t = { name, calls: 0, ms: 0, flops: 0, bytes: 0, allFlops: true, exactBytes: true }));
    t.calls++;
    t.ms += d.ms;
    t.flops += d.flops ?? 0;
    t.bytes += d.bytes;
    t.allFlops &&= d.flops !== undefined;
    t.exactBytes &&= d.exactBytes;
  }
  return [...m.values()].sort((a, b) => b.ms - a.ms);
}

/** What profile() needs of the runtime (engine/runtime.ts's Runtime). */
export interface Profilable {
  readonly device: GPUDevice;
  profiler: Profiler | null;
  sync(): Promise<void>;
}

/** Runs fn with every dispatch timed on the GPU; returns fn's result and the dispatches in order. */
export async function profile<T>(rt: Profilable, fn: () => Promise<T>): Promise<{ result: T; dispatches: ProfiledDispatch[] }> {
  if (rt.profiler) throw new Error('profile: a profile is already open');
  await rt.sync();
  const p = new Profiler(rt.device);
  rt.profiler = p;
  let result: T;
  try {
    result = await fn();
    await rt.sync();
  } finally {
    rt.profiler = null;
  }
  return { result, dispatches: await p.collect() };
}
