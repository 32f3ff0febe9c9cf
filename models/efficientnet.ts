import { dropout, globalAvgPool, Rng, withLayer, type Padding, type Tensor } from '../engine/index.js';
import type { EfficientNetConfig } from './efficientnet-config.js';
import { Container, Module } from './module.js';
import { BatchNorm2d } from './nn/batch-norm2d.js';
import { Conv2d } from './nn/conv2d.js';
import { ConvBnAct } from './nn/conv-bn-act.js';
import { uniformByIn } from './nn/init.js';
import { Linear } from './nn/linear.js';
import { MBConv } from './nn/mbconv.js';

/**
 * EfficientNet as torchvision builds it, on NHWC activations: `features.0` the stem
 * (3x3 stride-2 conv, BN, swish), `features.1..` the MBConv stages, the 1x1 head conv,
 * then global average pool, dropout and the classifier at `classifier.1`. Parameter names
 * and init follow torchvision, so its state_dict maps one to one (see checkpoint.ts).
 */
export class EfficientNet extends Module {
  private readonly stem: ConvBnAct<Conv2d>;
  private readonly blocks: MBConv[] = [];
  private readonly head: ConvBnAct<Conv2d>;
  private readonly classifier: Linear;
  /** Dropout and stochastic-depth masks; its state goes into checkpoints. */
  rng: Rng;

  constructor(
    readonly config: EfficientNetConfig,
    seed = 0,
  ) {
    super();
    const init = new Rng(seed);
    this.rng = new Rng(seed ^ 0x5eed);
    const padding = (k: number): Padding => (config.padding === 'same' ? 'same' : (k - 1) >> 1);
    const bn = (c: number) => new BatchNorm2d(c, config.bn.eps, config.bn.momentum);
    const features = this.addChild('features', new Container());

    this.stem = features.add(
      new ConvBnAct(new Conv2d(config.inChannels, config.stemChannels, { kernel: config.stemKernel, stride: config.stemStride, padding: padding(config.stemKernel) }, init), bn(config.stemChannels), true),
    );
    const ctx = { padding, bn, rng: init };
    config.stages.forEach((_, s) => {
      const stage = features.add(new Container());
      for (const b of config.blocks.filter((blk) => blk.stage === s)) this.blocks.push(stage.add(new MBConv(b, ctx)));
    });
    const last = config.stages[config.stages.length - 1].outChannels;
    this.head = features.add(new ConvBnAct(new Conv2d(last, config.headChannels, { kernel: 1 }, init), bn(config.headChannels), true));
    const classifier = this.addChild('classifier', new Container());
    this.classifier = classifier.add(new Linear(config.headChannels, config.numClasses, init), '1');
  }

  /**
   * Redraws the classifier's weights as a new nn.Linear(1280, classes) would be drawn
   * (U(+-1/sqrt(1280)); the bias stays 0), the head a fine-tuner puts on a backbone.
   * torchvision's own draw, U(+-1/sqrt(classes)), is sized for its 1000 classes: with 19
   * it is 0.23, and a fresh B0's logits start with a spread of about 2.6, so Adam spends
   * its first hundred steps undoing the head before the loss even reaches the best
   * constant answer (docs/BENCHMARKS.md, "The image model's head").
   */
  freshClassifier(seed: number): void {
    const w = this.classifier.weight;
    w.write(uniformByIn(new Rng(seed ^ 0x4ead), w.size, this.classifier.inFeatures));
  }

  /** x NHWC [N, H, W, inChannels] -> logits [N, numClasses]. */
  forward(x: Tensor): Tensor {
    const c = this.config;
    if (x.rank !== 4 || x.shape[3] !== c.inChannels) {
      throw new Error(`EfficientNet-${c.name.toUpperCase()}: input ${x.describe()} must be NHWC with ${c.inChannels} channels`);
    }
    // layer names are for the GPU profile (engine/profiler.ts); they cost a string assignment
    let h = withLayer('stem', () => this.stem.forward(x));
    const step = (next: Tensor): void => {
      h.dispose();
      h = next;
    };
    this.blocks.forEach((b, i) => step(withLayer(`block${i + 1}`, () => b.forward(h, this.rng))));
    step(withLayer('head', () => this.head.forward(h)));
    return withLayer('classifier', () => {
      step(globalAvgPool(h));
      if (this.training && c.scaling.dropout > 0) step(dropout(h, c.scaling.dropout, this.rng));
      const logits = this.classifier.forward(h);
      h.dispose();
      return logits;
    });
  }
}
