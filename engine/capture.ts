import { runtime, type CommandSink, type Runtime } from './runtime.js';
import { Tensor, empty, shapeStr, type Shape } from './tensor.js';
import { keep, tidy } from './scope.js';
import type { Rng } from './random.js';
import type { PoolObserver } from './buffer-pool.js';
import type { Kernel } from '../kernels/kernel.js';
import { planMemory } from './memory-plan.js';
import { isFlatBuffer, SEGMENT_ALIGN } from './flat-buffer.js';

/**
 * Compiled steps: run a step function once under capture, keep its program (pipelines,
 * bind groups, workgroup counts, uniforms), and replay it into one command encoder with
 * one submit: no op code, no tape, no bind group created. Shapes are static, so the
 * program is keyed by the input shapes. Like tinygrad's TinyJit the first call runs
 * eagerly and the second captures; the capture checks that it ran the same kernels with
 * the same uniforms as the first call, because a replay repeats every uniform it recorded:
 * a per-step value travelling as a uniform would be replayed stale, so it is refused.
 * Per-step values come from buffers written once per step instead: the inputs (written
 * by `run`) and the dropout seeds (a table drawn from the same Rng in the same order as
 * the eager path, so both paths give the same bits).
 */

/** A command's reference to a buffer: one that existed before the capture (whole, or a range
 * of it for a dispatch: a view into a flat buffer), or a value made inside it. */
type Ref = { ext: GPUBuffer; offset?: number; size?: number } | { value: number };

type Command =
  | { kind: 'dispatch'; key: string; pipeline: GPUComputePipeline; refs: Ref[]; writable: readonly boolean[]; uniform?: Uint8Array; perStep?: () => ArrayBuffer; workgroups: [number, number, number] }
  | { kind: 'clear'; ref: Ref; offset: number; size: number }
  | { kind: 'copy'; src: Ref; srcOffset: number; dst: Ref; dstOffset: number; bytes: number };

interface Value {
  buffer: GPUBuffer;
  bytes: number;
  first: number;
  last: number;
  released: boolean;
  lastKey: string;
}

const SEED_SLOTS = 4096;

/** Records what the runtime does while a step runs under capture (or, `traceOnly`, only its kernels and uniforms). */
class Recorder implements CommandSink, PoolObserver {
  readonly commands: Command[] = [];
  /** The bytes of every host write inside the step, in order: a replay repeats them, so they must not change between calls. */
  readonly uploads: Uint8Array[] = [];
  readonly values: Value[] = [];
  private live = new Map<GPUBuffer, number>();
  readonly extUsedBy = new Map<GPUBuffer, string>();
  readonly constants: GPUBuffer[] = [];
  releasedInside: string | null = null;
  readonly seedRngs: Rng[] = [];
  seedTable: GPUBuffer | null = null;
  readonly seedHost = new Uint32Array(SEED_SLOTS * 2);
  /** Set by perStepUniforms() for the dispatch that follows it. */
  pendingPerStep: (() => ArrayBuffer) | null = null;

  constructor(
    readonly rt: Runtime,
    readonly label: string,
    readonly traceOnly: boolean,
  ) {}

  private ref(buf: GPUBuffer, key: string): Ref {
    const id = this.live.get(buf);
    if (id === undefined) {
      if (!this.extUsedBy.has(buf)) this.extUsedBy.set(buf, key);
      return { ext: buf };
    }
    const v = this.values[id];
    if (v.first < 0) v.first = this.commands.length;
    v.last = this.commands.length;
    v.lastKey = key;
    return { value: id };
  }

  /** A dispatch's binding: pooled values are bound whole (at their offset 0), a range of an external buffer keeps its range. */
  private bindingRef(b: GPUBufferBinding, key: string): Ref {
    const r = this.ref(b.buffer, key);
    if ('value' in r) {
      if (b.offset || b.size !== undefined) throw new Error(`${this.label}: kernel '${key}' binds a range of a pooled buffer`);
      return r;
    }
    return b.offset || b.size !== undefined ? { ext: b.buffer, offset: b.offset, size: b.size } : r;
  }

