/**
 * GPU storage buffers recycled by size bucket. Buckets step four times per octave, so a
 * request wastes at most a quarter of its bucket; a training step that repeats the same
 * shapes reaches a steady state where `created` stops growing (tested).
 */
const MIN_BYTES = 256;

export function bucketBytes(bytes: number): number {
  const n = Math.max(MIN_BYTES, bytes);
  const octave = 2 ** Math.floor(Math.log2(n));
  const step = octave / 4;
  return Math.ceil(n / step) * step;
}

/** Sees every acquire and release (engine/capture.ts: lifetimes under capture, and
 * buffers a captured program reads that are released after it). */
export interface PoolObserver {
  acquired(buf: GPUBuffer): void;
  released(buf: GPUBuffer): void;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  /** Buffers a captured program writes on replay: released ones wait here until unpinned. */
  private pinned = new Map<GPUBuffer, boolean>();
  observer: PoolObserver | null = null;
  private sizes = new WeakMap<GPUBuffer, number>();
  /** Buffers ever created, bytes currently handed out and held (in use or free). */
  created = 0;
  bytesInUse = 0;
  bytesHeld = 0;
  peakBytesHeld = 0;

  constructor(private device: GPUDevice) {}

  acquire(bytes: number): GPUBuffer {
    const size = bucketBytes(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (!buf) {
      buf = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      this.sizes.set(buf, size);
      this.created++;
      this.bytesHeld += size;
      this.peakBytesHeld = Math.max(this.peakBytesHeld, this.bytesHeld);
    }
    this.bytesInUse += size;
    this.observer?.acquired(buf);
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) throw new Error('BufferPool.release: buffer does not belong to this pool');
    this.bytesInUse -= size;
    this.observer?.released(buf);
    if (this.pinned.has(buf)) {
      this.pinned.set(buf, true);
      return;
    }
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  /** Keeps a buffer out of the free list while a captured program may still write it. */
  pin(buf: GPUBuffer): void {
    if (!this.pinned.has(buf)) this.pinned.set(buf, false);
  }

  unpin(buf: GPUBuffer): void {
    const released = this.pinned.get(buf);
    this.pinned.delete(buf);
    if (!released) return;
    const size = this.sizes.get(buf)!;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  /** Whether the pool made this buffer (and so tracks its lifetime). */
  owns(buf: GPUBuffer): boolean {
    return this.sizes.has(buf);
  }

  /** Frees every idle buffer (e.g. between phases with different shapes). */
  trim(): void {
    for (const [size, list] of this.free) {
      for (const b of list) {
        b.destroy();
        this.bytesHeld -= size;
      }
    }
    this.free.clear();
  }
}
