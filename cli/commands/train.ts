import { join } from 'node:path';
import type { Command } from 'commander';
import { initEngine, shutdownEngine } from '../../engine/index.js';
import { showCompiles } from '../compile-notice.js';
import { MODEL_NAMES } from '../../models/efficientnet-config.js';
import { METRIC_HELP } from '../../pipeline/train/metrics.js';
import { TRAIN_DEFAULTS, type TrainOptions } from '../../pipeline/train/options.js';
import { ResumeConflictError } from '../../pipeline/train/resume.js';
import { RunExistsError, trainRun } from '../../pipeline/train/run.js';
import { blendSpec } from '../data-flags.js';
import { EXIT, UsageError } from '../errors.js';
import { choice, flag, int, num, text } from '../flags.js';
import { POS_WEIGHTS } from '../../pipeline/train/pos-weight.js';
import { SCHEDULES } from '../../pipeline/train/schedule.js';
import { bnPreset, modelName, padding } from '../model-flags.js';

/** The options as commander gives them: TrainOptions where the flag maps one to one. */
type Flags = Omit<TrainOptions, 'data' | 'out' | 'cache'> & {
  data?: string;
  out?: string;
  cache: string | boolean;
  resume?: string;
  force?: boolean;
  eager?: boolean;
};

/** The flags that map one to one onto TrainOptions keys (cache aside: --cache and --no-cache share it). */
const RUN_FLAGS = ['data', 'out', 'model', 'blend', 'size', 'resize', 'batch', 'epochs', 'lr', 'schedule', 'posWeight', 'weightDecay', 'valSplit', 'folds', 'fold', 'seed', 'init', 'padding', 'bn', 'augment', 'workers'] as const;

/** The flag a TrainOptions key came from, as it was typed (--cache and --no-cache share one value). */
export function trainFlagName(cmd: Command, key: string): string {
  const negated = cmd.getOptionValue(key) === false;
  return cmd.options.find((o) => o.attributeName() === key && o.negate === negated)?.long ?? cmd.options.find((o) => o.attributeName() === key)?.long ?? key;
}

/** Checks between flags, then the typed options of a new run, or with --resume the options given again. */
export function trainOptions(f: Flags, cmd: Command): { options?: TrainOptions; resumeWith?: Partial<TrainOptions> } {
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  if (f.resume) {
    const resumeWith: Partial<TrainOptions> = {};
    for (const k of RUN_FLAGS) if (given(k)) Object.assign(resumeWith, { [k]: f[k] });
    if (given('cache')) resumeWith.cache = f.cache === false ? false : String(f.cache);
    return { resumeWith };
  }
  if (!f.data || !f.out) throw new UsageError('--data and --out are required (or --resume RUN)');
  if ((f.fold !== undefined) !== (f.folds !== undefined)) throw new UsageError('--folds and --fold go together');
  if (f.folds !== undefined && f.fold! >= f.folds) throw new UsageError(`--fold ${f.fold} is not in 0..${f.folds - 1}`);
  if (f.folds !== undefined && given('valSplit')) throw new UsageError('--val-split and --folds are two ways to validate: give one');
  if (f.size > f.resize) throw new UsageError(`--size ${f.size} is larger than --resize ${f.resize}`);
  const options: TrainOptions = {
    data: f.data,
    out: f.out,
    model: f.model,
    blend: f.blend,
    size: f.size,
    resize: f.resize,
    batch: f.batch,
    epochs: f.epochs,
    lr: f.lr,
    schedule: f.schedule,
    posWeight: f.posWeight,
    weightDecay: f.weightDecay,
    valSplit: f.valSplit,
    folds: f.folds,
    fold: f.fold,
    seed: f.seed,
    init: f.init,
    padding: f.padding,
    bn: f.bn,
    augment: f.augment,
    cache: f.cache === false ? false : typeof f.cache === 'string' ? f.cache : join(f.out, 'cache'),
    workers: f.workers,
  };
  return { options };
}

/** Ctrl-C stopped the run cleanly: exit 130 with the way back in. */
class Stopped extends Error {
  readonly exitCode = EXIT.interrupted;
}

