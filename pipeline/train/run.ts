import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as E from '../../engine/index.js';
import { writeFileAtomic } from '../../engine/io/atomic-write.js';
import { EfficientNet } from '../../models/efficientnet.js';
import { efficientNetConfig } from '../../models/efficientnet-config.js';
import { initFromPretrained, modelFromCheckpoint, optimizerFromCheckpoint, readCheckpoint, saveCheckpoint } from '../../models/checkpoint.js';
import { DEFAULT_AUGMENT } from '../augment.js';
import { parseBlend } from '../blend.js';
import { openDataset, type Dataset } from '../dataset.js';
import { NUM_LABELS } from '../labels.js';
import { Loader } from '../loader/loader.js';
import { WorkerPool } from '../loader/pool.js';
import { MetricsAccumulator, type EpochMetrics } from './metrics.js';
import type { TrainOptions, TrainProgress, TrainRecord } from './options.js';
import { ProgressBar, type ProgressStream } from './progress.js';
import { drawCurves, formatEpochRow, readMetricsCsv, writeMetricsCsv, EPOCH_HEADER, METRICS_CSV, CURVES_PNG, type EpochRow } from './run-log.js';
import { runSplit, splitHash } from './split.js';
import { StopSignal } from './interrupt.js';
import { applyResume } from './resume.js';
import { bceMean, evalLogits, sigmoidAll } from './eval-batch.js';
import { EvalForward, TrainStep, type TrainStepResult } from './steps.js';
import { posWeights } from './pos-weight.js';
import { scheduledLr } from './schedule.js';
import { TRAIN_DEFAULTS } from './options.js';

export const LAST = 'last.safetensors';
export const BEST = 'best.safetensors';

export interface TrainRunOptions {
  /** A new run; or `resume`, the folder of one to continue. */
  options?: TrainOptions;
  resume?: string;
  /** Options given again with `resume`: `epochs` extends the run, `lr` changes its rate,
   * any other must equal the run's own (resume.ts). */
  resumeWith?: Partial<TrainOptions>;
  force?: boolean;
  log?: (line: string) => void;
  progressStream?: ProgressStream;
  /** Run every step op by op instead of replaying captured ones (engine/capture.ts). Not part of
   * the run's record: a run may be resumed either way. */
  eager?: boolean;
  /** Called after every training batch is launched (tests use it to interrupt a run). */
  onBatch?: (epoch: number, batch: number) => void;
}

export interface TrainResult {
  run: string;
  rows: EpochRow[];
  best: { epoch: number; loss: number };
  /** Ctrl-C: the run stopped early and can be resumed. */
  stopped: boolean;
}

/** A run folder that already holds a run: resume it, or start over with `force`. */
export class RunExistsError extends Error {
  readonly option = 'force';
  constructor(
    readonly run: string,
    held: string[],
  ) {
    super(`${run}: already holds a run (${held.join(', ')})`);
  }
}

function refuseExistingRun(out: string, force: boolean | undefined): void {
  if (!existsSync(out) || force) return;
  const held = readdirSync(out).filter((f) => [LAST, BEST, METRICS_CSV, CURVES_PNG].includes(f));
  if (held.length) throw new RunExistsError(out, held);
}

function openTrainData(o: TrainOptions): { ds: Dataset; blend: ReturnType<typeof parseBlend> } {
  const blend = parseBlend(o.blend);
  if (blend.length !== 3 && blend.length !== 4) throw new Error(`blend ${o.blend}: EfficientNet takes 3 or 4 channels, the blend has ${blend.length}`);
  const ds = openDataset(o.data, { channels: blend });
  if (ds.kind === 'test') throw new Error(`${ds.csv ?? ds.imageDir}: a test set has no labels to train on (train needs train.csv)`);
  if (ds.items.length < 2) throw new Error(`${ds.csv}: training needs at least 2 images, found ${ds.items.length}`);
  return { ds, blend };
}

/** A fresh network for the options, or the checkpoint's, with its optimizer. */
function buildModel(o: TrainOptions, channels: number, resume?: ReturnType<typeof readCheckpoint>): { model: EfficientNet; opt: E.Adam; note?: string } {
  if (resume) {
    const model = modelFromCheckpoint(resume);
    return { model, opt: optimizerFromCheckpoint(resume, model) };
  }
  const config = efficientNetConfig(o.model, { inChannels: channels, numClasses: NUM_LABELS, padding: o.padding, bn: o.bn });
  const model = new EfficientNet(config, o.seed);
  // Every new run's 19-class head starts as a replaced nn.Linear's would, with or without
  // --init (whose head is new anyway): torchvision's 1000-class draw kept the loss above
  // the best constant answer for the quick demo's first ~100 steps (models/efficientnet.ts).
  model.freshClassifier(o.seed);
  let note: string | undefined;
  if (o.init) note = `initialised from ${o.init} (${initFromPretrained(model, o.init)} names; new ${NUM_LABELS}-class head)`;
  const opt = new E.Adam(Object.fromEntries(model.namedParameters()), { lr: o.lr, weightDecay: o.weightDecay });
  return { model, opt, note };
}

