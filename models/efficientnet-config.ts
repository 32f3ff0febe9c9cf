/**
 * EfficientNet B0..B7 as data: compound scaling, the per-block table, and the list of
 * every parameter and buffer with its name and shape. The model code builds its Module
 * tree from this, the `info` command prints it, checkpoints and weight import check
 * files against it. Follows torchvision's efficientnet.py so that a user who brings
 * PyTorch weights gets the same network.
 */

export const MODEL_NAMES = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface Scaling {
  width: number;
  depth: number;
  resolution: number;
  dropout: number;
}

export const SCALING: Record<ModelName, Scaling> = {
  b0: { width: 1.0, depth: 1.0, resolution: 224, dropout: 0.2 },
  b1: { width: 1.0, depth: 1.1, resolution: 240, dropout: 0.2 },
  b2: { width: 1.1, depth: 1.2, resolution: 260, dropout: 0.3 },
  b3: { width: 1.2, depth: 1.4, resolution: 300, dropout: 0.3 },
  b4: { width: 1.4, depth: 1.8, resolution: 380, dropout: 0.4 },
  b5: { width: 1.6, depth: 2.2, resolution: 456, dropout: 0.4 },
  b6: { width: 1.8, depth: 2.6, resolution: 528, dropout: 0.5 },
  b7: { width: 2.0, depth: 3.1, resolution: 600, dropout: 0.5 },
};

/** B0's stages: (expand, kernel, stride, out, repeats). */
export const B0_STAGES: readonly (readonly [number, number, number, number, number])[] = [
  [1, 3, 1, 16, 1],
  [6, 3, 2, 24, 2],
  [6, 5, 2, 40, 2],
  [6, 3, 2, 80, 3],
  [6, 5, 1, 112, 3],
  [6, 5, 2, 192, 4],
  [6, 3, 1, 320, 1],
];
const B0_STEM = 32;
const STEM_KERNEL = 3;
const STEM_STRIDE = 2;
/** torchvision uses the same final stochastic-depth rate for every variant. */
const STOCHASTIC_DEPTH = 0.2;

export type Padding = 'symmetric' | 'same';
export type BnPreset = 'torchvision' | 'lukemelas';

/** Momentum in PyTorch's convention: running = (1 - momentum) * running + momentum * batch. */
export const BN_PRESETS: Record<BnPreset, { eps: number; momentum: number }> = {
  torchvision: { eps: 1e-5, momentum: 0.1 },
  lukemelas: { eps: 1e-3, momentum: 0.01 },
};

/** What a config gets where an option is left out. */
export const EFFICIENTNET_DEFAULTS = { inChannels: 3, numClasses: 1000, padding: 'symmetric' as Padding, bn: 'torchvision' as BnPreset };

export interface EfficientNetOptions {
  inChannels?: number;
  numClasses?: number;
  padding?: Padding;
  bn?: BnPreset;
  /** Keep only the first N stages: tiny networks for gradchecks, not a published variant. */
  stages?: number;
}

export interface StageConfig {
  expandRatio: number;
  kernel: number;
  stride: number;
  inChannels: number;
  outChannels: number;
  repeats: number;
}

export interface BlockConfig {
  /** 0-based stage index; the block's module is features.{stage + 1}.{index}. */
  stage: number;
  index: number;
  /** Position among all blocks (lukemelas names blocks by it). */
  blockId: number;
  inChannels: number;
  expandedChannels: number;
  outChannels: number;
  expandRatio: number;
  kernel: number;
  /** Only the first block of a stage strides and changes width. */
  stride: number;
  squeezeChannels: number;
  /** Identity shortcut (and stochastic depth) only where shapes match. */
  residual: boolean;
  stochasticDepthProb: number;
}

export interface EfficientNetConfig {
  name: string;
  scaling: Scaling;
  inChannels: number;
  numClasses: number;
  padding: Padding;
  bn: { preset: BnPreset; eps: number; momentum: number };
  stemChannels: number;
  stemKernel: number;
  stemStride: number;
  headChannels: number;
  stages: StageConfig[];
  blocks: BlockConfig[];
}

