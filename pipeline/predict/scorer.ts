import type { Channel } from '../dataset.js';

/** A trained network as predict sees it: what input it was trained on and a batched forward.
 * The model code (models/) builds one from a checkpoint; tests write their own. */
export interface Scorer {
  /** Channels in the blend order the model was trained on, e.g. ['red','green','blue']. */
  blend: Channel[];
  /** Shorter side before the centre crop. */
  resize: number;
  /** Model input size. */
  crop: number;
  batchSize: number;
  /** x: n*crop*crop*channels float32 NHWC, already normalised. Returns n*19 sigmoid scores.
   * x is reused once the promise settles: a scorer must not keep it. */
  score(x: Float32Array, n: number): Promise<Float32Array>;
}

/** Throws a one-line error naming the model (`image`, `tile`) when its settings cannot work. */
export function checkScorer(s: Scorer, name: string): void {
  const positive = (v: number) => Number.isInteger(v) && v > 0;
  if (!s.blend.length) throw new Error(`${name} model: the blend has no channels`);
  if (!positive(s.resize) || !positive(s.crop)) throw new Error(`${name} model: resize ${s.resize} and crop ${s.crop} must be positive integers`);
  if (s.crop > s.resize) throw new Error(`${name} model: crop ${s.crop} is larger than resize ${s.resize}`);
  if (!positive(s.batchSize)) throw new Error(`${name} model: batch size must be a positive integer, got ${s.batchSize}`);
}
