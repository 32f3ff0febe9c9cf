/**
 * What `hpa-engine info` shows: the scaled architecture, the feature-map size after each
 * stage at the variant's resolution, and exact parameter counts.
 */
import {
  convPadding,
  efficientNetParameters,
  numel,
  type EfficientNetConfig,
} from './efficientnet-config.js';

export interface StageSummary {
  stage: number;
  expand: number;
  kernel: number;
  stride: number;
  inChannels: number;
  outChannels: number;
  repeats: number;
  /** Height (= width) of the stage's output at the variant's resolution. */
  outputSize: number;
}

export interface EfficientNetSummary {
  model: string;
  width: number;
  depth: number;
  resolution: number;
  dropout: number;
  inChannels: number;
  numClasses: number;
  padding: string;
  bn: { preset: string; eps: number; momentum: number };
  stem: { channels: number; kernel: number; stride: number; outputSize: number };
  stages: StageSummary[];
  blocks: number;
  head: { channels: number };
  stochasticDepth: { first: number; last: number };
  /** Trainable parameters, as torchvision counts them. */
  parameters: number;
  /** BatchNorm running means and variances. */
  buffers: number;
}

export function summarizeEfficientNet(config: EfficientNetConfig): EfficientNetSummary {
  let size = convPadding(config.padding, config.scaling.resolution, config.stemKernel, config.stemStride).outSize;
  const stemSize = size;
  const stages = config.stages.map((s, i) => {
    size = convPadding(config.padding, size, s.kernel, s.stride).outSize;
    return { stage: i + 1, expand: s.expandRatio, kernel: s.kernel, stride: s.stride, inChannels: s.inChannels, outChannels: s.outChannels, repeats: s.repeats, outputSize: size };
  });
  const params = efficientNetParameters(config);
  const count = (trainable: boolean) => params.filter((p) => p.trainable === trainable).reduce((a, p) => a + numel(p.shape), 0);
  return {
    model: config.name,
    width: config.scaling.width,
    depth: config.scaling.depth,
    resolution: config.scaling.resolution,
    dropout: config.scaling.dropout,
    inChannels: config.inChannels,
    numClasses: config.numClasses,
    padding: config.padding,
    bn: { ...config.bn },
    stem: { channels: config.stemChannels, kernel: config.stemKernel, stride: config.stemStride, outputSize: stemSize },
    stages,
    blocks: config.blocks.length,
    head: { channels: config.headChannels },
    stochasticDepth: { first: config.blocks[0].stochasticDepthProb, last: config.blocks[config.blocks.length - 1].stochasticDepthProb },
    parameters: count(true),
    buffers: count(false),
  };
}

function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((v, c) => String(v).padStart(widths[c])).join('  ')).join('\n');
}

export function formatEfficientNetSummary(s: EfficientNetSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `EfficientNet-${s.model.toUpperCase()}: width ${s.width}, depth ${s.depth}, resolution ${s.resolution}, dropout ${s.dropout}`,
    `input ${s.resolution}x${s.resolution}x${s.inChannels}, ${s.numClasses} classes, ${s.padding} padding, BN ${s.bn.preset} (eps ${s.bn.eps}, momentum ${s.bn.momentum})`,
    '',
    table([
      ['stage', 'op', 'expand', 'kernel', 'stride', 'in', 'out', 'repeats', 'output'],
      [0, 'stem conv', '-', s.stem.kernel, s.stem.stride, s.inChannels, s.stem.channels, 1, `${s.stem.outputSize}x${s.stem.outputSize}`],
      ...s.stages.map((st) => [st.stage, 'MBConv', st.expand, st.kernel, st.stride, st.inChannels, st.outChannels, st.repeats, `${st.outputSize}x${st.outputSize}`]),
      [s.stages.length + 1, 'head conv', '-', 1, 1, s.stages[s.stages.length - 1].outChannels, s.head.channels, 1, 'pool'],
      ['', 'classifier', '-', '-', '-', s.head.channels, s.numClasses, 1, ''],
    ]),
    '',
    `${s.blocks} MBConv blocks, squeeze-excite width = block input / 4, stochastic depth ${s.stochasticDepth.first} .. ${s.stochasticDepth.last.toFixed(4)}`,
    `parameters: ${n(s.parameters)} trainable (+ ${n(s.buffers)} BatchNorm running statistics)`,
  ];
  return lines.join('\n');
}
