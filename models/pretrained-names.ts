/**
 * ImageNet-pretrained EfficientNet weights come under three namings: torchvision's (ours),
 * timm's and lukemelas' (EfficientNet-PyTorch). The names follow from the block table, so
 * the maps for B1..B7 are derived by the same rules as B0's
 * (../shared/reference/efficientnet_b0_keys.tsv): timm numbers blocks per stage
 * (blocks.{stage}.{index}), lukemelas over the whole network (_blocks.{blockId}).
 */
import {
  efficientNetParameters,
  numel,
  type EfficientNetConfig,
  type ParamSpec,
} from './efficientnet-config.js';
import { fromTorchLayout } from './torch-layout.js';

export const NAMINGS = ['torchvision', 'timm', 'lukemelas'] as const;
export type Naming = (typeof NAMINGS)[number];

/** A tensor as read from a file: PyTorch shape, values already f32. */
export interface SourceTensor {
  shape: readonly number[];
  data: Float32Array;
}

export interface OurTensor {
  shape: number[];
  data: Float32Array;
}

const STEM_SIGNATURE: Record<Naming, string> = {
  torchvision: 'features.0.0.weight',
  timm: 'conv_stem.weight',
  lukemelas: '_conv_stem.weight',
};

/** Our module prefix (torchvision's) -> the same module's prefix under `naming`. */
export function modulePrefixes(config: EfficientNetConfig, naming: Naming): Map<string, string> {
  const m = new Map<string, string>();
  const add = (ours: string, tv: string, timm: string, luke: string) =>
    m.set(ours, naming === 'torchvision' ? tv : naming === 'timm' ? timm : luke);
  const same = (ours: string, timm: string, luke: string) => add(ours, ours, timm, luke);

  same('features.0.0', 'conv_stem', '_conv_stem');
  same('features.0.1', 'bn1', '_bn0');
  for (const b of config.blocks) {
    const p = `features.${b.stage + 1}.${b.index}.block`;
    const t = `blocks.${b.stage}.${b.index}`;
    const l = `_blocks.${b.blockId}`;
    // timm's depthwise-separable block (no expansion) names its layers differently from its inverted-residual block.
    const expands = b.expandRatio !== 1;
    let layer = 0;
    if (expands) {
      same(`${p}.0.0`, `${t}.conv_pw`, `${l}._expand_conv`);
      same(`${p}.0.1`, `${t}.bn1`, `${l}._bn0`);
      layer++;
    }
    same(`${p}.${layer}.0`, `${t}.conv_dw`, `${l}._depthwise_conv`);
    same(`${p}.${layer}.1`, expands ? `${t}.bn2` : `${t}.bn1`, `${l}._bn1`);
    layer++;
    same(`${p}.${layer}.fc1`, `${t}.se.conv_reduce`, `${l}._se_reduce`);
    same(`${p}.${layer}.fc2`, `${t}.se.conv_expand`, `${l}._se_expand`);
    layer++;
    same(`${p}.${layer}.0`, expands ? `${t}.conv_pwl` : `${t}.conv_pw`, `${l}._project_conv`);
    same(`${p}.${layer}.1`, expands ? `${t}.bn3` : `${t}.bn2`, `${l}._bn2`);
  }
  const head = `features.${config.stages.length + 1}`;
  same(`${head}.0`, 'conv_head', '_conv_head');
  same(`${head}.1`, 'bn2', '_bn1');
  same('classifier.1', 'classifier', '_fc');
  return m;
}

function splitName(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  return [name.slice(0, dot), name.slice(dot + 1)];
}

/** Every parameter and buffer: our name -> its name under `naming`. */
export function pretrainedNameMap(config: EfficientNetConfig, naming: Naming): Map<string, string> {
  const prefixes = modulePrefixes(config, naming);
  const out = new Map<string, string>();
  for (const p of efficientNetParameters(config)) {
    const [module, leaf] = splitName(p.name);
    const theirs = prefixes.get(module);
    if (theirs === undefined) throw new Error(`pretrained names: no ${naming} name for module '${module}'`);
    out.set(p.name, `${theirs}.${leaf}`);
  }
  return out;
}

