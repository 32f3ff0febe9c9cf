/** `hpa-engine/models`: nn building blocks, EfficientNet B0..B7, checkpoints and
 * safetensors, ImageNet weight import (torchvision, timm, lukemelas names). */
export { Module, Container } from './module.js';
export { Conv2d, type Conv2dLayerOptions } from './nn/conv2d.js';
export { DepthwiseConv2d } from './nn/depthwise-conv2d.js';
export { BatchNorm2d } from './nn/batch-norm2d.js';
export { Linear } from './nn/linear.js';
export { ConvBnAct } from './nn/conv-bn-act.js';
export { SqueezeExcite } from './nn/squeeze-excite.js';
export { MBConv, type BlockContext } from './nn/mbconv.js';
export { EfficientNet } from './efficientnet.js';
export {
  MODEL_NAMES,
  SCALING,
  B0_STAGES,
  BN_PRESETS,
  EFFICIENTNET_DEFAULTS,
  efficientNetConfig,
  scaledEfficientNetConfig,
  efficientNetParameters,
  parameterCount,
  convPadding,
  isModelName,
  type ModelName,
  type Scaling,
  type Padding,
  type BnPreset,
  type EfficientNetOptions,
  type EfficientNetConfig,
  type StageConfig,
  type BlockConfig,
  type ParamSpec,
} from './efficientnet-config.js';
export { summarizeEfficientNet, formatEfficientNetSummary, type EfficientNetSummary } from './efficientnet-summary.js';
export {
  saveCheckpoint,
  readCheckpoint,
  modelFromCheckpoint,
  optimizerFromCheckpoint,
  initFromPretrained,
  loadWeights,
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type SaveOptions,
} from './checkpoint.js';
export { readSafetensors, writeSafetensors, encodeSafetensors, decodeSafetensors, readSafetensorsHeader, type Safetensors, type StoredTensor, type TensorToWrite } from './safetensors.js';
export { importPretrained, detectNaming, pretrainedNameMap, NAMINGS, type Naming } from './pretrained-names.js';
export { toTorchLayout, fromTorchLayout } from './torch-layout.js';
