/** `hpa-engine/pipeline`: the HPA workflow as functions with typed options, the ones the
 * CLI calls: data, blends, synthetic fields, segmentation, tiles, training, prediction,
 * fusion, submissions and their scoring. */
export { openDataset, CHANNELS, type Dataset, type DatasetItem, type Channel, type OpenOptions } from './dataset.js';
export { LABEL_NAMES, NUM_LABELS, parseLabels, formatLabels, multiHot } from './labels.js';
export { BLENDS, parseBlend, readBlend, composite, writeBlendPng } from './blend.js';
export { readGray, writePng, decodeGray, encodePng, type GrayImage } from './png.js';
export { resizePlane, centerCrop, normalize, IMAGENET_MEAN, IMAGENET_STD } from './transforms.js';
export { augment, DEFAULT_AUGMENT, NO_AUGMENT, type AugmentOptions } from './augment.js';
export { writeGallery, GALLERY_DEFAULTS, type GalleryOptions, type GalleryResult } from './gallery/gallery.js';
export { labelStats, datasetStats, formatStatsTable, type LabelStats } from './stats.js';
export { randomSplit, stratifiedFolds, foldSplit, type Split } from './splits.js';
export { Loader, type LoaderOptions, type Batch } from './loader/loader.js';
export { WorkerPool } from './loader/pool.js';
export { writeSynthDataset, SYNTH_DEFAULTS, type SynthOptions, type SynthSummary } from './synth/write.js';
export { segmentField, SEGMENT_DEFAULTS, type SegmentOptions, type FieldChannels, type FieldSegmentation } from './segment/field.js';
export { segmentDataset, type SegmentRunOptions, type SegmentRunResult } from './segment/run.js';
export { readChannels } from './segment/channels.js';
export { compareField, formatComparison, type FieldComparison } from './segment/compare.js';
export { readLabelPng, writeLabelPng, type FieldInfo, type CellInfo } from './segment/output.js';
export { makeTiles, type MakeTilesOptions, type MakeTilesResult } from './tiles/make.js';
export { cropCell, TILE_DEFAULTS, type TileOptions } from './tiles/crop.js';
export { trainRun, RunExistsError, LAST, BEST, type TrainRunOptions, type TrainResult } from './train/run.js';
export { TRAIN_DEFAULTS, type TrainOptions } from './train/options.js';
export { sampleScores, MetricsAccumulator, type EpochMetrics } from './train/metrics.js';
export { predictDataset, PREDICT_DEFAULTS, type PredictOptions, type PredictResult } from './predict/predict.js';
export { scorerFromCheckpoint, type ModelScorer } from './predict/model-scorer.js';
export type { Scorer } from './predict/scorer.js';
export { fuseScores, readScores, writeScores, SWEEP_WEIGHTS, type FieldScores } from './fusion.js';
export { readSubmission, writeSubmission, formatSubmission, type SubmissionRow, type Prediction } from './submission.js';
export { encodeCounts, decodeCounts, maskToCounts, countsToMask } from './rle.js';
export { evaluateSubmission, sweepFusion, IOU_THRESHOLD, type EvalResult, type SweepRow } from './evaluate.js';
export { TruthSet, type TruthField } from './truth.js';
export { runDemo, formatDemoSummary, type DemoOptions, type DemoResult } from './demo/run.js';
export { smokeTrain, type SmokeResult } from './smoke-train.js';