/** Which naming a file uses, from its stem's name; wrapper prefixes such as `module.` are not guessed at. */
export function detectNaming(names: Iterable<string>, file = 'weights'): Naming {
  const set = new Set(names);
  const found = NAMINGS.filter((n) => set.has(STEM_SIGNATURE[n]));
  if (found.length === 1) return found[0];
  if (found.length > 1) throw new Error(`${file}: holds EfficientNet stems under several namings (${found.join(', ')})`);
  const sample = [...set].slice(0, 3).join(', ');
  throw new Error(
    `${file}: not EfficientNet weights under torchvision, timm or lukemelas names: no ${NAMINGS.map((n) => `'${STEM_SIGNATURE[n]}'`).join(', ')} (first names: ${sample || 'none'})`,
  );
}

export interface ImportResult {
  naming: Naming;
  /** Our names, our layouts; every parameter and BN statistic except the classifier. */
  tensors: Map<string, OurTensor>;
  /** The file's names that were read but not used: the old head, BN step counters. */
  dropped: string[];
}

function isHead(p: ParamSpec): boolean {
  return p.name.startsWith('classifier.');
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Maps a pretrained file's tensors onto `config`: renames, checks every shape, converts
 * layouts. The ImageNet head is dropped (the model keeps its own, sized for its classes).
 * For 4 input channels a 3-channel stem gets a 4th filter channel, the mean of the RGB
 * ones, so the pretrained response to the new channel starts out like a grey image's.
 */
export function importPretrained(source: ReadonlyMap<string, SourceTensor>, config: EfficientNetConfig, file = 'weights'): ImportResult {
  const naming = detectNaming(source.keys(), file);
  const names = pretrainedNameMap(config, naming);
  const specs = efficientNetParameters(config);
  const what = `EfficientNet-${config.name.toUpperCase()} (${naming} names)`;

  const wanted = new Map<string, ParamSpec>();
  const droppable = new Set<string>();
  for (const p of specs) {
    const theirs = names.get(p.name)!;
    if (isHead(p)) droppable.add(theirs);
    else wanted.set(theirs, p);
    if (p.kind === 'running_var') droppable.add(`${splitName(theirs)[0]}.num_batches_tracked`);
  }

  const missing = [...wanted.keys()].filter((n) => !source.has(n));
  const unexpected = [...source.keys()].filter((n) => !wanted.has(n) && !droppable.has(n));
  if (missing.length || unexpected.length) {
    const parts: string[] = [];
    const more = (list: string[]) => (list.length > 1 ? ` (and ${list.length - 1} more)` : '');
    if (missing.length) parts.push(`missing tensor '${missing[0]}'${more(missing)}`);
    if (unexpected.length) parts.push(`unexpected tensor '${unexpected[0]}'${more(unexpected)}`);
    throw new Error(`${file}: does not match ${what}: ${parts.join('; ')}`);
  }

  const tensors = new Map<string, OurTensor>();
  for (const [theirs, p] of wanted) {
    const src = source.get(theirs)!;
    let shape = [...src.shape];
    let data = src.data;
    if (data.length !== numel(shape)) throw new Error(`${file}: tensor '${theirs}' holds ${data.length} values for shape ${fmt(shape)}`);
    if (p.name === 'features.0.0.weight' && config.inChannels === 4 && shape.length === 4 && shape[1] === 3) {
      ({ shape, data } = addMeanInputChannel(shape, data));
    }
    if (fmt(shape) !== fmt(p.torchShape))
      throw new Error(`${file}: tensor '${theirs}' has shape ${fmt(src.shape)}, ${what} needs ${fmt(p.torchShape)} for ${p.name}`);
    tensors.set(p.name, fromTorchLayout(p.layout, p.torchShape, data));
  }
  const dropped = [...source.keys()].filter((n) => droppable.has(n));
  return { naming, tensors, dropped };
}

/** OIHW [O, 3, H, W] -> [O, 4, H, W], channel 3 the mean of channels 0..2. */
function addMeanInputChannel(shape: number[], data: Float32Array): { shape: number[]; data: Float32Array } {
  const [O, , H, W] = shape;
  const k = H * W;
  const out = new Float32Array(O * 4 * k);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < 3; i++) out.set(data.subarray((o * 3 + i) * k, (o * 3 + i + 1) * k), (o * 4 + i) * k);
    for (let j = 0; j < k; j++) {
      const base = o * 3 * k + j;
      out[(o * 4 + 3) * k + j] = (data[base] + data[base + k] + data[base + 2 * k]) / 3;
    }
  }
  return { shape: [O, 4, H, W], data: out };
}
