import { join } from 'node:path';
import { evaluateSubmission, sweepFusion, type EvalResult } from '../evaluate.js';
import { formatSweepTable } from '../evaluate-report.js';
import { readScores, SWEEP_WEIGHTS } from '../fusion.js';
import { scorerFromCheckpoint, type ModelScorer } from '../predict/model-scorer.js';
import { predictDataset, type PredictResult } from '../predict/predict.js';
import { segmentDataset } from '../segment/run.js';
import { FIELD_CELLS } from '../synth/field.js';
import { writeSynthDataset } from '../synth/write.js';
import { makeTiles } from '../tiles/make.js';
import { TRAIN_DEFAULTS } from '../train/options.js';
import type { ProgressStream } from '../train/progress.js';
import { BEST, LAST, trainRun, type TrainResult } from '../train/run.js';
import { DEMO_PRESETS, type DemoPreset } from './presets.js';
import { refuseNonEmpty } from '../../engine/io/refuse-overwrite.js';

export interface DemoOptions {
  out: string;
  quick?: boolean;
  /** Also train a tile model on the synthetic cells' true labels (which no Kaggle user has)
   * and report it apart, as an upper bound for the weak-label tile model. */
  truthTiles?: boolean;
  force?: boolean;
  log?: (line: string) => void;
  progressStream?: ProgressStream;
  /** Overrides of the preset (tests shrink it). */
  preset?: Partial<DemoPreset>;
}

/** Cell-level mAP of the test fields for tile weight 0 (image only), 1 (tile only) and 0.5 (fused). */
export interface DemoMap {
  image: number | null;
  tile: number | null;
  fused: number | null;
}

export interface DemoResult {
  imageValF1: number;
  /** The tile model trained on weak labels: each tile carries its image's labels, as Kaggle gives them. */
  tileValF1: number;
  segmentationF1: number;
  mAP: DemoMap;
  /** With truthTiles: the tile model trained on the true cell labels, fused with the same image model. */
  truthTiles?: { tileValF1: number; mAP: DemoMap };
  seconds: number;
  paths: Record<string, string>;
}

function valF1(r: TrainResult): number {
  const last = r.rows[r.rows.length - 1];
  return (last.val ?? last.train).f1;
}

/** Which labels a tile carries: its image's (weak, what Kaggle gives) or its true cell's. */
type TileLabels = 'weak' | 'truth';

