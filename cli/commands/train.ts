import { join } from 'node:path';
import type { Command } from 'commander';
import { initEngine, shutdownEngine } from '../../engine/index.js';
import { MODEL_NAMES } from '../../models/efficientnet-config.js';
import { METRIC_HELP } from '../../pipeline/train/metrics.js';
import { TRAIN_DEFAULTS, type TrainOptions } from '../../pipeline/train/options.js';
import { trainRun } from '../../pipeline/train/run.js';
import { choiceFlag, intFlag, numberFlag } from '../flags.js';

/** The options as commander gives them: TrainOptions where the flag maps one to one. */
type Flags = Omit<TrainOptions, 'data' | 'out' | 'cache'> & {
  data?: string;
  out?: string;
  cache: string | boolean;
  resume?: string;
  force?: boolean;
};

export function registerTrain(program: Command): void {
  const d = TRAIN_DEFAULTS;
  program
    .command('train')
    .description('train an EfficientNet image (or tile) classifier on a Kaggle-layout folder with BCE-with-logits and Adam')
    .option('--data <dir>', 'Kaggle-layout folder with train.csv (a tiles folder trains the tile classifier)')
    .option('--out <run>', 'run folder: metrics.csv, curves.png, last.safetensors, best.safetensors')
    .option('--model <name>', `EfficientNet variant (${MODEL_NAMES.join(', ')})`, choiceFlag(MODEL_NAMES), d.model)
    .option('--blend <spec>', 'rgb, ybr, rgby or a channel list such as green,red,blue', d.blend)
    .option('--size <px>', 'model input: square centre crop', intFlag(8), d.size)
    .option('--resize <px>', 'shorter side before the crop', intFlag(8), d.resize)
    .option('--batch <n>', 'images per step', intFlag(1), d.batch)
    .option('--epochs <n>', 'epochs in all (a resumed run continues up to this)', intFlag(1), d.epochs)
    .option('--lr <rate>', 'Adam learning rate', numberFlag(0, 10), d.lr)
    .option('--weight-decay <w>', "Adam's L2 weight decay (PyTorch semantics)", numberFlag(0, 1), d.weightDecay)
    .option('--val-split <f>', 'random validation fraction (0: no validation)', numberFlag(0, 1, false), d.valSplit)
    .option('--folds <n>', 'multilabel-stratified k-fold instead of a random split', intFlag(2))
    .option('--fold <k>', 'which fold validates (0-based, with --folds)', intFlag(0))
    .option('--seed <n>', 'seed for init, split, shuffling, augmentation and dropout', intFlag(0), d.seed)
    .option('--init <file>', 'ImageNet weights (safetensors, torchvision/timm/lukemelas names) or another run\'s checkpoint')
    .option('--padding <mode>', "symmetric (PyTorch) or same (TensorFlow 'SAME', for TF-ported weights)", choiceFlag(['symmetric', 'same'] as const), d.padding)
    .option('--bn <preset>', 'BatchNorm eps/momentum: torchvision or lukemelas', choiceFlag(['torchvision', 'lukemelas'] as const), d.bn)
    .option('--no-augment', 'no flips, rotations or skew')
    .option('--cache <dir>', 'keep resized channels here (default RUN/cache)')
    .option('--no-cache', 'decode every image every epoch')
    .option('--workers <n>', 'decode threads (default: cores - 1)', intFlag(0))
    .option('--resume <run>', 'continue a stopped run exactly (same options, optimizer moments, epoch, RNG and split)')
    .option('--force', 'start over in a run folder that already holds a run')
    .addHelpText('after', `\n${METRIC_HELP}\n\nCtrl-C stops after the current batch and writes RUN/last.safetensors; --resume RUN continues.`)
    .action(async (f: Flags, cmd: Command) => {
      if (f.resume) {
        const given = ['data', 'out', 'model', 'blend', 'size', 'resize', 'batch', 'lr', 'init'].filter((k) => cmd.getOptionValueSource(k) === 'cli');
        if (given.length) throw new Error(`--resume takes the run's own options; drop --${given.join(', --')}`);
      } else {
        if (!f.data || !f.out) throw new Error('train: --data and --out are required (or --resume RUN)');
        if ((f.fold !== undefined) !== (f.folds !== undefined)) throw new Error('--folds and --fold go together');
        if (f.folds !== undefined && f.fold! >= f.folds) throw new Error(`--fold ${f.fold} is not in 0..${f.folds - 1}`);
        if (f.size > f.resize) throw new Error(`--size ${f.size} is larger than --resize ${f.resize}`);
      }
      const options: TrainOptions | undefined = f.resume
        ? undefined
        : {
            data: f.data!,
            out: f.out!,
            model: f.model,
            blend: f.blend,
            size: f.size,
            resize: f.resize,
            batch: f.batch,
            epochs: f.epochs,
            lr: f.lr,
            weightDecay: f.weightDecay,
            valSplit: f.valSplit,
            folds: f.folds,
            fold: f.fold,
            seed: f.seed,
            init: f.init,
            padding: f.padding,
            bn: f.bn,
            augment: f.augment,
            cache: f.cache === false ? false : typeof f.cache === 'string' ? f.cache : join(f.out!, 'cache'),
            workers: f.workers,
          };
      await initEngine();
      try {
        const r = await trainRun({ options, resume: f.resume, force: f.force });
        if (!r.stopped) console.log(`best epoch ${r.best.epoch} (loss ${r.best.loss.toFixed(4)}): ${join(r.run, 'best.safetensors')}`);
      } finally {
        shutdownEngine();
      }
    });
}