export function registerTrain(program: Command): void {
  const d = TRAIN_DEFAULTS;
  program
    .command('train')
    .description('train an EfficientNet image (or tile) classifier on a Kaggle-layout folder with BCE-with-logits and Adam')
    .addOption(flag({ flags: '--data <dir>', description: 'Kaggle-layout folder with train.csv (a tiles folder trains the tile classifier)', parse: text }))
    .addOption(flag({ flags: '--out <dir>', description: 'run folder: metrics.csv, curves.png, last.safetensors, best.safetensors', parse: text }))
    .addOption(flag({ flags: '--model <name>', description: `EfficientNet variant (${MODEL_NAMES.join(', ')})`, parse: modelName, default: d.model }))
    .addOption(blendSpec(d.blend, [3, 4]))
    .addOption(flag({ flags: '--size <px>', description: 'model input: square centre crop', parse: int(8, 4096), default: d.size }))
    .addOption(flag({ flags: '--resize <px>', description: 'shorter side before the crop', parse: int(8, 8192), default: d.resize }))
    .addOption(flag({ flags: '--batch <n>', description: 'images per step', parse: int(1, 4096), default: d.batch }))
    .addOption(flag({ flags: '--epochs <n>', description: 'epochs in all (a resumed run continues up to this)', parse: int(1, 100_000), default: d.epochs }))
    .addOption(flag({ flags: '--lr <rate>', description: 'Adam learning rate', parse: num(0, 10, { min: true }), default: d.lr }))
    .addOption(flag({ flags: '--schedule <name>', description: `learning-rate schedule over the run's steps: constant, or warmup-cosine (a linear ramp over the first 10% of steps, then half a cosine to 0)`, parse: choice(SCHEDULES), default: d.schedule }))
    .addOption(flag({ flags: '--pos-weight <mode>', description: "BCE pos_weight per class from the training split: none, balanced (negatives/positives, as torch's BCEWithLogitsLoss pos_weight) or sqrt (its square root)", parse: choice(POS_WEIGHTS), default: d.posWeight }))
    .addOption(flag({ flags: '--weight-decay <w>', description: "Adam's L2 weight decay (PyTorch semantics)", parse: num(0, 1), default: d.weightDecay }))
    .addOption(flag({ flags: '--val-split <f>', description: 'random validation fraction (0: no validation)', parse: num(0, 1, { max: true }), default: d.valSplit }))
    .addOption(flag({ flags: '--folds <n>', description: 'multilabel-stratified k-fold instead of a random split', parse: int(2, 100) }))
    .addOption(flag({ flags: '--fold <k>', description: 'which fold validates (0-based, with --folds)', parse: int(0, 99) }))
    .addOption(flag({ flags: '--seed <n>', description: 'seed for init, split, shuffling, augmentation and dropout', parse: int(0, 2 ** 32 - 1), default: d.seed }))
    .addOption(flag({ flags: '--init <file>', description: "ImageNet weights (safetensors, torchvision/timm/lukemelas names) or another run's checkpoint", parse: text }))
    .addOption(padding(d.padding))
    .addOption(bnPreset(d.bn))
    .option('--no-augment', 'no flips, rotations or skew')
    .addOption(flag({ flags: '--cache <dir>', description: 'keep resized channels here', parse: text, defaultText: 'RUN/cache' }))
    .option('--no-cache', 'decode every image every epoch')
    .addOption(flag({ flags: '--workers <n>', description: 'decode threads', parse: int(0, 256), defaultText: 'cores - 1' }))
    .addOption(flag({ flags: '--resume <dir>', description: 'continue a stopped run exactly (same optimizer moments, epoch, RNG and split), or extend a finished one with --epochs N; --lr changes the rate from here, any other flag must equal the run\'s', parse: text }))
    .option('--force', 'start over in a run folder that already holds a run')
    .option('--eager', 'run every op of every step as it is called instead of replaying the captured step (slower; same results)')
    .addHelpText('after', `\n${METRIC_HELP}\n\nCtrl-C stops after the current batch and writes RUN/last.safetensors (exit 130); --resume RUN continues.`)
    .action(async (f: Flags, cmd: Command) => {
      const { options, resumeWith } = trainOptions(f, cmd);
      await initEngine();
      showCompiles();
      try {
        const r = await trainRun({ options, resume: f.resume, resumeWith, force: f.force, eager: f.eager });
        if (r.stopped) throw new Stopped(`stopped; continue with: hpa-engine train --resume ${r.run}`);
        console.log(`best epoch ${r.best.epoch} (loss ${r.best.loss.toFixed(4)}): ${join(r.run, 'best.safetensors')}`);
      } catch (e) {
        if (e instanceof RunExistsError) throw new Error(`${e.message}; continue it with --resume ${e.run}, or use --force to start over`);
        if (e instanceof ResumeConflictError) throw new UsageError(`${trainFlagName(cmd, e.option)}: ${e.message}`);
        throw e;
      } finally {
        shutdownEngine();
      }
    });
}
