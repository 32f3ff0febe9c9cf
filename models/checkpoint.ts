/**
 * Training checkpoints as safetensors: the model's state_dict under torchvision's names
 * and in PyTorch's layouts (so torchvision's efficientnet_bN loads the weights with
 * load_state_dict), the optimizer's moments beside them as `optimizer.<param>.<buffer>`,
 * and in the metadata the model config, the optimizer's settings and step counts, the
 * model's dropout RNG and whatever the trainer needs to resume. Written atomically.
 */
import * as E from '../engine/index.js';
import { EfficientNet } from './efficientnet.js';
import {
  BN_PRESETS,
  efficientNetParameters,
  scaledEfficientNetConfig,
  type BnPreset,
  type EfficientNetConfig,
  type Padding,
  type ParamSpec,
  type Scaling,
} from './efficientnet-config.js';
import { readSafetensors, writeSafetensors, type StoredTensor, type TensorToWrite } from './safetensors.js';
import { fromTorchLayout, toTorchLayout } from './torch-layout.js';
import { importPretrained, type OurTensor } from './pretrained-names.js';

export const CHECKPOINT_FORMAT = 'hpa-engine/checkpoint';
const VERSION = '1';
const OPTIMIZER_PREFIX = 'optimizer.';

/** What rebuilds the network: enough to call scaledEfficientNetConfig again. */
export interface ModelSpec {
  name: string;
  scaling: Scaling;
  inChannels: number;
  numClasses: number;
  padding: Padding;
  bn: BnPreset;
  stages: number;
}

export function modelSpec(c: EfficientNetConfig): ModelSpec {
  return { name: c.name, scaling: c.scaling, inChannels: c.inChannels, numClasses: c.numClasses, padding: c.padding, bn: c.bn.preset, stages: c.stages.length };
}

export function configFromSpec(s: ModelSpec): EfficientNetConfig {
  return scaledEfficientNetConfig(s.scaling, { inChannels: s.inChannels, numClasses: s.numClasses, padding: s.padding, bn: s.bn, stages: s.stages }, s.name);
}

/** Adam/AdamW settings and per-parameter step counts, as the metadata stores them. */
export interface OptimizerMeta {
  type: 'Adam' | 'AdamW';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  steps: Record<string, number>;
}

export interface Checkpoint {
  file: string;
  spec: ModelSpec;
  config: EfficientNetConfig;
  /** Model tensors by name, in our layouts. */
  weights: Map<string, OurTensor>;
  optimizer?: { meta: OptimizerMeta; tensors: Map<string, OurTensor> };
  modelRng: number[];
  /** The trainer's own record (epoch, split, options, RNG states), as it saved it. */
  training: Record<string, unknown>;
}

function specsByName(config: EfficientNetConfig): Map<string, ParamSpec> {
  return new Map(efficientNetParameters(config).map((p) => [p.name, p]));
}

export interface SaveOptions {
  optimizer?: E.Adam;
  training?: Record<string, unknown>;
}

/** Reads the model (and optimizer) back from the GPU and writes FILE atomically, replacing it. */
export async function saveCheckpoint(file: string, model: EfficientNet, o: SaveOptions = {}): Promise<void> {
  const specs = specsByName(model.config);
  const tensors = new Map<string, TensorToWrite>();
  const named = model.namedTensors();
  const optState = o.optimizer?.state();
  const optNamed = Object.entries(optState?.tensors ?? {});
  const values = await E.readAll([...named, ...optNamed].map(([, t]) => t));
  named.forEach(([name], i) => {
    const spec = specs.get(name)!;
    tensors.set(name, toTorchLayout(spec.layout, spec.torchShape, values[i]));
  });
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    version: VERSION,
    layout: 'pytorch',
    model: JSON.stringify(modelSpec(model.config)),
    model_rng: JSON.stringify(model.rng.state),
    training: JSON.stringify(o.training ?? {}),
  };
  if (o.optimizer) {
    const opt = o.optimizer;
    const state = optState!;
    optNamed.forEach(([key], i) => {
      const spec = specs.get(key.slice(0, key.lastIndexOf('.')));
      if (!spec) throw new Error(`${file}: optimizer state '${key}' belongs to no model parameter`);
      tensors.set(OPTIMIZER_PREFIX + key, toTorchLayout(spec.layout, spec.torchShape, values[named.length + i]));
    });
    const meta: OptimizerMeta = {
      type: opt.decoupled ? 'AdamW' : 'Adam',
      lr: opt.lr,
      beta1: opt.beta1,
      beta2: opt.beta2,
      eps: opt.eps,
      weightDecay: opt.weightDecay,
      steps: state.steps,
    };
    metadata.optimizer = JSON.stringify(meta);
  }
  writeSafetensors(file, tensors, metadata, { overwrite: true });
}

