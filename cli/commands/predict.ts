import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { initEngine, shutdownEngine } from '../../engine/index.js';
import { scorerFromCheckpoint, type ModelScorer } from '../../pipeline/predict/model-scorer.js';
import { predictDataset } from '../../pipeline/predict/predict.js';
import { ProgressBar } from '../../pipeline/train/progress.js';
import { choiceFlag, intFlag, numberFlag } from '../flags.js';

interface Flags {
  data: string;
  split?: 'train' | 'test';
  imageModel: string;
  tileModel?: string;
  seg?: string;
  weight?: number;
  tta: 'none' | 'flip';
  tileSize: number;
  tileMargin: number;
  maskOthers?: boolean;
  batch: number;
  out: string;
  force?: boolean;
}

/** A Kaggle root with sample_submission.csv predicts the test set unless told otherwise. */
function defaultSplit(data: string): 'train' | 'test' | undefined {
  return existsSync(data) && statSync(data).isDirectory() && existsSync(join(data, 'sample_submission.csv')) ? 'test' : undefined;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('cell-level predictions: image-level and tile-level EfficientNet scores fused per cell, written as a Kaggle submission')
    .requiredOption('--data <dir>', 'Kaggle-layout folder (sample_submission.csv or train.csv) or a csv')
    .option('--split <which>', 'in a root with both csvs: train or test (default: test)', choiceFlag(['train', 'test'] as const))
    .requiredOption('--image-model <file>', 'image classifier checkpoint (train\'s best.safetensors)')
    .option('--tile-model <file>', 'tile classifier checkpoint (trained on `hpa-engine tiles` output)')
    .option('--seg <dir>', 'segmentation from `hpa-engine segment` ({ID}_cells.png); segments each field when absent')
    .option('--weight <w>', 'tile weight: fused = w * tile + (1 - w) * image (default 0.5)', numberFlag(0, 1))
    .option('--tta <mode>', 'test-time augmentation: none or flip', choiceFlag(['none', 'flip'] as const), 'none')
    .option('--tile-size <px>', 'tile side, as given to `hpa-engine tiles`', intFlag(1), 256)
    .option('--tile-margin <px>', 'tile margin, as given to `hpa-engine tiles`', intFlag(0), 0)
    .option('--mask-others', 'tiles were cut with --mask-others')
    .option('--batch <n>', 'images per GPU batch', intFlag(1), 16)
    .requiredOption('--out <csv>', 'submission csv (the scores file and masks go beside it)')
    .option('--force', 'replace existing outputs')
    .action(async (f: Flags) => {
      await initEngine();
      const scorers: ModelScorer[] = [];
      try {
        const image = scorerFromCheckpoint(f.imageModel, f.batch);
        scorers.push(image);
        const tile = f.tileModel ? scorerFromCheckpoint(f.tileModel, f.batch) : undefined;
        if (tile) scorers.push(tile);
        let bar: ProgressBar | undefined;
        const t0 = performance.now();
        const r = await predictDataset({
          data: f.data,
          split: f.split ?? defaultSplit(f.data),
          out: f.out,
          seg: f.seg,
          image,
          tile,
          weight: f.weight,
          tta: f.tta,
          tileOptions: { size: f.tileSize, margin: f.tileMargin, maskOthers: !!f.maskOthers },
          force: f.force,
          log: (line) => console.log(line),
          progress: (done, total) => {
            bar ??= new ProgressBar({ total, label: 'predict' });
            bar.update(done, { imagesPerSecond: done / ((performance.now() - t0) / 1000) });
            if (done === total) bar.finish();
          },
        });
        console.log(`${r.rows} rows, ${r.cells} cells, tile weight ${r.weight}: ${r.submission}`);
      } finally {
        for (const s of scorers) s.dispose();
        shutdownEngine();
      }
    });
}