/**
 * The whole workflow on synthetic fields that carry cell-level truth, with the labels a
 * Kaggle user has: image labels for the image model, and the same image labels on every
 * tile for the tile model. synth (train and held-out test fields) -> segment -> tiles ->
 * train the tile model -> train the image model (from the tile model's backbone when the
 * preset says so) -> segment the test fields -> predict (fused) -> evaluate, with the
 * tile-weight sweep from the cached scores. With truthTiles the tile stages run a second
 * time on true cell labels (the image model still starts from the weak-label tile model,
 * as a Kaggle user's would). Expects the engine to be initialised.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const p: DemoPreset = { ...DEMO_PRESETS[o.quick ? 'quick' : 'full'], ...o.preset };
  refuseNonEmpty(o.out, o.force);
  const t0 = performance.now();
  const at = (name: string) => join(o.out, name);
  const dirs = {
    train: at('train'),
    test: at('test'),
    imageRun: at('image-run'),
    segTrain: at('seg-train'),
    tiles: at('tiles'),
    tileRun: at('tile-run'),
    segTest: at('seg-test'),
    predict: at('predict'),
  };
  const paths: Record<string, string> = { ...dirs };
  const step = (s: string) => log(`\n== ${s} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const force = o.force;

  step(`synth: ${p.trainFields} training and ${p.testFields} test fields of ${p.fieldSize} px${p.minCells || p.maxCells ? `, ${p.minCells ?? FIELD_CELLS.min}..${p.maxCells ?? FIELD_CELLS.max} cells each` : ''}`);
  const cells = { minCells: p.minCells, maxCells: p.maxCells };
  writeSynthDataset(dirs.train, { images: p.trainFields, size: p.fieldSize, seed: p.seed, force, ...cells });
  writeSynthDataset(dirs.test, { images: p.testFields, size: p.fieldSize, seed: p.seed + 1000, force, ...cells });

  const train = async (data: string, out: string, t: DemoPreset['image'], init?: string) =>
    trainRun({
      options: {
        ...TRAIN_DEFAULTS,
        data,
        out,
        size: t.size,
        resize: t.size,
        batch: t.batch,
        epochs: t.epochs,
        lr: t.lr,
        schedule: t.schedule ?? TRAIN_DEFAULTS.schedule,
        posWeight: t.posWeight ?? TRAIN_DEFAULTS.posWeight,
        blend: t.blend ?? TRAIN_DEFAULTS.blend,
        seed: p.seed,
        cache: join(out, 'cache'),
        ...(init ? { init } : {}),
      },
      force,
      log,
      progressStream: o.progressStream,
    });

  const how = (t: DemoPreset['image']) =>
    `EfficientNet-B0, ${t.blend ?? TRAIN_DEFAULTS.blend}, ${t.size} px, ${t.epochs} epochs, batch ${t.batch}, lr ${t.lr} ${t.schedule ?? TRAIN_DEFAULTS.schedule}, pos_weight ${t.posWeight ?? TRAIN_DEFAULTS.posWeight}`;

  step('segment the training fields');
  segmentDataset({ data: dirs.train, out: dirs.segTrain, force });

  // Other cells masked out: a tile then shows one cell's protein, which is what its label describes.
  const tileOptions = { size: p.tile.size, margin: 0, maskOthers: true };
  /** tiles -> tile model. */
  const trainTiles = async (labels: TileLabels, to: { tiles: string; tileRun: string }) => {
    const what = labels === 'weak' ? "its image's labels (weak, as Kaggle gives them)" : "its true cell's labels (synthetic truth: an upper bound)";
    step(`tiles: one per segmented cell, other cells masked, labelled with ${what}`);
    const tiles = makeTiles({ data: dirs.train, seg: dirs.segTrain, out: to.tiles, ...tileOptions, truthLabels: labels === 'truth', force });
    log(`${tiles.tiles} tiles`);
    step(`train the tile model: ${how(p.tile)}, on ${labels} tile labels`);
    return train(to.tiles, to.tileRun, p.tile);
  };
  const weakTile = await trainTiles('weak', dirs);

  // The tile model goes first: each field gives it several cells to learn the protein
  // patterns from, and its backbone (the same B0) starts the image model, which from
  // scratch learns next to nothing in the few hundred steps this machine affords (issue 12).
  // Its last checkpoint, not its best: the best is the lowest eval-mode val loss, which
  // BatchNorm's lagging running statistics make noisy this early, so it is often epoch 1.
  const imageInit = p.imageFromTile ? join(dirs.tileRun, LAST) : undefined;
  step(`train the image model: ${how(p.image)}, on image labels${imageInit ? `, its backbone initialised from the weak-label tile model (${imageInit})` : ', from scratch'}`);
  const image = await train(dirs.train, dirs.imageRun, p.image, imageInit);

  step('segment the test fields, scored against their true cells');
  const seg = segmentDataset({ data: dirs.test, out: dirs.segTest, compare: dirs.test, force });
  const segmentationF1 = seg.overall?.f1 ?? seg.fields[0].comparison!.f1;

  /** predict the test fields with the image model and a tile model -> evaluate with the sweep. */
  const predictStage = async (labels: TileLabels, tileRun: string, predictDir: string) => {
    step(`predict the test fields: image and ${labels}-label tile scores fused per cell (w = 0.5)`);
    const scorers: ModelScorer[] = [];
    let predicted: PredictResult;
    try {
      const imageScorer = scorerFromCheckpoint(join(dirs.imageRun, BEST));
      scorers.push(imageScorer);
      const tileScorer = scorerFromCheckpoint(join(tileRun, BEST), p.tile.batch);
      scorers.push(tileScorer);
      predicted = await predictDataset({ data: dirs.test, out: predictDir, seg: dirs.segTest, image: imageScorer, tile: tileScorer, weight: 0.5, tileOptions, force, log: () => {} });
    } finally {
      for (const s of scorers) s.dispose();
    }
    step(`evaluate (${labels}-label tiles): cell-level mAP at mask IoU 0.6, and the tile-weight sweep`);
    const fused: EvalResult = evaluateSubmission(predicted.submission, dirs.test);
    const sweep = sweepFusion(readScores(predicted.scores), dirs.test, SWEEP_WEIGHTS);
    log(formatSweepTable(sweep));
    const mapAt = (w: number) => sweep.find((r) => Math.abs(r.weight - w) < 1e-9)!.result.mAP;
    const mAP: DemoMap = { image: mapAt(0), tile: mapAt(1), fused: fused.mAP };
    return { mAP, predicted };
  };

  const weak = await predictStage('weak', dirs.tileRun, dirs.predict);
  Object.assign(paths, { submission: weak.predicted.submission, scores: weak.predicted.scores });
  let truthTiles: DemoResult['truthTiles'];
  if (o.truthTiles) {
    const truthDirs = { tiles: at('tiles-truth'), tileRun: at('tile-run-truth'), predict: at('predict-truth') };
    const truthTile = await trainTiles('truth', truthDirs);
    const t = await predictStage('truth', truthDirs.tileRun, truthDirs.predict);
    truthTiles = { tileValF1: valF1(truthTile), mAP: t.mAP };
    Object.assign(paths, { truthTiles: truthDirs.tiles, truthTileRun: truthDirs.tileRun, truthPredict: truthDirs.predict });
  }
  return {
    imageValF1: valF1(image),
    tileValF1: valF1(weakTile),
    segmentationF1,
    mAP: weak.mAP,
    truthTiles,
    seconds: (performance.now() - t0) / 1000,
    paths,
  };
}

export function formatDemoSummary(r: DemoResult): string {
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  const lines = [
    '',
    'labels seen: the image model its images\' labels; the tile model the same image labels on every tile (weak)',
    `image-level val F1 (image model)  ${r.imageValF1.toFixed(3)}`,
    `tile-level val F1 (tile model, against weak labels)  ${r.tileValF1.toFixed(3)}`,
    `segmentation F1 (IoU 0.6)         ${r.segmentationF1.toFixed(3)}`,
    `cell-level mAP, image only        ${f(r.mAP.image)}`,
    `cell-level mAP, tile only         ${f(r.mAP.tile)}`,
    `cell-level mAP, fused (w = 0.5)   ${f(r.mAP.fused)}`,
  ];
  if (r.truthTiles) {
    const t = r.truthTiles;
    lines.push(
      '',
      'upper bound: a tile model trained on the true cell labels (synthetic truth, which Kaggle does not give)',
      `tile-level val F1 (truth-label tile model)  ${t.tileValF1.toFixed(3)}`,
      `cell-level mAP, truth-label tile only       ${f(t.mAP.tile)}`,
      `cell-level mAP, fused with it (w = 0.5)     ${f(t.mAP.fused)}`,
    );
  }
  lines.push(`total ${r.seconds.toFixed(0)} s`, '', 'artefacts:', ...Object.entries(r.paths).map(([k, v]) => `  ${k.padEnd(12)} ${v}`));
  return lines.join('\n');
}