function parseJson<T>(file: string, key: string, text: string | undefined): T {
  if (text === undefined) throw new Error(`${file}: checkpoint metadata has no '${key}'`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file}: checkpoint metadata '${key}' is not valid JSON`);
  }
}

function checkSpec(file: string, s: ModelSpec): void {
  const bad = (what: string) => new Error(`${file}: checkpoint model config has ${what}`);
  if (!s || typeof s !== 'object') throw bad('no object');
  if (typeof s.name !== 'string') throw bad('no name');
  if (!s.scaling || typeof s.scaling.width !== 'number' || typeof s.scaling.depth !== 'number') throw bad('no scaling');
  if (!(s.bn in BN_PRESETS)) throw bad(`an unknown BN preset '${String(s.bn)}'`);
}

function checkTensor(file: string, name: string, t: StoredTensor, spec: ParamSpec): void {
  if (t.dtype !== 'F32') throw new Error(`${file}: tensor '${name}' is ${t.dtype}, a checkpoint holds F32`);
  if (t.shape.join(',') !== spec.torchShape.join(','))
    throw new Error(`${file}: tensor '${name}' has shape [${t.shape.join(', ')}], the model needs [${spec.torchShape.join(', ')}]`);
}

/** Reads and checks a checkpoint completely (names, dtypes, shapes) before anything touches a model. */
export function readCheckpoint(file: string): Checkpoint {
  const st = readSafetensors(file);
  const md = st.metadata;
  if (md.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${file}: not an hpa-engine checkpoint (metadata format '${md.format ?? 'none'}'; pretrained weights are loaded with initFromPretrained)`);
  }
  if (md.version !== VERSION) throw new Error(`${file}: checkpoint version '${md.version}' is not supported (this build reads ${VERSION})`);
  const spec = parseJson<ModelSpec>(file, 'model', md.model);
  checkSpec(file, spec);
  let config: EfficientNetConfig;
  try {
    config = configFromSpec(spec);
  } catch (e) {
    throw new Error(`${file}: checkpoint model config: ${(e as Error).message}`);
  }
  const specs = specsByName(config);
  const weights = new Map<string, OurTensor>();
  const optTensors = new Map<string, OurTensor>();
  for (const [name, t] of st.tensors) {
    if (name.startsWith(OPTIMIZER_PREFIX)) {
      const key = name.slice(OPTIMIZER_PREFIX.length);
      const p = specs.get(key.slice(0, key.lastIndexOf('.')));
      if (!p || !p.trainable) throw new Error(`${file}: optimizer tensor '${name}' belongs to no trainable parameter`);
      checkTensor(file, name, t, p);
      optTensors.set(key, fromTorchLayout(p.layout, p.torchShape, t.data));
      continue;
    }
    const p = specs.get(name);
    if (!p) throw new Error(`${file}: unexpected tensor '${name}' for EfficientNet-${config.name.toUpperCase()}`);
    checkTensor(file, name, t, p);
    weights.set(name, fromTorchLayout(p.layout, p.torchShape, t.data));
  }
  const missing = [...specs.keys()].filter((n) => !weights.has(n));
  if (missing.length) throw new Error(`${file}: missing tensor '${missing[0]}'${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`);
  const optimizer = md.optimizer === undefined ? undefined : { meta: parseJson<OptimizerMeta>(file, 'optimizer', md.optimizer), tensors: optTensors };
  if (!optimizer && optTensors.size) throw new Error(`${file}: optimizer tensors without optimizer metadata`);
  const modelRng = parseJson<number[]>(file, 'model_rng', md.model_rng);
  if (!Array.isArray(modelRng) || modelRng.length !== 4) throw new Error(`${file}: checkpoint metadata 'model_rng' is not 4 numbers`);
  return { file, spec, config, weights, optimizer, modelRng, training: parseJson(file, 'training', md.training) };
}

/** Copies weights (our layouts, by name) into a live model; names and shapes must match. */
export function loadWeights(model: EfficientNet, weights: ReadonlyMap<string, OurTensor>, file: string, skip: (name: string) => boolean = () => false): void {
  for (const [name, t] of model.namedTensors()) {
    if (skip(name)) continue;
    const w = weights.get(name);
    if (!w) throw new Error(`${file}: no tensor for '${name}'`);
    if (w.shape.join(',') !== t.shape.join(',')) throw new Error(`${file}: '${name}' is [${w.shape.join(', ')}], the model needs [${t.shape.join(', ')}]`);
    t.write(w.data);
  }
}

/** The network a checkpoint holds, with its weights and dropout RNG. */
export function modelFromCheckpoint(ck: Checkpoint): EfficientNet {
  const model = new EfficientNet(ck.config);
  loadWeights(model, ck.weights, ck.file);
  model.rng = new E.Rng(ck.modelRng);
  return model;
}

/** An Adam/AdamW over `model` with the checkpoint's settings, moments and step counts. */
export function optimizerFromCheckpoint(ck: Checkpoint, model: EfficientNet): E.Adam {
  if (!ck.optimizer) throw new Error(`${ck.file}: holds no optimizer state (not a training checkpoint)`);
  const m = ck.optimizer.meta;
  const params = Object.fromEntries(model.namedParameters());
  const opts = { lr: m.lr, beta1: m.beta1, beta2: m.beta2, eps: m.eps, weightDecay: m.weightDecay };
  const opt = m.type === 'AdamW' ? new E.AdamW(params, opts) : new E.Adam(params, opts);
  const tensors: Record<string, E.Tensor> = {};
  try {
    for (const [key, t] of ck.optimizer.tensors) tensors[key] = E.tensor(t.data, t.shape);
    opt.loadState({ tensors, steps: m.steps });
  } catch (e) {
    opt.dispose();
    throw new Error(`${ck.file}: ${(e as Error).message}`);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  return opt;
}

/**
 * ImageNet weights under torchvision, timm or lukemelas names (or another
 * run's checkpoint) into every layer but the classifier, which keeps its fresh init sized
 * for this model's classes. Returns which naming the file used.
 */
export function initFromPretrained(model: EfficientNet, file: string): string {
  const st = readSafetensors(file);
  const source = new Map([...st.tensors].filter(([n]) => !n.startsWith(OPTIMIZER_PREFIX)));
  const imported = importPretrained(source, model.config, file);
  loadWeights(model, imported.tensors, file, (name) => name.startsWith('classifier.'));
  return imported.naming;
}
