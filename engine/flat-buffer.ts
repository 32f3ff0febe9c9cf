import { runtime } from './runtime.js';
import { Storage, Tensor, sizeOf, type BufferOwner, type Shape } from './tensor.js';

/**
 * One GPU buffer holding many tensors, each a view of its own segment (multi-tensor
 * optimizers: parameters, gradients and moments in flat buffers, so one dispatch updates
 * them all). Segments start at a multiple of 256 bytes, WebGPU's largest permitted
 * minStorageBufferOffsetAlignment, so the layout is the same on every adapter and every
 * view can be bound at its offset; the padding between segments is zero and stays zero
 * (every kernel over the whole buffer maps zeros to zeros). A view is bound at its
 * padded segment, so, like a pooled buffer, a kernel never sees fewer bytes than its
 * tensor holds rounded up to 256. The buffer is destroyed when the owner and every view
 * have let go.
 */
export const SEGMENT_ALIGN = 256;

export interface FlatLayout {
  /** Element offset of each segment. */
  offsets: number[];
  /** Element count of each segment's tensor. */
  sizes: number[];
  /** Elements in all, padding included (a multiple of SEGMENT_ALIGN / 4). */
  total: number;
}

export function flatLayout(sizes: readonly number[]): FlatLayout {
  const per = SEGMENT_ALIGN / 4;
  const offsets: number[] = [];
  let at = 0;
  for (const n of sizes) {
    offsets.push(at);
    at += Math.max(per, Math.ceil(n / per) * per);
  }
  return { offsets, sizes: [...sizes], total: Math.max(per, at) };
}

/** The buffers of every live FlatBuffer (engine/capture.ts may place a value at a segment of one). */
const flatBuffers = new WeakSet<GPUBuffer>();

let liveBytes = 0;

/** Bytes of every live FlatBuffer (benchmarks: they sit outside the buffer pool's figures). */
export function flatBufferBytes(): number {
  return liveBytes;
}

/** Whether a buffer is a FlatBuffer's: segments padded to SEGMENT_ALIGN, padding no one reads. */
export function isFlatBuffer(b: GPUBuffer): boolean {
  return flatBuffers.has(b);
}

export class FlatBuffer implements BufferOwner {
  readonly buffer: GPUBuffer;
  private refs = 1;

  constructor(
    readonly layout: FlatLayout,
    readonly label = 'flat',
  ) {
    const rt = runtime();
    const align = rt.device.limits.minStorageBufferOffsetAlignment;
    if (SEGMENT_ALIGN % align !== 0) throw new Error(`${label}: the adapter's minStorageBufferOffsetAlignment ${align} does not divide ${SEGMENT_ALIGN}`);
    // WebGPU zero-fills a new buffer: the padding starts at zero.
    this.buffer = rt.device.createBuffer({ size: layout.total * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label });
    flatBuffers.add(this.buffer);
    liveBytes += this.buffer.size;
  }

  get segments(): number {
    return this.layout.offsets.length;
  }

  /** Bytes of segment i up to the next one (what a view binds). */
  private segmentBytes(i: number): number {
    const end = i + 1 < this.segments ? this.layout.offsets[i + 1] : this.layout.total;
    return (end - this.layout.offsets[i]) * 4;
  }

  /** A new tensor over segment i (it holds the buffer until disposed). */
  view(i: number, shape: Shape, name?: string): Tensor {
    if (sizeOf(shape) !== this.layout.sizes[i]) throw new Error(`${this.label}: segment ${i} holds ${this.layout.sizes[i]} values, not shape [${shape.join(',')}]`);
    this.refs++;
    return new Tensor(shape, new Storage(this.buffer, this.segmentBytes(i), this.layout.offsets[i] * 4, this), name);
  }

  /** Storage over segment i for Tensor.relocate (it holds the buffer until released). */
  storage(i: number): Storage {
    this.refs++;
    return new Storage(this.buffer, this.segmentBytes(i), this.layout.offsets[i] * 4, this);
  }

  /** The whole buffer as a kernel binds it. */
  get binding(): GPUBufferBinding {
    return { buffer: this.buffer };
  }

  /** Drops one hold (a view's, or the owner's); the last destroys the buffer. */
  release(): void {
    if (--this.refs !== 0) return;
    // Commands recorded but not yet submitted may still use it.
    runtime().flush();
    liveBytes -= this.buffer.size;
    this.buffer.destroy();
  }
}
