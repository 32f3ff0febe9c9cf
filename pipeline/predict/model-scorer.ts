import type { EfficientNet } from '../../models/efficientnet.js';
import { modelFromCheckpoint, readCheckpoint } from '../../models/checkpoint.js';
import { parseBlend } from '../blend.js';
import { NUM_LABELS } from '../labels.js';
import type { TrainRecord } from '../train/options.js';
import { evalLogits, sigmoidAll } from '../train/eval-batch.js';
import { EvalForward, type StepMode } from '../train/steps.js';
import { PREDICT_DEFAULTS } from './predict.js';
import type { Scorer } from './scorer.js';

export interface ModelScorer extends Scorer {
  model: EfficientNet;
  /** The data folder the model was trained on (its training record's): for a tile model,
   * the tiles folder whose tiles.json says how to cut cells for it. */
  trainedOn?: string;
  dispose(): void;
}

/**
 * A trained checkpoint as predict's Scorer: the network in eval mode, and the input it was
 * trained on (blend, resize, crop) from the run's own record in the checkpoint metadata.
 * Needs the engine initialised.
 */
export function scorerFromCheckpoint(file: string, batchSize = PREDICT_DEFAULTS.batch, mode: StepMode = {}): ModelScorer {
  const ck = readCheckpoint(file);
  if (ck.config.numClasses !== NUM_LABELS) throw new Error(`${file}: the model has ${ck.config.numClasses} classes, HPA has ${NUM_LABELS}`);
  const options = (ck.training as Partial<TrainRecord>).options;
  if (!options?.blend || !options.size || !options.resize) throw new Error(`${file}: no training record (blend, size, resize) in the checkpoint metadata`);
  const blend = parseBlend(options.blend);
  if (blend.length !== ck.config.inChannels) throw new Error(`${file}: blend '${options.blend}' has ${blend.length} channels but the model takes ${ck.config.inChannels}`);
  const model = modelFromCheckpoint(ck).eval();
  const S = options.size;
  const forward = new EvalForward(model, mode);
  return {
    model,
    trainedOn: options.data,
    blend,
    resize: options.resize,
    crop: S,
    batchSize,
    async score(x: Float32Array, n: number): Promise<Float32Array> {
      return sigmoidAll(await evalLogits(forward, x, n, batchSize, S));
    },
    dispose: () => {
      forward.dispose();
      model.dispose();
    },
  };
}