/** torchvision's `_make_divisible`: nearest multiple of 8, never below 8, never more than 10% down. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  // Same float arithmetic as Python's int(v + divisor / 2) // divisor * divisor, so results match bit for bit.
  const t = Math.floor(v + divisor / 2);
  let n = Math.max(minValue, t - (t % divisor));
  if (n < 0.9 * v) n += divisor;
  return n;
}

export function scaleChannels(channels: number, width: number): number {
  return makeDivisible(channels * width);
}

export function scaleRepeats(repeats: number, depth: number): number {
  // Exactly torchvision's math.ceil(n * depth): 3 * 1.1 is 3.3000000000000003 there too.
  return Math.ceil(repeats * depth);
}

export function isModelName(s: string): s is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(s);
}

/** A named variant, B0..B7. */
export function efficientNetConfig(model: string, options: EfficientNetOptions = {}): EfficientNetConfig {
  const name = model.toLowerCase();
  if (!isModelName(name)) throw new Error(`unknown model '${model}' (have: ${MODEL_NAMES.join(', ')})`);
  return scaledEfficientNetConfig(SCALING[name], options, name);
}

/** Any width/depth multipliers, e.g. width 0.25 depth 0.25 for tiny test networks. */
export function scaledEfficientNetConfig(
  scaling: Scaling,
  options: EfficientNetOptions = {},
  name = `w${scaling.width}-d${scaling.depth}`,
): EfficientNetConfig {
  const d = EFFICIENTNET_DEFAULTS;
  const [inChannels, numClasses, padding, preset] = [options.inChannels ?? d.inChannels, options.numClasses ?? d.numClasses, options.padding ?? d.padding, options.bn ?? d.bn];
  if (inChannels !== 3 && inChannels !== 4) throw new Error(`${name}: inChannels must be 3 or 4, got ${inChannels}`);
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new Error(`${name}: numClasses must be a positive integer, got ${numClasses}`);
  if (padding !== 'symmetric' && padding !== 'same')
    throw new Error(`${name}: padding must be 'symmetric' or 'same', got '${padding}'`);
  if (!(preset in BN_PRESETS)) throw new Error(`${name}: bn preset must be torchvision or lukemelas, got '${preset}'`);
  const nStages = options.stages ?? B0_STAGES.length;
  if (!Number.isInteger(nStages) || nStages < 1 || nStages > B0_STAGES.length)
    throw new Error(`${name}: stages must be 1..${B0_STAGES.length}, got ${nStages}`);
  for (const k of ['width', 'depth', 'resolution'] as const)
    if (!(scaling[k] > 0)) throw new Error(`${name}: ${k} must be positive, got ${scaling[k]}`);
  if (!(scaling.dropout >= 0 && scaling.dropout < 1))
    throw new Error(`${name}: dropout must be in [0, 1), got ${scaling.dropout}`);

  const stemChannels = scaleChannels(B0_STEM, scaling.width);
  const stages: StageConfig[] = [];
  let prev = stemChannels;
  for (const [expandRatio, kernel, stride, out, repeats] of B0_STAGES.slice(0, nStages)) {
    const outChannels = scaleChannels(out, scaling.width);
    stages.push({ expandRatio, kernel, stride, inChannels: prev, outChannels, repeats: scaleRepeats(repeats, scaling.depth) });
    prev = outChannels;
  }

  const total = stages.reduce((s, st) => s + st.repeats, 0);
  const blocks: BlockConfig[] = [];
  stages.forEach((st, stage) => {
    for (let index = 0; index < st.repeats; index++) {
      const inCh = index === 0 ? st.inChannels : st.outChannels;
      const stride = index === 0 ? st.stride : 1;
      const blockId = blocks.length;
      blocks.push({
        stage,
        index,
        blockId,
        inChannels: inCh,
        expandedChannels: makeDivisible(inCh * st.expandRatio),
        outChannels: st.outChannels,
        expandRatio: st.expandRatio,
        kernel: st.kernel,
        stride,
        squeezeChannels: Math.max(1, Math.floor(inCh / 4)),
        residual: stride === 1 && inCh === st.outChannels,
        // torchvision: the rate grows with the block's position, first block 0.
        stochasticDepthProb: (STOCHASTIC_DEPTH * blockId) / total,
      });
    }
  });

  return {
    name,
    scaling: { ...scaling },
    inChannels,
    numClasses,
    padding,
    bn: { preset, ...BN_PRESETS[preset] },
    stemChannels,
    stemKernel: STEM_KERNEL,
    stemStride: STEM_STRIDE,
    // torchvision: 4x the last stage's width (1280 for B0); lukemelas' round_filters(1280) agrees for B0..B7.
    headChannels: 4 * prev,
    stages,
    blocks,
  };
}

export type ParamKind = 'weight' | 'bias' | 'bn_weight' | 'bn_bias' | 'running_mean' | 'running_var';
/** How the tensor is laid out: ours differ from PyTorch's because activations are NHWC. */
export type ParamLayout = 'conv' | 'depthwise' | 'linear' | 'vector';

