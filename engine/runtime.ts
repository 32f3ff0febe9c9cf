import { acquireDevice, type GpuContext } from './device.js';
import { BufferPool } from './buffer-pool.js';
import type { Kernel } from '../kernels/kernel.js';
import type { Profiler } from './profiler.js';
import { adapterKey, Tuner, type TuneRequest } from './tuner.js';

/**
 * The backend surface: buffers, dispatch, read. Dispatches are recorded into one command
 * encoder and one compute pass and submitted only when the host needs results (read,
 * upload into a recycled buffer, or an explicit flush), because on the software adapter a
 * submit costs twice a batched dispatch and a wait eight times.
 */
const UNIFORM_CAPACITY = 1 << 20;
/**
 * Past this many recorded dispatches the batch is submitted anyway: a training step records
 * ~950 dispatches (~100 ms of host work) before its first read, and submitting in slices
 * lets the device start on the forward pass while the host is still recording the rest.
 */
const SUBMIT_EVERY = 96;
/** Idle read-back buffers kept, and the largest size kept (bigger reads get their own). */
const STAGING_KEEP = 4;
const STAGING_KEEP_BYTES = 4 << 20;

/** engine/capture.ts while a step is captured: sees every command as it is recorded. */
export interface CommandSink {
  dispatch(kernel: Kernel, pipeline: GPUComputePipeline, bindings: readonly GPUBufferBinding[]): void;
  clear(buffer: GPUBuffer, offset: number, size: number): void;
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void;
  upload(buffer: GPUBuffer, data: ArrayBufferView, offset: number): void;
  /** The error a host read inside the capture raises. */
  hostRead(buffers: readonly GPUBuffer[], what?: string): Error;
}

export class Runtime {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  private pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformBuffer: GPUBuffer;
  private uniformHost = new Uint8Array(UNIFORM_CAPACITY);
  private uniformUsed = 0;
  private readonly uniformAlign: number;
  private pendingDispatches = 0;
  private lastError: string | null = null;
  private lastKey = '';
  /** Mappable read-back buffers that are idle, kept for the next read: a training loop reads
   * its loss and probabilities every step, and a buffer created per read would be a buffer
   * per step after capture. Two reads can be in flight (a step's results are read one step
   * late), so a few are kept. */
  private stagingFree: GPUBuffer[] = [];
  /** Counters for benchmarks and tests. */
  stats = { dispatches: 0, submits: 0, reads: 0, pipelines: 0, bindGroups: 0, stagingBuffers: 0, copies: 0 };
  /** Set while engine/capture.ts captures a step. */
  capture: CommandSink | null = null;
  /** While set (engine/profiler.ts's profile()), each dispatch gets a timed pass of its own. */
  profiler: Profiler | null = null;
  /** Kernel choice by measurement, cached per adapter (engine/tuner.ts). */
  readonly tuner: Tuner;
  /** Called after each new pipeline with the milliseconds its compile blocked the thread (a
   * software adapter's LLVM can take seconds per kernel; the CLI tells the user). */
  onPipeline: ((ms: number, key: string) => void) | null = null;

  constructor(readonly ctx: GpuContext) {
    this.device = ctx.device;
    this.tuner = new Tuner(adapterKey(ctx.summary));
    this.pool = new BufferPool(this.device);
    this.uniformAlign = Math.max(16, ctx.device.limits.minUniformBufferOffsetAlignment);
    this.uniformBuffer = this.device.createBuffer({
      size: UNIFORM_CAPACITY,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    // Validation errors arrive asynchronously; remember them and raise at the next sync point
    // with the kernel that was last dispatched, instead of losing them in a log line.
    this.device.addEventListener('uncapturederror', (ev) => {
      const msg = (ev as GPUUncapturedErrorEvent).error.message;
      this.lastError ??= `GPU error after kernel '${this.lastKey}': ${msg.split('\n')[0]}`;
    });
  }

  get features(): Set<string> {
    return this.ctx.features;
  }

  /** False on Dawn's null backend (HPA_BACKEND=null): it records and submits but runs no
   * kernel, so every read returns whatever the staging buffer held. It measures host cost;
   * callers that act on read values (a non-finite guard) must not believe them. */
  get computes(): boolean {
    return this.ctx.summary.backend !== 'null';
  }

  pipeline(kernel: Kernel): GPUComputePipeline {
    let p = this.pipelines.get(kernel.key);
    if (!p) {
      const t0 = performance.now();
      const module = this.device.createShaderModule({ code: kernel.code, label: kernel.key });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: kernel.key });
      this.pipelines.set(kernel.key, p);
      this.stats.pipelines++;
      this.onPipeline?.(performance.now() - t0, kernel.key);
    }
    return p;
  }

