import { join } from 'node:path';
import { evaluateSubmission, sweepFusion, type EvalResult } from '../evaluate.js';
import { formatSweepTable } from '../evaluate-report.js';
import { readScores, SWEEP_WEIGHTS } from '../fusion.js';
import { scorerFromCheckpoint, type ModelScorer } from '../predict/model-scorer.js';
import { predictDataset, type PredictResult } from '../predict/predict.js';
import { segmentDataset } from '../segment/run.js';
import { writeSynthDataset } from '../synth/write.js';
import { makeTiles } from '../tiles/make.js';
import { TRAIN_DEFAULTS } from '../train/options.js';
import type { ProgressStream } from '../train/progress.js';
import { BEST, trainRun, type TrainResult } from '../train/run.js';
import { DEMO_PRESETS, type DemoPreset } from './presets.js';
import { refuseNonEmpty } from '../../engine/io/refuse-overwrite.js';

export interface DemoOptions {
  out: string;
  quick?: boolean;
  force?: boolean;
  log?: (line: string) => void;
  progressStream?: ProgressStream;
  /** Overrides of the preset (tests shrink it). */
  preset?: Partial<DemoPreset>;
}

export interface DemoResult {
  imageValF1: number;
  tileValF1: number;
  segmentationF1: number;
  /** Cell-level mAP of the test fields for tile weight 0 (image only), 1 (tile only) and 0.5 (fused). */
  mAP: { image: number | null; tile: number | null; fused: number | null };
  seconds: number;
  paths: Record<string, string>;
}

function valF1(r: TrainResult): number {
  const last = r.rows[r.rows.length - 1];
  return (last.val ?? last.train).f1;
}

/**
 * The whole workflow on synthetic fields that carry cell-level truth.
 * synth (train and held-out test fields) -> train the image model -> segment -> tiles ->
 * train the tile model -> segment the test fields -> predict (fused) -> evaluate, with the
 * tile-weight sweep from the cached scores. Expects the engine to be initialised.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const p: DemoPreset = { ...DEMO_PRESETS[o.quick ? 'quick' : 'full'], ...o.preset };
  refuseNonEmpty(o.out, o.force);
  const t0 = performance.now();
  const at = (name: string) => join(o.out, name);
  const paths = {
    train: at('train'),
    test: at('test'),
    imageRun: at('image-run'),
    segTrain: at('seg-train'),
    tiles: at('tiles'),
    tileRun: at('tile-run'),
    segTest: at('seg-test'),
    predict: at('predict'),
  };
  const step = (s: string) => log(`\n== ${s} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const force = o.force;

  step(`synth: ${p.trainFields} training and ${p.testFields} test fields of ${p.fieldSize} px`);
  writeSynthDataset(paths.train, { images: p.trainFields, size: p.fieldSize, seed: p.seed, force });
  writeSynthDataset(paths.test, { images: p.testFields, size: p.fieldSize, seed: p.seed + 1000, force });

  const train = async (data: string, out: string, t: DemoPreset['image']) =>
    trainRun({
      options: { ...TRAIN_DEFAULTS, data, out, size: t.size, resize: t.size, batch: t.batch, epochs: t.epochs, lr: t.lr, seed: p.seed, cache: join(out, 'cache') },
      force,
      log,
      progressStream: o.progressStream,
    });

  step(`train the image model: EfficientNet-B0, ${p.image.size} px, ${p.image.epochs} epochs`);
  const image = await train(paths.train, paths.imageRun, p.image);

  step('segment the training fields');
  segmentDataset({ data: paths.train, out: paths.segTrain, force });
  step('tiles: one per segmented cell, other cells masked, labelled with its true cell\'s labels');
  // Other cells masked out: a tile then shows one cell's protein, which is what its label describes.
  const tileOptions = { size: p.tile.size, margin: 0, maskOthers: true };
  const tiles = makeTiles({ data: paths.train, seg: paths.segTrain, out: paths.tiles, ...tileOptions, truthLabels: true, force });
  log(`${tiles.tiles} tiles`);

  step(`train the tile model: EfficientNet-B0, ${p.tile.size} px, ${p.tile.epochs} epochs`);
  const tile = await train(paths.tiles, paths.tileRun, p.tile);

  step('segment the test fields, scored against their true cells');
  const seg = segmentDataset({ data: paths.test, out: paths.segTest, compare: paths.test, force });
  const segmentationF1 = seg.overall?.f1 ?? seg.fields[0].comparison!.f1;

  step('predict the test fields: image and tile scores fused per cell (w = 0.5)');
  const scorers: ModelScorer[] = [];
  let predicted: PredictResult;
  try {
    const imageScorer = scorerFromCheckpoint(join(paths.imageRun, BEST));
    scorers.push(imageScorer);
    const tileScorer = scorerFromCheckpoint(join(paths.tileRun, BEST), p.tile.batch);
    scorers.push(tileScorer);
    predicted = await predictDataset({ data: paths.test, out: paths.predict, seg: paths.segTest, image: imageScorer, tile: tileScorer, weight: 0.5, tileOptions, force, log: () => {} });
  } finally {
    for (const s of scorers) s.dispose();
  }

  step('evaluate: cell-level mAP at mask IoU 0.6, and the tile-weight sweep');
  const fused: EvalResult = evaluateSubmission(predicted.submission, paths.test);
  const sweep = sweepFusion(readScores(predicted.scores), paths.test, SWEEP_WEIGHTS);
  log(formatSweepTable(sweep));
  const mapAt = (w: number) => sweep.find((r) => Math.abs(r.weight - w) < 1e-9)!.result.mAP;
  const result: DemoResult = {
    imageValF1: valF1(image),
    tileValF1: valF1(tile),
    segmentationF1,
    mAP: { image: mapAt(0), tile: mapAt(1), fused: fused.mAP },
    seconds: (performance.now() - t0) / 1000,
    paths: { ...paths, submission: predicted.submission, scores: predicted.scores },
  };
  return result;
}

export function formatDemoSummary(r: DemoResult): string {
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  const lines = [
    '',
    `image-level val F1 (image model)  ${r.imageValF1.toFixed(3)}`,
    `tile-level val F1 (tile model)    ${r.tileValF1.toFixed(3)}`,
    `segmentation F1 (IoU 0.6)         ${r.segmentationF1.toFixed(3)}`,
    `cell-level mAP, image only        ${f(r.mAP.image)}`,
    `cell-level mAP, tile only         ${f(r.mAP.tile)}`,
    `cell-level mAP, fused (w = 0.5)   ${f(r.mAP.fused)}`,
    `total ${r.seconds.toFixed(0)} s`,
    '',
    'artefacts:',
    ...Object.entries(r.paths).map(([k, v]) => `  ${k.padEnd(11)} ${v}`),
  ];
  return lines.join('\n');
}