/**
 * `hpa-engine train`: EfficientNet on a Kaggle-layout folder with BCE-with-logits and
 * Adam; per-epoch metrics into RUN/metrics.csv and RUN/curves.png, RUN/last.safetensors
 * every epoch and RUN/best.safetensors at the best validation loss, both with the
 * optimizer state. Ctrl-C stops after the batch with a checkpoint that `resume` continues
 * exactly (same moments, epoch, RNG and split). Expects the engine to be initialised.
 */
export async function trainRun(r: TrainRunOptions): Promise<TrainResult> {
  const log = r.log ?? ((line: string) => console.log(line));
  let ck: ReturnType<typeof readCheckpoint> | undefined;
  let record: TrainRecord;
  if (r.resume) {
    const file = join(r.resume, LAST);
    if (!existsSync(file)) throw new Error(`${file}: not found (nothing to resume in ${r.resume})`);
    ck = readCheckpoint(file);
    record = ck.training as unknown as TrainRecord;
    if (!record?.options || !record.progress) throw new Error(`${file}: has no training record to resume from`);
    // Runs saved before these were options trained with what is now their default.
    record.options.schedule ??= TRAIN_DEFAULTS.schedule;
    record.options.posWeight ??= TRAIN_DEFAULTS.posWeight;
    record.options.out = r.resume;
    for (const note of applyResume(record, r.resume, r.resumeWith ?? {}).notes) log(`resuming ${r.resume}: ${note}`);
  } else {
    if (!r.options) throw new Error('train: no options and nothing to resume');
    refuseExistingRun(r.options.out, r.force);
    record = { options: r.options, progress: { epoch: 0, batch: 0, step: 0, bestLoss: Infinity, bestEpoch: 0, metrics: [], seconds: 0, splitHash: '' } };
  }
  const o = record.options;
  const { ds, blend } = openTrainData(o);
  const split = runSplit(ds, o);
  const hash = splitHash(ds, split);
  if (ck && record.progress.splitHash !== hash) {
    throw new Error(`${o.data}: the validation split differs from the run's (${record.progress.splitHash} then, ${hash} now): the data changed since the run started`);
  }
  const progress: TrainProgress = { ...record.progress, splitHash: hash };
  if (!ck && o.epochs < 1) throw new Error(`epochs must be at least 1, got ${o.epochs}`);
  mkdirSync(o.out, { recursive: true });
  const { model, opt, note } = buildModel(o, blend.length, ck);
  if (note) log(note);
  opt.lr = o.lr; // a resumed run may have been given a new rate
  // A short last training batch never reaches the step (the loader drops it unless it is
  // the only one): padding it would change BN's batch statistics, and its own program
  // would be captured once per run. Validation pads instead (evalLogits): one shape.
  const steps = { eager: r.eager, log };
  const posWeight = posWeights(o.posWeight, split.train.map((i) => ds.items[i].labels ?? []));
  if (posWeight) log(`pos_weight (${o.posWeight}, from the ${split.train.length} training images): ${Array.from(posWeight, (w) => w.toFixed(2)).join(' ')}`);
  const trainStep = new TrainStep(model, opt, { ...steps, posWeight });
  const evalForward = new EvalForward(model, steps);

  const pool = new WorkerPool(o.workers ?? Math.max(1, availableParallelism() - 1));
  const common = { dataset: ds, blend, resize: o.resize, crop: o.size, pool, cacheDir: o.cache === false ? undefined : o.cache };
  const train = new Loader({ ...common, indices: split.train, batchSize: o.batch, shuffle: true, seed: o.seed, augment: o.augment ? DEFAULT_AUGMENT : undefined, dropLast: split.train.length > o.batch });
  const val = split.val.length ? new Loader({ ...common, indices: split.val, batchSize: o.batch }) : null;
  // Rows past the checkpoint (a crash between the csv and the checkpoint) are dropped.
  const rows = ck && existsSync(join(o.out, METRICS_CSV)) ? readMetricsCsv(o.out).filter((row) => row.epoch <= progress.epoch) : [];
  const stop = new StopSignal((msg) => log(msg));
  const save = async (file: string) => saveCheckpoint(file, model, { optimizer: opt, training: { options: o, progress } as unknown as Record<string, unknown> });
  const S = o.size;
  const C = blend.length;
  let stopped = false;
  log(
    `EfficientNet-${model.config.name.toUpperCase()}, ${C} channels (${blend.join(',')}), ${S}x${S}; ${split.train.length} train / ${split.val.length} val images; batch ${o.batch}, Adam lr ${o.lr}${o.schedule === 'constant' ? '' : ` (${o.schedule})`}`,
  );
  // Without results (Dawn's null backend) the guard's flag is noise: stopping on it would
  // make the step-time measurement this backend exists for impossible through `train`.
  const believeReads = E.runtime().computes;
  if (!believeReads) log('the null backend runs no GPU work: losses, metrics and checkpoints are meaningless and the non-finite guard is not checked (host cost only)');
  const totalSteps = o.epochs * train.batchesPerEpoch;
  const firstEpoch = progress.epoch;
  try {
    for (let epoch = progress.epoch; epoch < o.epochs && !stopped; epoch++) {
      model.train();
      const acc = progress.batch ? MetricsAccumulator.fromState(progress.metrics) : new MetricsAccumulator();
      const bar = new ProgressBar({ total: train.batchesPerEpoch, label: `epoch ${epoch + 1}/${o.epochs}`, stream: r.progressStream });
      const t0 = performance.now() - progress.seconds * 1000;
      let batch = progress.batch;
      // Step t's results are read while step t + 1 runs: the host never waits on the GPU
      // inside an epoch. The GPU guard has already kept a non-finite step (and any launched
      // after it) from the weights by the time the host sees it here.
      let pending: { result: Promise<TrainStepResult>; y: Float32Array; size: number } | null = null;
      const settle = async () => {
        if (!pending) return;
        const { result, y, size } = pending;
        pending = null;
        const out = await result;
        progress.step++;
        batch++;
        if (!out.finite && believeReads) {
          bar.finish();
          const what = Number.isFinite(out.loss) ? 'the gradient norm is not finite' : `the training loss is ${out.loss}`;
          throw new Error(`epoch ${epoch + 1}, batch ${batch} (step ${progress.step}): ${what}; stopped without saving, so ${join(o.out, LAST)} keeps the last good state (try a lower learning rate)`);
        }
        acc.add(out.probs, y, size, out.loss);
        const m = acc.result();
        bar.update(batch, { loss: m.loss, imagesPerSecond: m.images / ((performance.now() - t0) / 1000) });
      };
      const stopMidEpoch = async () => {
        await settle();
        Object.assign(progress, { epoch, batch, metrics: acc.state, seconds: (performance.now() - t0) / 1000 });
        bar.finish();
        await save(join(o.out, LAST));
        log(`stopped in epoch ${epoch + 1} after batch ${batch}; ${join(o.out, LAST)} written`);
        stopped = true;
      };
      let launched = progress.batch;
      for await (const b of train.epoch(epoch, progress.batch)) {
        // Ctrl-C is honoured between steps: the step in flight is finished and counted.
        if (stop.requested && launched < train.batchesPerEpoch) {
          await stopMidEpoch();
          break;
        }
        opt.lr = scheduledLr(o.schedule, o.lr, epoch * train.batchesPerEpoch + launched, totalSteps);
        const result = trainStep.run(b.x, [b.size, S, S, C], b.y, [b.size, NUM_LABELS]);
        // Awaited by the next settle(); this only keeps a run that stops first from leaving
        // its rejection unhandled.
        result.catch(() => {});
        launched++;
        await settle();
        pending = { result, y: b.y, size: b.size };
        r.onBatch?.(epoch, launched);
      }
      if (!stopped) await settle();
      if (stopped) break;
      bar.finish();
      const seconds = (performance.now() - t0) / 1000;
      const trainMetrics = acc.result();
      const valMetrics = val ? await evaluate(evalForward, val, S, o.batch, posWeight) : undefined;
      const row: EpochRow = { epoch: epoch + 1, train: trainMetrics, val: valMetrics, lr: opt.lr, seconds, imagesPerSecond: trainMetrics.images / seconds };
      rows.push(row);
      writeMetricsCsv(o.out, rows);
      drawCurves(o.out, rows);
      if (epoch === firstEpoch) log(EPOCH_HEADER);
      log(formatEpochRow(row));
      const score = (valMetrics ?? trainMetrics).loss;
      const isBest = score < progress.bestLoss;
      if (isBest) Object.assign(progress, { bestLoss: score, bestEpoch: epoch + 1 });
      Object.assign(progress, { epoch: epoch + 1, batch: 0, metrics: [], seconds: 0 });
      await save(join(o.out, LAST));
      if (isBest) copyAtomic(join(o.out, LAST), join(o.out, BEST));
      if (stop.requested && epoch + 1 < o.epochs) {
        log(`stopped after epoch ${epoch + 1}`);
        stopped = true;
      }
    }
  } finally {
    stop.dispose();
    await train.close();
    await val?.close();
    await pool.close();
    trainStep.dispose();
    evalForward.dispose();
    model.dispose();
    opt.dispose();
  }
  return { run: o.out, rows, best: { epoch: progress.bestEpoch, loss: progress.bestLoss }, stopped };
}

function copyAtomic(from: string, to: string): void {
  writeFileAtomic(to, readFileSync(from));
}

/** Eval-mode loss and metrics over a loader (BN running statistics, no dropout); a short
 * last batch is padded to the batch size so it reuses the compiled kernels. */
async function evaluate(forward: EvalForward, loader: Loader, S: number, batch: number, posWeight?: Float32Array): Promise<EpochMetrics> {
  const model = forward.model;
  model.eval();
  const acc = new MetricsAccumulator();
  for await (const b of loader.epoch(0)) {
    const logits = await evalLogits(forward, b.x, b.size, batch, S);
    acc.add(sigmoidAll(logits), b.y, b.size, bceMean(logits, b.y, posWeight));
  }
  model.train();
  return acc.result();
}