export interface ParamSpec {
  /** torchvision's state_dict name. */
  name: string;
  /** Our layout: conv [KH, KW, Cin, Cout], depthwise [KH, KW, C], linear [in, out], vectors [C]. */
  shape: number[];
  /** PyTorch's layout of the same tensor: conv OIHW, depthwise [C, 1, KH, KW], linear [out, in]. */
  torchShape: number[];
  kind: ParamKind;
  layout: ParamLayout;
  /** Running statistics are buffers, not trained. */
  trainable: boolean;
}

/** Every parameter and buffer, in torchvision's state_dict order. */
export function efficientNetParameters(config: EfficientNetConfig): ParamSpec[] {
  const out: ParamSpec[] = [];
  const conv = (prefix: string, k: number, cin: number, cout: number, bias = false): void => {
    out.push({ name: `${prefix}.weight`, shape: [k, k, cin, cout], torchShape: [cout, cin, k, k], kind: 'weight', layout: 'conv', trainable: true });
    if (bias) out.push(vector(`${prefix}.bias`, cout, 'bias'));
  };
  const depthwise = (prefix: string, k: number, c: number): void => {
    out.push({ name: `${prefix}.weight`, shape: [k, k, c], torchShape: [c, 1, k, k], kind: 'weight', layout: 'depthwise', trainable: true });
  };
  const bn = (prefix: string, c: number): void => {
    out.push(vector(`${prefix}.weight`, c, 'bn_weight'));
    out.push(vector(`${prefix}.bias`, c, 'bn_bias'));
    out.push(vector(`${prefix}.running_mean`, c, 'running_mean'));
    out.push(vector(`${prefix}.running_var`, c, 'running_var'));
  };

  conv('features.0.0', config.stemKernel, config.inChannels, config.stemChannels);
  bn('features.0.1', config.stemChannels);
  for (const b of config.blocks) {
    const p = `features.${b.stage + 1}.${b.index}.block`;
    // torchvision numbers the block's layers in order; without expansion everything shifts down by one.
    let layer = 0;
    if (b.expandRatio !== 1) {
      conv(`${p}.${layer}.0`, 1, b.inChannels, b.expandedChannels);
      bn(`${p}.${layer}.1`, b.expandedChannels);
      layer++;
    }
    depthwise(`${p}.${layer}.0`, b.kernel, b.expandedChannels);
    bn(`${p}.${layer}.1`, b.expandedChannels);
    layer++;
    conv(`${p}.${layer}.fc1`, 1, b.expandedChannels, b.squeezeChannels, true);
    conv(`${p}.${layer}.fc2`, 1, b.squeezeChannels, b.expandedChannels, true);
    layer++;
    conv(`${p}.${layer}.0`, 1, b.expandedChannels, b.outChannels);
    bn(`${p}.${layer}.1`, b.outChannels);
  }
  const last = config.stages[config.stages.length - 1].outChannels;
  const head = `features.${config.stages.length + 1}`;
  conv(`${head}.0`, 1, last, config.headChannels);
  bn(`${head}.1`, config.headChannels);
  out.push({
    name: 'classifier.1.weight',
    shape: [config.headChannels, config.numClasses],
    torchShape: [config.numClasses, config.headChannels],
    kind: 'weight',
    layout: 'linear',
    trainable: true,
  });
  out.push(vector('classifier.1.bias', config.numClasses, 'bias'));
  return out;
}

function vector(name: string, c: number, kind: ParamKind): ParamSpec {
  const trainable = kind !== 'running_mean' && kind !== 'running_var';
  return { name, shape: [c], torchShape: [c], kind, layout: 'vector', trainable };
}

// Not engine/tensor's sizeOf: `info` and weight-name checks need no GPU runtime loaded.
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Trainable parameters only, as torchvision publishes them. */
export function parameterCount(config: EfficientNetConfig): number {
  return efficientNetParameters(config)
    .filter((p) => p.trainable)
    .reduce((s, p) => s + numel(p.shape), 0);
}

/**
 * Padding of one spatial dimension: symmetric is PyTorch's (k-1)/2 each side; 'same' is
 * TensorFlow's, which depends on the input size and puts the odd pixel after.
 */
export function convPadding(padding: Padding, inSize: number, kernel: number, stride: number): { before: number; after: number; outSize: number } {
  if (padding === 'symmetric') {
    const p = (kernel - 1) >> 1;
    return { before: p, after: p, outSize: Math.floor((inSize + 2 * p - kernel) / stride) + 1 };
  }
  const outSize = Math.ceil(inSize / stride);
  const total = Math.max((outSize - 1) * stride + kernel - inSize, 0);
  return { before: total >> 1, after: total - (total >> 1), outSize };
}