  acquired(buf: GPUBuffer): void {
    if (this.traceOnly) return;
    this.live.set(buf, this.values.length);
    this.values.push({ buffer: buf, bytes: buf.size, first: -1, last: -1, released: false, lastKey: '' });
  }

  released(buf: GPUBuffer): void {
    if (this.traceOnly) return;
    const id = this.live.get(buf);
    if (id !== undefined) {
      this.values[id].released = true;
      this.live.delete(buf);
    } else if (this.extUsedBy.has(buf)) {
      this.releasedInside ??= `a tensor read by kernel '${this.extUsedBy.get(buf)}' was made before the capture and disposed inside it; a replay would read a recycled buffer`;
    }
  }

  dispatch(kernel: Kernel, pipeline: GPUComputePipeline, bindings: readonly GPUBufferBinding[]): void {
    const uniform = kernel.uniforms ? new Uint8Array(kernel.uniforms.slice(0)) : undefined;
    const refs = this.traceOnly ? [] : bindings.map((b) => this.bindingRef(b, kernel.key));
    const perStep = this.pendingPerStep ?? undefined;
    this.pendingPerStep = null;
    if (perStep && !uniform) throw new Error(`${this.label}: kernel '${kernel.key}' has per-step uniforms but no uniforms`);
    const writable = this.traceOnly ? [] : writableBindings(kernel);
    this.commands.push({ kind: 'dispatch', key: kernel.key, pipeline, refs, writable, uniform, perStep, workgroups: [...kernel.workgroups] });
  }

  clear(buffer: GPUBuffer, offset: number, size: number): void {
    if (this.traceOnly) return;
    this.commands.push({ kind: 'clear', ref: this.ref(buffer, 'clear'), offset, size });
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (this.traceOnly) return;
    this.commands.push({ kind: 'copy', src: this.ref(src, 'copy'), srcOffset, dst: this.ref(dst, 'copy'), dstOffset, bytes });
  }

