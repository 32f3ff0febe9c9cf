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

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
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
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) throw new Error('BufferPool.release: buffer does not belong to this pool');
    this.bytesInUse -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
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