  /** The kernel for a job with several candidates: the tuned winner, else the built-in rule's pick (queued for tuning). */
  choose(req: TuneRequest): Kernel {
    return this.tuner.choose(req);
  }

  /** Tunes what the tuner has queued (at most its time budget); reads and sync() do this first, never inside a capture. */
  async tune(): Promise<void> {
    if (!this.tuner.queued || this.capture) return;
    this.flush();
    await this.tuner.run(this);
    this.throwIfFailed();
  }

  /**
   * A bind group of its own for a kernel (the tuner's, reused over many dispatches). Its
   * uniforms, if any, get a buffer of their own, pushed to `owned` for the caller to destroy
   * once the dispatches are done.
   */
  bindGroup(kernel: Kernel, buffers: GPUBuffer[], owned: GPUBuffer[]): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    if (kernel.uniforms) {
      const u = uniformBuffer(this.device, kernel.uniforms);
      owned.push(u);
      entries.push({ binding: buffers.length, resource: { buffer: u } });
    }
    return this.device.createBindGroup({ layout: this.pipeline(kernel).getBindGroupLayout(0), entries });
  }

  /** Records one dispatch of `kernel` over `bindings` (bound 0..n-1, uniforms at n): each a
   * whole buffer or a range of one (Tensor.binding; a view into a flat buffer). */
  dispatch(kernel: Kernel, bindings: readonly GPUBufferBinding[]): void {
    const pipeline = this.pipeline(kernel);
    const entries: GPUBindGroupEntry[] = bindings.map((resource, binding) => ({ binding, resource }));
    if (kernel.uniforms) {
      const bytes = kernel.uniforms.byteLength;
      if (this.uniformUsed + bytes > UNIFORM_CAPACITY) this.flush();
      const offset = this.uniformUsed;
      this.uniformHost.set(new Uint8Array(kernel.uniforms), offset);
      this.uniformUsed += Math.ceil(bytes / this.uniformAlign) * this.uniformAlign;
      entries.push({ binding: bindings.length, resource: { buffer: this.uniformBuffer, offset, size: bytes } });
    }
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    this.stats.bindGroups++;
    this.capture?.dispatch(kernel, pipeline, bindings);
    const pass = this.profiler ? this.timedPass(this.profiler.timestampWrites(kernel, bindings)) : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y, z] = kernel.workgroups;
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) this.commandEncoder(); // ends the timed pass
    this.lastKey = kernel.key;
    this.pendingDispatches++;
    this.stats.dispatches++;
    if (this.pendingDispatches >= SUBMIT_EVERY) this.flush();
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    return this.pass;
  }

  private timedPass(timestampWrites: GPUComputePassTimestampWrites): GPUComputePassEncoder {
    this.pass = this.commandEncoder().beginComputePass({ timestampWrites });
    return this.pass;
  }

  private commandEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  /** Zero-fills a range of a buffer in command order. */
  clear(buffer: GPUBuffer, offset = 0, size?: number): void {
    this.commandEncoder().clearBuffer(buffer, offset, size);
    this.capture?.clear(buffer, offset, size ?? buffer.size - offset);
    this.pendingDispatches++;
  }

  /** Copies in command order (cheaper than a kernel for contiguous data). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.capture?.copy(src, srcOffset, dst, dstOffset, bytes);
    this.pendingDispatches++;
    this.stats.copies++;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.uniformUsed) this.device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformHost, 0, this.uniformUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.uniformUsed = 0;
    this.pendingDispatches = 0;
    this.stats.submits++;
    this.throwIfFailed();
  }

  /** Writes host data into a buffer. queue.writeBuffer runs before any unsubmitted command,
   * and the buffer may have just been recycled from a tensor those commands still read,
   * so pending work is submitted first. */
  upload(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    if (this.pendingDispatches) this.flush();
    this.capture?.upload(buffer, data, offset);
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** `what` names the read for the error a capture raises (e.g. `.data() of #12[2,19]`). */
  read(buffer: GPUBuffer, bytes: number, offset = 0, what?: string): Promise<ArrayBuffer> {
    return this.readMany([{ buffer, bytes, offset }], undefined, what).then((b) => b[0]);
  }

  /** Several buffers in one submit and one map (a checkpoint reads hundreds of tensors;
   * one wait each would cost more than the copies). Chunked so staging stays bounded. */
  readMany(parts: readonly { buffer: GPUBuffer; bytes: number; offset?: number }[], chunkBytes = 256 << 20, what?: string): Promise<ArrayBuffer[]> {
    // Thrown synchronously, so the captured step itself fails at the read.
    if (this.capture) throw this.capture.hostRead(parts.map((p) => p.buffer), what);
    return this.readChunks(parts, chunkBytes);
  }

  private async readChunks(parts: readonly { buffer: GPUBuffer; bytes: number; offset?: number }[], chunkBytes: number): Promise<ArrayBuffer[]> {
    await this.tune();
    const out: ArrayBuffer[] = [];
    for (let start = 0; start < parts.length; ) {
      let end = start;
      let total = 0;
      while (end < parts.length && (end === start || total + parts[end].bytes <= chunkBytes)) total += Math.ceil(parts[end++].bytes / 4) * 4;
      const staging = this.takeStaging(Math.max(total, 4));
      const enc = this.commandEncoder();
      let at = 0;
      for (let i = start; i < end; i++) {
        const size = Math.ceil(parts[i].bytes / 4) * 4;
        if (size) enc.copyBufferToBuffer(parts[i].buffer, parts[i].offset ?? 0, staging, at, size);
        at += size;
      }
      this.flush();
      this.stats.reads++;
      try {
        await staging.mapAsync(GPUMapMode.READ);
      } catch (e) {
        staging.destroy();
        this.throwIfFailed();
        throw e;
      }
      const mapped = staging.getMappedRange();
      at = 0;
      for (let i = start; i < end; i++) {
        out.push(mapped.slice(at, at + parts[i].bytes));
        at += Math.ceil(parts[i].bytes / 4) * 4;
      }
      staging.unmap();
      this.giveStaging(staging);
      this.throwIfFailed();
      start = end;
    }
    return out;
  }

  /** The smallest idle staging buffer that holds `bytes`, else a new one rounded up to a
   * power of two (so reads of slightly different sizes reuse it). */
  private takeStaging(bytes: number): GPUBuffer {
    let best = -1;
    this.stagingFree.forEach((b, i) => {
      if (b.size >= bytes && (best < 0 || b.size < this.stagingFree[best].size)) best = i;
    });
    if (best >= 0) return this.stagingFree.splice(best, 1)[0];
    this.stats.stagingBuffers++;
    const size = bytes <= STAGING_KEEP_BYTES ? Math.max(256, 2 ** Math.ceil(Math.log2(bytes))) : bytes;
    return this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** Keeps a small buffer for the next read; a large one (a checkpoint's chunk) is freed. */
  private giveStaging(b: GPUBuffer): void {
    if (b.size > STAGING_KEEP_BYTES) return b.destroy();
    this.stagingFree.push(b);
    if (this.stagingFree.length > STAGING_KEEP) this.stagingFree.shift()!.destroy();
  }

  /** Waits for the GPU to finish everything submitted (benchmarks). */
  async sync(): Promise<void> {
    await this.tune();
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.lastError) {
      const e = this.lastError;
      this.lastError = null;
      throw new Error(e);
    }
  }

  destroy(): void {
    this.pass?.end();
    this.pass = null;
    this.encoder = null;
    this.pool.trim();
    this.uniformBuffer.destroy();
    for (const b of this.stagingFree.splice(0)) b.destroy();
    this.ctx.destroy();
  }
}

/** A uniform buffer holding `data` (16-byte padded), for a bind group that outlives one dispatch. */
export function uniformBuffer(device: GPUDevice, data: ArrayBuffer): GPUBuffer {
  const b = device.createBuffer({ size: Math.ceil(Math.max(data.byteLength, 16) / 16) * 16, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
  new Uint8Array(b.getMappedRange()).set(new Uint8Array(data));
  b.unmap();
  return b;
}

let current: Runtime | null = null;
let opening: Promise<Runtime> | null = null;

/** Opens the default runtime once; every op uses it. */
export async function initEngine(): Promise<Runtime> {
  if (current) return current;
  opening ??= acquireDevice().then((ctx) => (current = new Runtime(ctx)));
  return opening;
}

export function runtime(): Runtime {
  if (!current) throw new Error('engine not initialised: await initEngine() first');
  return current;
}

/** Destroys the device so the process can exit. */
export function shutdownEngine(): void {
  current?.destroy();
  current = null;
  opening = null;
}