  /** Host data written inside the step (a constant) replays as a copy from a buffer of its own. */
  upload(buffer: GPUBuffer, data: ArrayBufferView, offset: number): void {
    this.uploads.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
    if (this.traceOnly) return;
    const bytes = Math.ceil(data.byteLength / 4) * 4;
    const c = this.rt.device.createBuffer({ size: Math.max(4, bytes), usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.rt.device.queue.writeBuffer(c, 0, data.buffer, data.byteOffset, data.byteLength);
    this.constants.push(c);
    this.commands.push({ kind: 'copy', src: { ext: c }, srcOffset: 0, dst: this.ref(buffer, 'upload'), dstOffset: offset, bytes: data.byteLength });
  }

  hostRead(buffers: readonly GPUBuffer[], what?: string): Error {
    const b = buffers[0];
    const id = b ? this.live.get(b) : undefined;
    const op = id !== undefined ? this.values[id].lastKey : b ? this.extUsedBy.get(b) : undefined;
    const from = op ? `, last written by kernel '${op}'` : '';
    return new Error(`${this.label}: ${what ?? 'a host read'}${from} inside a captured step; a captured step cannot wait for the host (read its outputs after it returns, or run it eagerly)`);
  }

  /** The seed table slot for one dropout / drop-connect call (its seeds are written now for this run). */
  seedSlot(rng: Rng, seed: readonly [number, number]): { table: GPUBuffer; slot: number } {
    const slot = this.seedRngs.length;
    if (slot >= SEED_SLOTS) throw new Error(`${this.label}: more than ${SEED_SLOTS} dropout calls in one captured step`);
    this.seedTable ??= this.rt.device.createBuffer({ size: SEED_SLOTS * 8, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    this.seedRngs.push(rng);
    this.seedHost.set(seed, slot * 2);
    // No command before this one reads the slot, so a queue write (ahead of unsubmitted work) is safe.
    this.rt.device.queue.writeBuffer(this.seedTable, slot * 8, this.seedHost, slot * 2, 2);
    return { table: this.seedTable, slot };
  }

  /** Live values at the end of the capture (outputs, gradients left on parameters). */
  escaping(): number[] {
    return [...this.live.values()];
  }
}

const writableCache = new Map<string, boolean[]>();

/** Which bindings a kernel declares read_write (its WGSL; kernels of one key share their declarations). */
function writableBindings(kernel: Kernel): boolean[] {
  let w = writableCache.get(kernel.key);
  if (!w) {
    w = [];
    for (const m of kernel.code.matchAll(/@binding\((\d+)\)\s*var<storage,\s*(read_write|read)\s*>/g)) w[Number(m[1])] = m[2] === 'read_write';
    writableCache.set(kernel.key, w);
  }
  return w;
}

/** The pool's one observer: feeds the active recorder, and marks programs whose buffers were released. */
class Hub implements PoolObserver {
  recorder: Recorder | null = null;
  readonly watched = new Map<GPUBuffer, Set<Program>>();

  acquired(buf: GPUBuffer): void {
    this.recorder?.acquired(buf);
  }

  released(buf: GPUBuffer): void {
    this.recorder?.released(buf);
    const ps = this.watched.get(buf);
    if (ps) for (const p of ps) p.markStale(buf);
  }
}

const hubs = new WeakMap<Runtime, Hub>();
function hubOf(rt: Runtime): Hub {
  let h = hubs.get(rt);
  if (!h) {
    hubs.set(rt, (h = new Hub()));
    rt.pool.observer = h;
  }
  return h;
}

/** The recorder of the step being captured (or traced), if any. */
function activeRecorder(): Recorder | null {
  const rt = runtime();
  return rt.capture instanceof Recorder ? rt.capture : null;
}

/**
 * Draws one dropout call's two seeds from `rng`. Under capture the seeds also go into the
 * step's seed table and the kernel reads them from there, so a replay draws fresh seeds
 * from the same Rng (same order, same values as the eager path) with one write per step.
 */
export function drawSeeds(rng: Rng): { seed: [number, number]; table?: { buffer: GPUBuffer; slot: number } } {
  const seed: [number, number] = [rng.nextU32(), rng.nextU32()];
  const rec = activeRecorder();
  if (!rec) return { seed };
  const { table, slot } = rec.seedSlot(rng, seed);
  return { seed, table: { buffer: table, slot } };
}

/**
 * Declares the uniforms of the next dispatch a per-step value (an optimizer's step count,
 * learning rate and bias corrections): eagerly nothing changes, the dispatch uses the
 * uniforms it is given. Under capture the program calls `next()` before every replay, in
 * the recorded order, and writes what it returns over the recorded uniforms, all of them
 * in one write per step; host state that `next` advances (step counts a checkpoint saves)
 * advances on replay as it would eagerly. Kernels that read such values from a buffer
 * the step writes need none of this.
 */
export function perStepUniforms(next: () => ArrayBuffer): void {
  const rec = activeRecorder();
  if (rec) rec.pendingPerStep = next;
}

export interface ProgramMemory {
  /** Bytes of the shared buffers the intermediates were planned into. */
  planned: number;
  /** What the same intermediates would hold one buffer each (their pool buckets summed). */
  unplanned: number;
  /** Values alive after the step (outputs, gradients), which keep their own buffers. */
  escaping: number;
  /** Buffers made before the capture that the step reads or writes (parameters, inputs, optimizer state). */
  external: number;
  /** Copies into flat buffers dropped because their source was placed at the destination (elideCopies). */
  elidedCopies: number;
}

/**
 * Copies a replay need not make: a value made inside the step whose last use copies it
 * whole into a segment of a flat buffer (a gradient gathered into an optimizer's flat
 * gradients) is placed at that segment instead, so the kernels that produced it write it
 * there. Only where that is invisible: the segment's offset suits a storage binding, no
 * other command touches its segment while the value lives, no dispatch would bind the
 * buffer both read-only and writable (WebGPU refuses that mix; several writable bindings
 * of one buffer are allowed), and
 * every copy and clear of the value fits the padded segment. Values are bound at the
 * segment's padded size (engine/flat-buffer.ts), within which kernels only ever write
 * their own elements.
 */
function elideCopies(rec: Recorder, bindAlign: number): { at: Map<number, { buffer: GPUBuffer; offset: number; size: number }>; copies: Set<number> } {
  const at = new Map<number, { buffer: GPUBuffer; offset: number; size: number }>();
  const copies = new Set<number>();
  const cmds = rec.commands;
  // Each external flat buffer's byte ranges that commands touch: [command, from, to).
  const touches = new Map<GPUBuffer, [number, number, number][]>();
  const touch = (r: Ref, i: number, from: number, to: number) => {
    if ('ext' in r && isFlatBuffer(r.ext)) (touches.get(r.ext) ?? touches.set(r.ext, []).get(r.ext)!).push([i, from, to]);
  };
  cmds.forEach((c, i) => {
    if (c.kind === 'dispatch') for (const r of c.refs) touch(r, i, 'ext' in r ? (r.offset ?? 0) : 0, 'ext' in r && r.size !== undefined ? (r.offset ?? 0) + r.size : Infinity);
    else if (c.kind === 'clear') touch(c.ref, i, c.offset, c.offset + c.size);
    else {
      touch(c.src, i, c.srcOffset, c.srcOffset + c.bytes);
      touch(c.dst, i, c.dstOffset, c.dstOffset + c.bytes);
    }
  });
  const candidates = new Map<number, { ci: number; buffer: GPUBuffer; offset: number; size: number }>();
  cmds.forEach((c, ci) => {
    if (c.kind !== 'copy' || !('value' in c.src) || !('ext' in c.dst) || !isFlatBuffer(c.dst.ext)) return;
    const id = c.src.value;
    const v = rec.values[id];
    if (!v.released || v.last !== ci || c.srcOffset !== 0 || c.dstOffset % Math.max(bindAlign, SEGMENT_ALIGN) !== 0 || candidates.has(id)) return;
    const size = Math.ceil(c.bytes / SEGMENT_ALIGN) * SEGMENT_ALIGN;
    if (c.dstOffset + size > c.dst.ext.size) return;
    // Nothing else touches its segment while the value lives (other segments may be written meanwhile).
    const end = c.dstOffset + size;
    if (touches.get(c.dst.ext)!.some(([i, from, to]) => i >= v.first && i < ci && from < end && to > c.dstOffset)) return;
    candidates.set(id, { ci, buffer: c.dst.ext, offset: c.dstOffset, size });
  });
  // Every copy and clear of a candidate must fit its segment.
  for (const c of cmds) {
    if (c.kind === 'clear' && 'value' in c.ref) {
      const k = candidates.get(c.ref.value);
      if (k && c.offset + c.size > k.size) candidates.delete(c.ref.value);
    } else if (c.kind === 'copy') {
      for (const [r, off] of [[c.src, c.srcOffset], [c.dst, c.dstOffset]] as const) {
        const k = 'value' in r ? candidates.get(r.value) : undefined;
        if (k && off + c.bytes > k.size) candidates.delete((r as { value: number }).value);
      }
    }
  }
  // No dispatch may bind one buffer both read-only and writable once candidates move into
  // it (WebGPU allows several writable bindings of one buffer, not a mix).
  for (const c of cmds) {
    if (c.kind !== 'dispatch') continue;
    const bound = new Map<GPUBuffer, { ids: number[]; read: boolean; write: boolean }>();
    c.refs.forEach((r, i) => {
      const b = 'ext' in r ? r.ext : candidates.get(r.value)?.buffer;
      if (!b) return;
      const e = bound.get(b) ?? bound.set(b, { ids: [], read: false, write: false }).get(b)!;
      if ('value' in r) e.ids.push(r.value);
      if (c.writable[i]) e.write = true;
      else e.read = true;
    });
    for (const e of bound.values()) if (e.read && e.write) for (const id of e.ids) candidates.delete(id);
  }
  for (const [id, k] of candidates) {
    at.set(id, { buffer: k.buffer, offset: k.offset, size: k.size });
    copies.add(k.ci);
  }
  return { at, copies };
}

type Replayed = { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number, number] } | { clear: GPUBuffer; offset: number; size: number } | { src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number };

/** A captured step, built for replay: intermediates placed by liveness, every bind group made once. */
export class Program {
  readonly dispatches: number;
  readonly memory: ProgramMemory;
  stale: string | null = null;
  private steps: Replayed[] = [];
  private owned: GPUBuffer[] = [];
  private pinned: GPUBuffer[] = [];
  private ext: Map<GPUBuffer, string>;
  private seedRngs: Rng[];
  private seedTable: GPUBuffer | null;
  private seedHost: Uint32Array;
  private uniforms: GPUBuffer | null;
  private uhost: Uint8Array;
  /** Dispatches whose uniforms are recomputed before each replay, and the byte range they span. */
  private perStep: { at: number; bytes: number; next: () => ArrayBuffer }[] = [];
  private perStepSpan: [number, number] = [0, 0];

  constructor(
    private readonly rt: Runtime,
    rec: Recorder,
  ) {
    const device = rt.device;
    const elided = elideCopies(rec, device.limits.minStorageBufferOffsetAlignment);
    const planned = rec.values.map((v, id) => ({ v, id })).filter(({ v, id }) => v.released && v.first >= 0 && !elided.at.has(id));
    const plan = planMemory(planned.map(({ v }) => v));
    const shared = plan.slots.map((size) => device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }));
    const where = new Map<number, { buffer: GPUBuffer; offset: number; size: number }>(elided.at);
    planned.forEach(({ v, id }, i) => where.set(id, { buffer: shared[plan.slot[i]], offset: 0, size: v.bytes }));
    const escaping = rec.escaping();
    for (const id of escaping) {
      rt.pool.pin(rec.values[id].buffer);
      this.pinned.push(rec.values[id].buffer);
    }
    const resolve = (r: Ref): { buffer: GPUBuffer; offset?: number; size?: number } =>
      'ext' in r ? { buffer: r.ext, offset: r.offset, size: r.size } : (where.get(r.value) ?? { buffer: rec.values[r.value].buffer });

    // Uniforms: one buffer for the whole program, written once.
    const ualign = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    let ubytes = 0;
    for (const c of rec.commands) if (c.kind === 'dispatch' && c.uniform) ubytes += Math.ceil(c.uniform.byteLength / ualign) * ualign;
    const uniforms = ubytes ? device.createBuffer({ size: ubytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }) : null;
    const uhost = new Uint8Array(ubytes);
    let uat = 0;
    let dispatches = 0;
    for (const [ci, c] of rec.commands.entries()) {
      if (elided.copies.has(ci)) continue;
      if (c.kind === 'dispatch') {
        const entries: GPUBindGroupEntry[] = c.refs.map((r, binding) => ({ binding, resource: resolve(r) }));
        if (c.uniform) {
          uhost.set(c.uniform, uat);
          if (c.perStep) this.perStep.push({ at: uat, bytes: c.uniform.byteLength, next: c.perStep });
          entries.push({ binding: c.refs.length, resource: { buffer: uniforms!, offset: uat, size: c.uniform.byteLength } });
          uat += Math.ceil(c.uniform.byteLength / ualign) * ualign;
        }
        const bindGroup = device.createBindGroup({ layout: c.pipeline.getBindGroupLayout(0), entries, label: c.key });
        this.steps.push({ pipeline: c.pipeline, bindGroup, workgroups: c.workgroups });
        dispatches++;
      } else if (c.kind === 'clear') {
        const b = resolve(c.ref);
        this.steps.push({ clear: b.buffer, offset: (b.offset ?? 0) + c.offset, size: c.size });
      } else {
        const s = resolve(c.src);
        const d = resolve(c.dst);
        this.steps.push({ src: s.buffer, srcOffset: (s.offset ?? 0) + c.srcOffset, dst: d.buffer, dstOffset: (d.offset ?? 0) + c.dstOffset, bytes: c.bytes });
      }
    }
    if (uniforms) device.queue.writeBuffer(uniforms, 0, uhost);
    this.uniforms = uniforms;
    this.uhost = uhost;
    if (this.perStep.length) this.perStepSpan = [this.perStep[0].at, this.perStep[this.perStep.length - 1].at + this.perStep[this.perStep.length - 1].bytes];
    this.dispatches = dispatches;
    rt.stats.bindGroups += dispatches; // counted like the eager path's, so a capture per step would show
    this.owned = [...shared, ...rec.constants, ...(uniforms ? [uniforms] : []), ...(rec.seedTable ? [rec.seedTable] : [])];
    this.seedRngs = rec.seedRngs;
    this.seedTable = rec.seedTable;
    this.seedHost = rec.seedHost;
    this.ext = rec.extUsedBy;
    const hub = hubOf(rt);
    let external = 0;
    for (const b of this.ext.keys()) {
      if (isFlatBuffer(b)) external += b.size; // parameters, gradients and moments of a flat optimizer
      if (!rt.pool.owns(b)) continue;
      external += b.size;
      let s = hub.watched.get(b);
      if (!s) hub.watched.set(b, (s = new Set()));
      s.add(this);
    }
    this.memory = {
      planned: plan.bytes,
      unplanned: planned.reduce((s, { v }) => s + v.bytes, 0),
      escaping: escaping.reduce((s, id) => s + rec.values[id].bytes, 0),
      elidedCopies: elided.copies.size,
      external,
    };
  }

  markStale(buf: GPUBuffer): void {
    this.stale ??= `a tensor read by kernel '${this.ext.get(buf)}' was disposed since the capture (a parameter replaced?)`;
  }

  /** Encodes every recorded command into one encoder and submits it once. */
  replay(): void {
    if (this.stale) throw new Error(`replay of a stale program: ${this.stale}`);
    const rt = this.rt;
    rt.flush(); // eager work recorded before this step runs before it
    if (this.seedTable && this.seedRngs.length) {
      for (let i = 0; i < this.seedRngs.length; i++) {
        this.seedHost[2 * i] = this.seedRngs[i].nextU32();
        this.seedHost[2 * i + 1] = this.seedRngs[i].nextU32();
      }
      rt.device.queue.writeBuffer(this.seedTable, 0, this.seedHost, 0, this.seedRngs.length * 2);
    }
    if (this.perStep.length) {
      for (const u of this.perStep) {
        const b = new Uint8Array(u.next());
        if (b.byteLength !== u.bytes) throw new Error(`replay: per-step uniforms of ${b.byteLength} bytes where ${u.bytes} were captured`);
        this.uhost.set(b, u.at);
      }
      const [from, to] = this.perStepSpan;
      rt.device.queue.writeBuffer(this.uniforms!, from, this.uhost, from, to - from);
    }
    const encoder = rt.device.createCommandEncoder();
    let pass: GPUComputePassEncoder | null = null;
    for (const s of this.steps) {
      if ('pipeline' in s) {
        pass ??= encoder.beginComputePass();
        pass.setPipeline(s.pipeline);
        pass.setBindGroup(0, s.bindGroup);
        pass.dispatchWorkgroups(s.workgroups[0], s.workgroups[1], s.workgroups[2]);
        continue;
      }
      pass?.end();
      pass = null;
      if ('clear' in s) encoder.clearBuffer(s.clear, s.offset, s.size);
      else encoder.copyBufferToBuffer(s.src, s.srcOffset, s.dst, s.dstOffset, s.bytes);
    }
    pass?.end();
    rt.device.queue.submit([encoder.finish()]);
    rt.stats.submits++;
    rt.stats.dispatches += this.dispatches;
  }

  dispose(): void {
    const hub = hubOf(this.rt);
    for (const b of this.ext.keys()) hub.watched.get(b)?.delete(this);
    for (const b of this.pinned) this.rt.pool.unpin(b);
    for (const b of this.owned) b.destroy();
    this.steps = [];
    this.owned = [];
    this.pinned = [];
  }
}

export interface StepInput {
  data: Float32Array;
  shape: Shape;
}

export interface CompileOptions {
  /** Names the step in messages ("train step"). */
  label: string;
  /**
   * The tensors the step reads that live across calls (parameters, BN statistics,
   * optimizer state). When one is no longer the tensor it was at capture, the step is
   * captured again (with a log line) instead of replaying stale buffers.
   */
  state?: () => readonly (Tensor | Rng)[];
  log?: (line: string) => void;
  /** Eager calls before the capture (default 1, TinyJit's): the capture is checked against the last one. */
  warmup?: number;
  /** Programs kept for different input shapes (default 2: the full batch and a short last one). */
  maxPrograms?: number;
}

interface Entry {
  shapes: string;
  inputs: Tensor[];
  calls: number;
  trace?: Command[];
  uploads?: Uint8Array[];
  program?: Program;
  outputs?: Record<string, Tensor>;
  state?: readonly (Tensor | Rng)[];
  stateBuffers?: (GPUBuffer | null)[];
}

/**
 * A step function compiled for replay. `fn` reads its inputs (tensors the step owns,
 * rewritten each call) and returns named tensors; `run` returns views of them that the
 * caller disposes, valid until the next call. A second input shape gets a program of its
 * own (logged once), so a short last batch costs one capture, not a recapture per epoch.
 */
export class CompiledStep<O extends Record<string, Tensor>> {
  private entries = new Map<string, Entry>();
  private last: Entry | null = null;
  readonly counts = { eager: 0, captures: 0, replays: 0 };

