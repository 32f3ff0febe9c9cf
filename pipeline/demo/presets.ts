/** The demo's two sizes. The quick one must finish in under 10 minutes on a 2-core machine with
 * the software GPU (shader compilation included); the default is the one whose figures the
 * README reports. Networks train from scratch (no ImageNet weights offline), hence the
 * higher learning rate. */
import type { PosWeightMode } from '../train/pos-weight.js';
import type { Schedule } from '../train/schedule.js';

export interface TrainPreset {
  size: number;
  epochs: number;
  batch: number;
  lr: number;
  schedule?: Schedule;
  posWeight?: PosWeightMode;
  blend?: string;
}

export interface DemoPreset {
  trainFields: number;
  testFields: number;
  fieldSize: number;
  /** The range of cells per synthetic field (synth's default 3..30 when absent). */
  minCells?: number;
  maxCells?: number;
  seed: number;
  image: TrainPreset;
  tile: TrainPreset;
}

export const DEMO_PRESETS: Record<'quick' | 'full', DemoPreset> = {
  quick: {
    trainFields: 80,
    testFields: 16,
    fieldSize: 384,
    seed: 1,
    image: { size: 64, epochs: 10, batch: 16, lr: 3e-3 },
    tile: { size: 48, epochs: 6, batch: 32, lr: 3e-3 },
  },
  full: {
    trainFields: 240,
    testFields: 40,
    fieldSize: 512,
    seed: 1,
    image: { size: 128, epochs: 14, batch: 16, lr: 1e-3 },
    tile: { size: 48, epochs: 10, batch: 32, lr: 3e-3 },
  },
};
