import type { BnPreset, Padding } from '../../models/efficientnet-config.js';
import type { PosWeightMode } from './pos-weight.js';
import type { Schedule } from './schedule.js';

/** Everything that defines a training run; saved in every checkpoint, so resuming needs none of it. */
export interface TrainOptions {
  data: string;
  out: string;
  model: string;
  /** The blend spec as given (rgb, ybr, rgby or a channel list). */
  blend: string;
  size: number;
  resize: number;
  batch: number;
  epochs: number;
  lr: number;
  /** How the rate moves over the run's steps (schedule.ts); runs saved before it was an option ran `constant`. */
  schedule: Schedule;
  /** BCE's pos_weight per class, from the training split (pos-weight.ts); older runs: `none`. */
  posWeight: PosWeightMode;
  /** Adam's L2 weight decay, PyTorch's semantics. */
  weightDecay: number;
  /** Hold-out fraction, used unless folds is set. */
  valSplit: number;
  folds?: number;
  fold?: number;
  seed: number;
  init?: string;
  padding: Padding;
  bn: BnPreset;
  augment: boolean;
  /** Resized channels kept here between epochs and runs (default RUN/cache); none if false. */
  cache: string | false;
  workers?: number;
}

export const TRAIN_DEFAULTS = {
  model: 'b0',
  blend: 'rgb',
  size: 224,
  resize: 256,
  batch: 16,
  epochs: 10,
  lr: 1e-3,
  schedule: 'constant' as Schedule,
  posWeight: 'none' as PosWeightMode,
  weightDecay: 0,
  valSplit: 0.25,
  seed: 0,
  padding: 'symmetric' as Padding,
  bn: 'torchvision' as BnPreset,
  augment: true,
};

/** Where a run stands, saved with each checkpoint. */
export interface TrainProgress {
  /** The epoch in progress (or the next one, with batch 0). */
  epoch: number;
  /** Batches of that epoch already trained. */
  batch: number;
  step: number;
  bestLoss: number;
  bestEpoch: number;
  /** The partial epoch's training metrics sums (MetricsAccumulator.state). */
  metrics: number[];
  /** Seconds and images trained so far in the partial epoch. */
  seconds: number;
  /** FNV-1a of the validation IDs: resuming on a changed dataset is refused. */
  splitHash: string;
}

export interface TrainRecord {
  options: TrainOptions;
  progress: TrainProgress;
}
