/** Flags that describe a network, shared by info and train. */
import { BN_PRESETS, MODEL_NAMES, type BnPreset, type ModelName, type Padding } from '../models/efficientnet-config.js';
import { choice, flag, type Parser } from './flags.js';

/** b0..b7, any case. */
export const modelName: Parser<ModelName> = (v) => {
  if (!(MODEL_NAMES as readonly string[]).includes(v.toLowerCase())) choice(MODEL_NAMES)(v);
  return v.toLowerCase() as ModelName;
};

export const padding = (d: Padding) =>
  flag({
    flags: '--padding <mode>',
    description: "symmetric (PyTorch) or same (TensorFlow 'SAME', for TF-ported weights)",
    parse: choice(['symmetric', 'same'] as const),
    default: d,
  });

export const bnPreset = (d: BnPreset) =>
  flag({
    flags: '--bn <preset>',
    description: `BatchNorm eps/momentum: ${Object.keys(BN_PRESETS).join(' or ')}`,
    parse: choice(Object.keys(BN_PRESETS) as BnPreset[]),
    default: d,
  });
