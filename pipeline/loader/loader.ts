import { availableParallelism } from 'node:os';
import { Rng } from '../../engine/random.js';
import type { AugmentOptions } from '../augment.js';
import type { Channel, Dataset } from '../dataset.js';
import { multiHot, NUM_LABELS } from '../labels.js';
import { WorkerPool } from './pool.js';
import type { ImageJob } from './prepare.js';

export interface LoaderOptions {
  dataset: Dataset;
  /** Which items (e.g. one side of a split); all by default. */
  indices?: readonly number[];
  blend: readonly Channel[];
  batchSize: number;
  /** Shorter side after resizing (default 256) and the square centre crop (default 224). */
  resize?: number;
  crop?: number;
  /** Reshuffle each epoch (seeded by seed and epoch). */
  shuffle?: boolean;
  seed?: number;
  /** Training augmentation, seeded per (seed, epoch, image). */
  augment?: AugmentOptions;
  /** ImageNet mean/std (default true). */
  normalize?: boolean;
  /** Where resized channels are kept between epochs and runs; no cache when absent. */
  cacheDir?: string;
  /** Decode threads (default: cores - 1, at least 1; 0 = on this thread). */
  workers?: number;
  /** A pool to share (e.g. between the train and val loaders); the loader then leaves it
   * open on close(). */
  pool?: WorkerPool;
  /** Batches prepared ahead of the consumer (default 2). */
  prefetch?: number;
  /** Drop a last partial batch (training keeps batch statistics steady). */
  dropLast?: boolean;
}

export interface Batch {
  /** batch x crop x crop x channels, float32, NHWC. */
  x: Float32Array;
  /** batch x 19 multi-hot targets (zeros for a test set). */
  y: Float32Array;
  ids: string[];
  /** Images in this batch (the last one may be short). */
  size: number;
  /** Channels read from the disk cache instead of decoded. */
  cacheHits: number;
}

/** The per-image seed: independent of which worker runs the image or in what order. */
function imageRngState(seed: number, epoch: number, index: number): number[] {
  return new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0).state;
}

/**
 * Batches of model input from a Kaggle-layout dataset. Images are decoded and resized in a
 * small pool of worker threads, the resized channels are cached on disk, and the next
 * `prefetch` batches are already being prepared while the consumer (the GPU step) works.
 */
export class Loader {
  readonly resize: number;
  readonly crop: number;
  readonly channels: number;
  private pool: WorkerPool;
  private ownPool: boolean;
  private indices: number[];

  constructor(private opts: LoaderOptions) {
    this.resize = opts.resize ?? 256;
    this.crop = opts.crop ?? 224;
    this.channels = opts.blend.length;
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`loader: batch size must be a positive integer, got ${opts.batchSize}`);
    if (this.crop > this.resize) throw new Error(`loader: crop ${this.crop} is larger than resize ${this.resize}`);
    if (!opts.blend.length) throw new Error('loader: the blend has no channels');
    this.indices = [...(opts.indices ?? opts.dataset.items.map((_, i) => i))];
    for (const i of this.indices) if (!opts.dataset.items[i]) throw new Error(`loader: index ${i} is not in the dataset (${opts.dataset.items.length} items)`);
    this.ownPool = !opts.pool;
    this.pool = opts.pool ?? new WorkerPool(opts.workers ?? Math.max(1, availableParallelism() - 1));
  }

  get size(): number {
    return this.indices.length;
  }

  get batchesPerEpoch(): number {
    return this.opts.dropLast ? Math.floor(this.size / this.opts.batchSize) : Math.ceil(this.size / this.opts.batchSize);
  }

  /** The image order of an epoch. */
  order(epoch: number): number[] {
    const order = [...this.indices];
    if (this.opts.shuffle) new Rng(((this.opts.seed ?? 0) + Math.imul(epoch, 0x27d4eb2d)) >>> 0).shuffle(order);
    return order;
  }

  private job(index: number, epoch: number): ImageJob {
    const { dataset, blend, augment, seed = 0 } = this.opts;
    const item = dataset.items[index];
    return {
      id: item.id,
      files: blend.map((c) => dataset.channelPath(item.id, c)),
      channels: [...blend],
      resize: this.resize,
      crop: this.crop,
      augment: augment ? { options: augment, rngState: imageRngState(seed, epoch, index) } : undefined,
      normalize: this.opts.normalize ?? true,
      cacheDir: this.opts.cacheDir,
    };
  }

  private async batch(members: number[], epoch: number): Promise<Batch> {
    const per = this.crop * this.crop * this.channels;
    const x = new Float32Array(members.length * per);
    const y = new Float32Array(members.length * NUM_LABELS);
    const items = this.opts.dataset.items;
    const results = await Promise.all(members.map((i) => this.pool.run(this.job(i, epoch))));
    let cacheHits = 0;
    results.forEach((r, k) => {
      x.set(r.x, k * per);
      cacheHits += r.cacheHits;
      multiHot(items[members[k]].labels ?? [], y, k * NUM_LABELS);
    });
    return { x, y, ids: members.map((i) => items[i].id), size: members.length, cacheHits };
  }

  /** The batches of one epoch, in order, with the next ones prepared ahead; `fromBatch`
   * skips the first ones without loading them (resuming an interrupted epoch). */
  async *epoch(epoch = 0, fromBatch = 0): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const bs = this.opts.batchSize;
    const groups: number[][] = [];
    for (let s = fromBatch * bs; s < this.batchesPerEpoch * bs && s < order.length; s += bs) groups.push(order.slice(s, s + bs));
    // Batches being prepared while the consumer holds one (at least the next one).
    const ahead = Math.max(1, this.opts.prefetch ?? 2);
    const inflight: Promise<Batch>[] = [];
    let next = 0;
    const fill = () => {
      while (next < groups.length && inflight.length < ahead) {
        const p = this.batch(groups[next++], epoch);
        // A batch that fails while the consumer is busy is reported when it is reached,
        // not as an unhandled rejection (and never if the consumer stops first).
        p.catch(() => undefined);
        inflight.push(p);
      }
    };
    fill();
    while (inflight.length) {
      const b = await inflight.shift()!;
      fill();
      yield b;
    }
  }

  async close(): Promise<void> {
    if (this.ownPool) await this.pool.close();
  }
}
