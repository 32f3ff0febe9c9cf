/** The demo's two sizes. The quick one must finish in under 10 minutes on a 2-core machine with
 * the software GPU (shader compilation included); the default is the one whose figures the
 * README reports. Networks train from scratch (no ImageNet weights offline), hence the
 * higher learning rate. */
export interface TrainPreset {
  size: number;
  epochs: number;
  batch: number;
  lr: number;
}

export interface DemoPreset {
  trainFields: number;
  testFields: number;
  fieldSize: number;
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