  constructor(
    private readonly fn: (inputs: readonly Tensor[]) => O,
    private readonly opts: CompileOptions,
  ) {}

  /** The program of the last call's shapes, once captured. */
  get program(): Program | undefined {
    return this.last?.program;
  }

  run(inputs: readonly StepInput[]): O {
    const label = this.opts.label;
    inputs.forEach((x, i) => {
      const n = x.shape.reduce((a, b) => a * b, 1);
      if (x.data.length !== n) throw new Error(`${label}: input ${i} has ${x.data.length} values for shape ${shapeStr(x.shape)} (${n})`);
    });
    const shapes = inputs.map((x) => shapeStr(x.shape)).join(' ');
    let e = this.entries.get(shapes);
    if (!e) {
      if (this.last && this.last.shapes !== shapes) this.log(`${label}: inputs ${shapes} differ from the captured ${this.last.shapes}; capturing a program for them too`);
      e = { shapes, inputs: inputs.map((x) => keep(empty(x.shape))), calls: 0 };
      this.entries.set(shapes, e);
      this.evict(e);
    }
    this.last = e;
    const rt = runtime();
    inputs.forEach((x, i) => x.data.length && rt.upload(e.inputs[i].buffer, x.data));
    if (e.program) {
      const why = e.program.stale ?? this.stateChange(e);
      if (why) {
        this.log(`${label}: ${why}; capturing the step again`);
        this.drop(e);
      }
    }
    e.calls++;
    if (!e.program && e.calls <= (this.opts.warmup ?? 1)) return this.eager(e);
    if (!e.program) return this.capture(e);
    e.program.replay();
    this.counts.replays++;
    return views(e.outputs!) as O;
  }

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => console.log(l)))(line);
  }

  private evict(keepEntry: Entry): void {
    const max = this.opts.maxPrograms ?? 2;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= max) break;
      if (e === keepEntry) continue;
      this.drop(e);
      e.inputs.forEach((t) => t.dispose());
      this.entries.delete(k);
    }
  }

  private stateChange(e: Entry): string | null {
    if (!this.opts.state || !e.state) return null;
    const now = this.opts.state();
    if (now.length !== e.state.length) return `the step's state changed from ${e.state.length} to ${now.length} tensors since the capture`;
    for (let i = 0; i < now.length; i++) {
      const t = now[i];
      // An Rng replaced (a checkpoint's dropout state loaded) would leave the seed table drawing from the old one.
      if (!(t instanceof Tensor)) {
        if (t !== e.state[i]) return `state ${i} (a random generator) was replaced since the capture`;
      } else if (t !== e.state[i] || t.disposed || t.buffer !== e.stateBuffers![i]) return `state tensor ${t.describe()} was replaced since the capture`;
    }
    return null;
  }

  private eager(e: Entry): O {
    const rt = runtime();
    const rec = new Recorder(rt, this.opts.label, true);
    const out = this.under(rec, e);
    e.trace = rec.commands;
    e.uploads = rec.uploads;
    this.counts.eager++;
    return out;
  }

  private capture(e: Entry): O {
    const rt = runtime();
    const rec = new Recorder(rt, this.opts.label, false);
    const out = this.under(rec, e);
    const fail = rec.releasedInside ?? (e.trace ? traceMismatch(e.trace, rec.commands) ?? uploadMismatch(e.uploads!, rec.uploads) : null);
    if (fail) {
      rec.constants.forEach((b) => b.destroy());
      rec.seedTable?.destroy();
      for (const t of Object.values(out)) t.dispose();
      throw new Error(`${this.opts.label}: cannot capture the step: ${fail}`);
    }
    for (const t of Object.values(out)) keep(t);
    e.outputs = out;
    // The capture ran the step eagerly, so the pool now holds the step's eager peak as idle
    // buffers, which replays never use (the program has its own, planned by liveness). Give
    // them back before the plan's buffers are made, so the capture holds the eager peak once
    // rather than that plus the plan; flushed first, since recorded commands may still name
    // them. The plan needs none of them: it places the released values in buffers of its own.
    rt.flush();
    rt.pool.trim();
    e.program = new Program(rt, rec);
    e.trace = undefined;
    e.uploads = undefined;
    e.state = this.opts.state?.();
    e.stateBuffers = e.state?.map((t) => (t instanceof Tensor ? t.buffer : null));
    this.counts.captures++;
    return views(out) as O;
  }

  private under(rec: Recorder, e: Entry): O {
    const rt = runtime();
    if (rt.capture) throw new Error(`${this.opts.label}: a step cannot be captured inside another capture`);
    const hub = hubOf(rt);
    rt.capture = rec;
    hub.recorder = rec;
    try {
      return tidy(() => this.fn(e.inputs));
    } finally {
      rt.capture = null;
      hub.recorder = null;
    }
  }

  private drop(e: Entry): void {
    const outs = e.outputs;
    e.outputs = undefined;
    if (outs) for (const t of Object.values(outs)) t.dispose();
    e.program?.dispose();
    e.program = undefined;
    e.calls = 0;
  }

  dispose(): void {
    for (const e of this.entries.values()) {
      this.drop(e);
      e.inputs.forEach((t) => t.dispose());
    }
    this.entries.clear();
    this.last = null;
  }
}

