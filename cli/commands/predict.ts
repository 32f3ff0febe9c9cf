import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { initEngine, shutdownEngine } from '../../engine/index.js';
import { showCompiles } from '../compile-notice.js';
import { scorerFromCheckpoint, type ModelScorer } from '../../pipeline/predict/model-scorer.js';
import { PREDICT_DEFAULTS, predictDataset } from '../../pipeline/predict/predict.js';
import { TILE_DEFAULTS, type TileOptions } from '../../pipeline/tiles/crop.js';
import { TileSettingsConflictError, tileOptionsForModel } from '../../pipeline/tiles/settings.js';
import { UsageError } from '../errors.js';
import { ProgressBar } from '../../pipeline/train/progress.js';
import { choice, flag, int, num, text } from '../flags.js';
import { jsonFlag, printJson, progressLog } from '../output.js';

interface Flags {
  data: string;
  split?: 'train' | 'test';
  imageModel: string;
  tileModel?: string;
  seg?: string;
  weight: number;
  tta: 'none' | 'flip';
  tileSize: number;
  tileMargin: number;
  maskOthers?: boolean;
  batch: number;
  out: string;
  overlay?: string;
  force?: boolean;
  eager?: boolean;
  json?: boolean;
}

const TILE_FLAGS = { size: '--tile-size', margin: '--tile-margin', maskOthers: '--mask-others' } as const;

/** How to cut cells for the tile model: as its tiles folder was cut (tiles.json), where it
 * says; a hand-given flag that disagrees is refused. Otherwise the flags, as before. */
function tileOptionsFor(tile: ModelScorer | undefined, f: Flags, cmd: Command): Partial<TileOptions> & { segmentScale?: number } {
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  const typed = { size: f.tileSize, margin: f.tileMargin, maskOthers: !!f.maskOthers };
  if (!tile?.trainedOn) return typed;
  try {
    const s = tileOptionsForModel(tile.trainedOn, {
      size: given('tileSize') ? f.tileSize : undefined,
      margin: given('tileMargin') ? f.tileMargin : undefined,
      maskOthers: given('maskOthers') ? !!f.maskOthers : undefined,
    });
    return s ? { size: s.size, margin: s.margin, maskOthers: s.maskOthers, segmentScale: f.seg ? undefined : s.segmentScale } : typed;
  } catch (e) {
    if (e instanceof TileSettingsConflictError) throw new UsageError(`${TILE_FLAGS[e.option]}: ${e.message}`);
    throw e;
  }
}

/** A Kaggle root with sample_submission.csv predicts the test set unless told otherwise. */
function defaultSplit(data: string): 'train' | 'test' | undefined {
  return existsSync(data) && statSync(data).isDirectory() && existsSync(join(data, 'sample_submission.csv')) ? 'test' : undefined;
}

export function registerPredict(program: Command): void {
  const d = PREDICT_DEFAULTS;
  program
    .command('predict')
    .description('cell-level predictions: image-level and tile-level EfficientNet scores fused per cell, written as a Kaggle submission')
    .addOption(flag({ flags: '--data <dir>', description: 'Kaggle-layout folder (sample_submission.csv or train.csv) or a csv', parse: text, required: true }))
    .addOption(flag({ flags: '--split <which>', description: 'in a root with both csvs: train or test', parse: choice(['train', 'test'] as const), defaultText: 'test' }))
    .addOption(flag({ flags: '--image-model <file>', description: "image classifier checkpoint (train's best.safetensors)", parse: text, required: true }))
    .addOption(flag({ flags: '--tile-model <file>', description: 'tile classifier checkpoint (trained on `hpa-engine tiles` output)', parse: text }))
    .addOption(flag({ flags: '--seg <dir>', description: 'segmentation from `hpa-engine segment` ({ID}_cells.png); segments each field when absent', parse: text }))
    .addOption(flag({ flags: '--weight <w>', description: 'tile weight: fused = w * tile + (1 - w) * image; 0 without --tile-model', parse: num(0, 1), default: d.weight }))
    .addOption(flag({ flags: '--tta <mode>', description: 'test-time augmentation: none or flip', parse: choice(['none', 'flip'] as const), default: d.tta }))
    .addOption(flag({ flags: '--tile-size <px>', description: 'tile side, as given to `hpa-engine tiles` (read from the tile model\'s TILES/tiles.json where it has one)', parse: int(8, 4096), default: TILE_DEFAULTS.size }))
    .addOption(flag({ flags: '--tile-margin <px>', description: 'tile margin, as given to `hpa-engine tiles` (read from TILES/tiles.json where it has one)', parse: int(0, 4096), default: TILE_DEFAULTS.margin }))
    .option('--mask-others', 'tiles were cut with --mask-others (read from TILES/tiles.json where it has one)')
    .addOption(flag({ flags: '--batch <n>', description: 'images per GPU batch', parse: int(1, 4096), default: d.batch }))
    .addOption(flag({ flags: '--out <dir>', description: 'output folder: submission.csv, scores.json (for evaluate --sweep) and masks/', parse: text, required: true }))
    .addOption(flag({ flags: '--overlay <dir>', description: 'also write {ID}_overlay.png per field: cells outlined, tagged with their top fused label and confidence', parse: text }))
    .option('--force', 'replace existing outputs')
    .option('--eager', 'run the forward op by op instead of replaying the captured one (slower; same scores)')
    .addOption(jsonFlag('the summary (rows, cells, tile weight, paths)'))
    .action(async (f: Flags, cmd: Command) => {
      const log = progressLog(f.json);
      await initEngine();
      showCompiles();
      const scorers: ModelScorer[] = [];
      try {
        const mode = { eager: f.eager, log };
        const image = scorerFromCheckpoint(f.imageModel, f.batch, mode);
        scorers.push(image);
        const tile = f.tileModel ? scorerFromCheckpoint(f.tileModel, f.batch, mode) : undefined;
        if (tile) scorers.push(tile);
        const tileOptions = tileOptionsFor(tile, f, cmd);
        let bar: ProgressBar | undefined;
        const t0 = performance.now();
        const r = await predictDataset({
          data: f.data,
          split: f.split ?? defaultSplit(f.data),
          out: f.out,
          seg: f.seg,
          image,
          tile,
          // Left to predict unless given: it knows the weight means nothing without a tile model.
          weight: cmd.getOptionValueSource('weight') === 'cli' ? f.weight : undefined,
          tta: f.tta,
          tileOptions,
          segmentScale: tileOptions.segmentScale,
          overlay: f.overlay,
          force: f.force,
          log,
          progress: (done, total) => {
            bar ??= new ProgressBar({ total, label: 'predict' });
            bar.update(done, { imagesPerSecond: done / ((performance.now() - t0) / 1000) });
            if (done === total) bar.finish();
          },
        });
        if (f.json) printJson({ ...r, seconds: (performance.now() - t0) / 1000 });
        else console.log(`${r.rows} rows, ${r.cells} cells, tile weight ${r.weight}: ${r.submission}`);
      } finally {
        for (const s of scorers) s.dispose();
        shutdownEngine();
      }
    });
}
