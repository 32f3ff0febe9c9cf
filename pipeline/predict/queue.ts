import { NUM_LABELS } from '../labels.js';
import type { Scorer } from './scorer.js';

/** Test-time augmentation: none, or the mean of the image's and its mirror image's scores. */
export type Tta = 'none' | 'flip';

/** The mirror image (x -> w-1-x) of an interleaved w x h x c image. */
export function flipHorizontal(hwc: Float32Array, w: number, h: number, c: number): Float32Array {
  const out = new Float32Array(hwc.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c;
      const d = (y * w + w - 1 - x) * c;
      for (let k = 0; k < c; k++) out[d + k] = hwc[s + k];
    }
  }
  return out;
}

/** One queued input: its views' summed scores and who wants the mean. */
interface Entry {
  sum: Float64Array;
  views: number;
  left: number;
  done: (scores: number[]) => void;
}

/**
 * Fills a scorer's batches from inputs pushed one at a time (tiles of several fields share
 * a batch) and hands each input's scores back through its callback once its batch is run.
 * With flip TTA an input takes two slots, itself and its mirror, and gets the mean
 * probability. Batches run one at a time: push and flush wait for the network.
 */
export class ScoreQueue {
  private readonly per: number;
  private readonly x: Float32Array;
  private slots: Entry[] = [];
  /** Network inputs scored so far (views, so twice the inputs with flip). */
  scored = 0;

  constructor(
    private readonly scorer: Scorer,
    private readonly tta: Tta,
    private readonly name: string,
  ) {
    this.per = scorer.crop * scorer.crop * scorer.blend.length;
    this.x = new Float32Array(scorer.batchSize * this.per);
  }

  async push(x: Float32Array, done: (scores: number[]) => void): Promise<void> {
    if (x.length !== this.per) throw new Error(`${this.name} model: input of ${x.length} values, expected ${this.per}`);
    const { crop, blend } = this.scorer;
    const views = this.tta === 'flip' ? [x, flipHorizontal(x, crop, crop, blend.length)] : [x];
    const entry: Entry = { sum: new Float64Array(NUM_LABELS), views: views.length, left: views.length, done };
    for (const v of views) {
      this.x.set(v, this.slots.length * this.per);
      this.slots.push(entry);
      if (this.slots.length === this.scorer.batchSize) await this.run();
    }
  }

  /** Scores what is left in a partial batch. */
  async flush(): Promise<void> {
    if (this.slots.length) await this.run();
  }

  private async run(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    const n = slots.length;
    const x = n === this.scorer.batchSize ? this.x : this.x.slice(0, n * this.per);
    const p = await this.scorer.score(x, n);
    if (p.length !== n * NUM_LABELS) throw new Error(`${this.name} model: returned ${p.length} scores for ${n} inputs (expected ${n * NUM_LABELS})`);
    for (let i = 0; i < p.length; i++) {
      if (!(p[i] >= 0 && p[i] <= 1)) throw new Error(`${this.name} model: score ${p[i]} is not a probability (the model must end in a sigmoid)`);
    }
    this.scored += n;
    slots.forEach((e, k) => {
      for (let c = 0; c < NUM_LABELS; c++) e.sum[c] += p[k * NUM_LABELS + c];
      if (--e.left === 0) e.done(Array.from(e.sum, (s) => s / e.views));
    });
  }
}