function views(out: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, new Tensor(t.shape, t.storage.retain())]));
}

/** Why two calls of a step would not replay as one program, or null. */
function traceMismatch(a: Command[], b: Command[]): string | null {
  const da = a.filter((c) => c.kind === 'dispatch');
  const db = b.filter((c) => c.kind === 'dispatch');
  for (let i = 0; i < Math.min(da.length, db.length); i++) {
    const x = da[i] as Extract<Command, { kind: 'dispatch' }>;
    const y = db[i] as Extract<Command, { kind: 'dispatch' }>;
    if (x.key !== y.key) return `dispatch ${i} ran kernel '${x.key}' on one call and '${y.key}' on the next (the step's kernels depend on its data)`;
    if (!(x.perStep && y.perStep) && !sameBytes(x.uniform, y.uniform)) {
      return `kernel '${x.key}' (dispatch ${i}) got different uniforms on two calls: a per-step value travels as a uniform, and a replay would repeat the captured one; it must come from a buffer written each step`;
    }
  }
  if (da.length !== db.length) return `the step ran ${da.length} kernels on one call and ${db.length} on the next`;
  return null;
}

/** A host value written inside the step that changed between calls would replay stale. */
function uploadMismatch(a: Uint8Array[], b: Uint8Array[]): string | null {
  if (a.length !== b.length) return `the step wrote the GPU from the host ${a.length} times on one call and ${b.length} on the next`;
  for (let i = 0; i < a.length; i++) {
    if (!sameBytes(a[i], b[i])) {
      return `host write ${i} inside the step (${b[i].byteLength} bytes) differs between two calls: a replay would repeat the captured values; a per-step value must be written through the step's inputs`;
    }
  }
  return null;
}

function sameBytes(a?: Uint8Array, b?: Uint8Array): boolean {
  if (!a || !b) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
